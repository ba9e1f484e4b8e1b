//! Publishing and printing end to end: a `--site-url` build served over real HTTP under a sub-path
//! (as on GitHub Pages), its sitemap, canonical links and 404 page; the one-page print book.

mod support;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::html::{attr_values, percent_decode};
use support::http::{StaticServer, get, resolve};

fn studybook(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_studybook"))
        .args(args)
        .output()
        .expect("run studybook")
}

fn build(notes: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "build".as_ref(),
        "--notes".as_ref(),
        notes.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let output = studybook(&args);
    assert!(
        output.status.success(),
        "studybook build failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn repo_notes() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("notes")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Link targets the build reported as missing from the notes folder.
fn reported_missing(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.contains(": warning: `") && l.contains("is not in the notes folder"))
        .filter_map(|l| l.split('`').nth(1).map(str::to_string))
        .collect()
}

fn html_pages(out: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(out)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(out)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|p| p.ends_with(".html"))
        .collect()
}

fn canonical(html: &str) -> Option<String> {
    let at = html.find("<link rel=\"canonical\" href=\"")?;
    let rest = &html[at + "<link rel=\"canonical\" href=\"".len()..];
    rest.split('"').next().map(str::to_string)
}

/// Every `<loc>` of a sitemap.
fn sitemap_locs(xml: &str) -> Vec<String> {
    xml.split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap().replace("&amp;", "&"))
        .collect()
}

#[test]
fn a_site_url_build_served_under_a_sub_path_has_no_broken_link() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    let server = StaticServer::start(&out, "/REPO/");
    let site = server.url("/REPO/");
    let output = build(&repo_notes(), &out, &["--site-url", &site]);
    let missing = reported_missing(&output);
    assert!(out.join(".nojekyll").is_file(), "no .nojekyll");

    // Crawl from the site root: every page, and every href/src of every page, answers 200, and every
    // fragment names an id of its page.
    let mut bodies: BTreeMap<String, (u16, Vec<u8>)> = BTreeMap::new();
    let mut fetch = |url: &str| {
        bodies
            .entry(url.to_string())
            .or_insert_with(|| get(url))
            .clone()
    };
    let mut queue = VecDeque::from([site.clone()]);
    let mut seen_pages = BTreeSet::new();
    let mut broken = Vec::new();
    let mut checked = 0;
    while let Some(page_url) = queue.pop_front() {
        if !seen_pages.insert(page_url.clone()) {
            continue;
        }
        let (status, body) = fetch(&page_url);
        assert_eq!(status, 200, "{page_url}");
        let html = String::from_utf8(body).unwrap();
        assert_eq!(
            canonical(&html).as_deref(),
            Some(page_url.as_str()),
            "canonical link of {page_url}"
        );
        let mut targets = attr_values(&html, "href");
        targets.extend(attr_values(&html, "src"));
        for target in targets {
            if missing.contains(&target) {
                continue;
            }
            let Some((url, fragment)) = resolve(&page_url, &target) else {
                continue;
            };
            if !url.starts_with(&site) {
                continue;
            }
            let (status, body) = fetch(&url);
            checked += 1;
            if status != 200 {
                broken.push(format!("{page_url}: {target} -> {url} ({status})"));
                continue;
            }
            let is_page = url.ends_with(".html") || url.ends_with('/');
            if let Some(id) = fragment.filter(|f| !f.is_empty() && is_page)
                && !attr_values(&String::from_utf8_lossy(&body), "id").contains(&id)
            {
                broken.push(format!("{page_url}: {target} (no id {id})"));
            }
            if is_page && !url.ends_with("/index.html") {
                queue.push_back(url);
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 100, "only {checked} links checked");

    // The sitemap lists every page of the output by its absolute URL, and nothing else.
    let (status, xml) = get(&server.url("/REPO/sitemap.xml"));
    assert_eq!(status, 200);
    let locs: BTreeSet<String> = sitemap_locs(&String::from_utf8(xml).unwrap())
        .into_iter()
        .collect();
    let expected: BTreeSet<String> = html_pages(&out)
        .into_iter()
        .filter(|p| p != "404.html")
        .map(|p| {
            if p == "index.html" {
                site.clone()
            } else {
                format!("{site}{p}")
            }
        })
        .collect();
    assert_eq!(
        locs.iter()
            .map(|l| percent_decode(l))
            .collect::<BTreeSet<_>>(),
        expected
    );
    assert!(
        locs.is_subset(&seen_pages),
        "sitemap pages not reached by links"
    );

    // A missing page deep under the sub-path is answered with the 404 page, whose links and
    // assets all resolve from there.
    let deep = server.url("/REPO/no/such/deep/page");
    let (status, body) = get(&deep);
    assert_eq!(status, 404);
    assert_eq!(body, fs::read(out.join("404.html")).unwrap());
    let html = String::from_utf8(body).unwrap();
    let mut targets = attr_values(&html, "href");
    targets.extend(attr_values(&html, "src"));
    let stylesheets = targets.iter().filter(|t| t.ends_with(".css")).count();
    assert!(stylesheets >= 1, "the 404 page has no stylesheet");
    for target in targets.iter().filter(|t| !t.starts_with('#')) {
        let Some((url, _)) = resolve(&deep, target) else {
            continue;
        };
        assert!(url.starts_with(&site), "{target} leaves the site");
        assert_eq!(get(&url).0, 200, "404 page link {target} -> {url}");
    }
    assert!(targets.len() > 5, "{targets:?}");
}

#[test]
fn without_a_site_url_there_is_no_sitemap_nor_canonical_and_the_404_page_is_relative() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    build(&fixture("nested"), &out, &[]);
    assert!(!out.join("sitemap.xml").exists());
    for page in html_pages(&out) {
        let html = fs::read_to_string(out.join(&page)).unwrap();
        assert_eq!(canonical(&html), None, "{page}");
    }
    let not_found = fs::read_to_string(out.join("404.html")).unwrap();
    for target in attr_values(&not_found, "href") {
        let path = target.split('#').next().unwrap();
        if !path.is_empty() {
            assert!(out.join(percent_decode(path)).is_file(), "{target}");
        }
    }
    assert!(out.join(".nojekyll").is_file());
}

#[test]
fn the_site_url_comes_from_studybook_toml_unless_given_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = tmp.path().join("notes");
    fs::create_dir(&notes).unwrap();
    fs::write(notes.join("a.md"), "# A\n\ntext\n").unwrap();
    fs::write(
        tmp.path().join("studybook.toml"),
        "site-url = \"https://example.org/book\"\n",
    )
    .unwrap();
    let out = tmp.path().join("output");
    build(&notes, &out, &[]);
    let index = fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(
        canonical(&index).as_deref(),
        Some("https://example.org/book/")
    );

    build(&notes, &out, &["--site-url", "https://u.github.io/r/"]);
    let page = fs::read_to_string(out.join("chapters/a.html")).unwrap();
    assert_eq!(
        canonical(&page).as_deref(),
        Some("https://u.github.io/r/chapters/a.html")
    );

    let bad = studybook(&[
        "build".as_ref(),
        "--notes".as_ref(),
        notes.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--site-url".as_ref(),
        "u.github.io/r".as_ref(),
    ]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--site-url") && err.contains("https://"),
        "{err}"
    );
}

#[test]
fn the_print_page_holds_every_chapter_in_order_with_unique_ids_and_in_page_links() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    build(&fixture("nested"), &out, &[]);
    let index = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(attr_values(&index, "href").contains(&"print.html".to_string()));
    let print = fs::read_to_string(out.join("print.html")).unwrap();

    // Chapters in the order of the index, each a section whose headings keep their text.
    let chapters: Vec<String> = attr_values(support::html::main_element(&index), "href")
        .into_iter()
        .filter(|h| h.starts_with("chapters/"))
        .collect();
    assert_eq!(chapters.len(), 3);
    let mut last = 0;
    for href in &chapters {
        let slug = percent_decode(&href["chapters/".len()..href.len() - ".html".len()]);
        let at = print
            .find(&format!("id=chapter-{slug}"))
            .or_else(|| print.find(&format!("id=\"chapter-{slug}\"")))
            .unwrap_or_else(|| panic!("no section for {slug}"));
        assert!(at > last, "{slug} out of order");
        last = at;
        let page = fs::read_to_string(out.join(percent_decode(href))).unwrap();
        let body = &page[page.find("chapter-body").unwrap()..page.find("</article>").unwrap()];
        for id in attr_values(body, "id") {
            let prefixed = format!("{slug}--{id}");
            assert!(
                attr_values(&print, "id").contains(&prefixed),
                "{id} of {slug} is not on the print page as {prefixed}"
            );
        }
    }

    // Ids are unique, and every in-page link names one of them.
    let ids = attr_values(&print, "id");
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids on the print page");
    let mut in_page = 0;
    for href in attr_values(&print, "href") {
        if let Some(fragment) = href.strip_prefix('#') {
            assert!(
                unique.contains(&percent_decode(fragment)),
                "{href} names no id"
            );
            in_page += 1;
        } else if !href.contains("://") {
            let path = percent_decode(href.split('#').next().unwrap());
            assert!(out.join(&path).is_file(), "{href}");
        }
    }
    assert!(in_page > 10, "only {in_page} in-page links");
    // The link between two chapters of the fixture became an in-page link.
    assert!(
        attr_values(&print, "href")
            .iter()
            .any(|h| percent_decode(h) == "#docker-镜像-notes--镜像构建"),
        "the cross-chapter link was not rewritten"
    );
}

/// The pieces a GitHub Pages workflow needs.
fn assert_pages_workflow(yaml: &str, what: &str) {
    for needed in [
        "pages: write",
        "id-token: write",
        "concurrency:",
        "actions/configure-pages@",
        "actions/upload-pages-artifact@",
        "path: output",
        "actions/deploy-pages@",
        "--site-url",
    ] {
        assert!(yaml.contains(needed), "{what} lacks {needed}");
    }
}

#[test]
fn the_repository_publishes_its_book_on_github_pages() {
    let yaml = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows/pages.yml"),
    )
    .unwrap();
    assert_pages_workflow(&yaml, "the workflow");
    assert!(yaml.contains("cargo run --release -- build"));
}

#[test]
fn init_scaffolds_a_project_that_builds_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my-book");
    let output = studybook(&["init".as_ref(), dir.as_os_str()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let config = dir.join("studybook.toml");
    let workflow = dir.join(".github/workflows/pages.yml");
    let notes: Vec<PathBuf> = fs::read_dir(dir.join("notes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(notes.len(), 1, "one sample note");
    for path in [&config, &workflow, &notes[0]] {
        assert!(path.is_file(), "{} missing", path.display());
        assert!(stdout.contains(&path.display().to_string()), "{stdout}");
    }
    assert!(stdout.contains("studybook build"), "{stdout}");
    assert_pages_workflow(
        &fs::read_to_string(&workflow).unwrap(),
        "the scaffolded workflow",
    );

    // The project builds cleanly, with the title of its config (found beside notes/).
    let out = dir.join("output");
    let built = build(&dir.join("notes"), &out, &[]);
    assert!(
        built.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let title = studybook::config::parse(&fs::read_to_string(&config).unwrap(), "t")
        .unwrap()
        .title
        .expect("the scaffolded config has a title");
    let index = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains(&format!("<title>{title}</title>")),
        "{index}"
    );
    let chapter = fs::read_to_string(
        html_pages(&out)
            .iter()
            .find(|p| p.starts_with("chapters/"))
            .map(|p| out.join(p))
            .unwrap(),
    )
    .unwrap();
    assert!(
        chapter.contains("<pre"),
        "the sample note shows a code block"
    );

    // A second init changes nothing and says why.
    fs::write(&notes[0], "# mine\n").unwrap();
    let again = studybook(&["init".as_ref(), dir.as_os_str()]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("refusing to overwrite") && err.contains("studybook.toml"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&notes[0]).unwrap(), "# mine\n");
}
