//! `studybook build` and `studybook fix` end to end: the real binary over small fixture folders, one scenario each.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::html::{attr_values, percent_decode};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn studybook(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_studybook"))
        .args(args)
        .output()
        .expect("run studybook")
}

fn build(notes: &Path, out: &Path, theme: Option<&Path>) -> Output {
    let mut args = vec![
        "build".as_ref(),
        "--notes".as_ref(),
        notes.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    if let Some(theme) = theme {
        args.push("--theme".as_ref());
        args.push(theme.as_os_str());
    }
    studybook(&args)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "studybook failed: {}\n{}",
        output.status,
        stderr(output)
    );
}

/// Every file of a folder, by relative path.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            files.insert(rel, fs::read(entry.path()).unwrap());
        }
    }
    files
}

fn chapter_pages(out: &Path) -> Vec<PathBuf> {
    let mut pages: Vec<_> = fs::read_dir(out.join("chapters"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    pages
}

/// Every relative `href`/`src` of every page points to an existing file, and every fragment to an id in
/// it, except the targets in `reported` (links the build warned about).
fn assert_links_resolve(out: &Path, reported: &[String]) -> usize {
    let mut checked = 0;
    let mut broken = Vec::new();
    for (rel, bytes) in read_tree(out) {
        if !rel.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        let page = out.join(&rel);
        let mut targets = attr_values(&html, "href");
        targets.extend(attr_values(&html, "src"));
        for target in targets {
            if target.contains("://") || target.starts_with("mailto:") || reported.contains(&target)
            {
                continue;
            }
            let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let file = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(percent_decode(path))
            };
            if !file.is_file() {
                broken.push(format!("{rel}: {target} (no file)"));
                continue;
            }
            if !fragment.is_empty() {
                let target_html = fs::read_to_string(&file).unwrap();
                let id = percent_decode(fragment);
                if !attr_values(&target_html, "id").contains(&id) {
                    broken.push(format!("{rel}: {target} (no id {id})"));
                    continue;
                }
            }
            checked += 1;
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    checked
}

#[test]
fn user_notes_become_five_chapters_whose_links_all_resolve() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    let output = build(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("notes"),
        &out,
        None,
    );
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Built 5 chapters"), "{stdout}");
    assert!(stdout.contains("index.html"), "{stdout}");
    assert_eq!(chapter_pages(&out).len(), 5);
    // Links whose target the notes folder lacks are reported as `path:line:col: warning:`.
    let reported: Vec<String> = stderr(&output)
        .lines()
        .filter(|l| l.contains(": warning: `") && l.contains("is not in the notes folder"))
        .map(|l| l.split('`').nth(1).unwrap().to_string())
        .collect();
    let links = assert_links_resolve(&out, &reported);
    assert!(links > 100, "only {links} links checked");
    let index = fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(
        attr_values(&index, "class")
            .iter()
            .filter(|c| *c == "chapter-link")
            .count(),
        10
    );
    for page in chapter_pages(&out) {
        let html = fs::read_to_string(&page).unwrap();
        assert!(html.contains("class=chapter-title") || html.contains("class=\"chapter-title\""));
        assert!(html.contains("../assets/style.css"), "{}", page.display());
    }
    // Fenced code in the notes is highlighted with classes, not inline styles.
    let pods = fs::read_to_string(out.join("chapters/001_a4739f337d093d59.html")).unwrap();
    assert!(
        pods.contains("data-lang=yaml") || pods.contains("data-lang=\"yaml\""),
        "no yaml block"
    );
    assert!(pods.contains("<span class=\"hl-") || pods.contains("<span class=hl-"));
    assert!(!pods.contains("style=\"color"));
}

#[test]
fn two_builds_of_the_same_notes_are_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = Path::new(env!("CARGO_MANIFEST_DIR")).join("notes");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert_success(&build(&notes, &a, None));
    assert_success(&build(&notes, &b, None));
    let (tree_a, tree_b) = (read_tree(&a), read_tree(&b));
    assert_eq!(
        tree_a.keys().collect::<Vec<_>>(),
        tree_b.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &tree_a {
        assert!(bytes == &tree_b[path], "{path} differs between builds");
    }
}

#[test]
fn broken_front_matter_still_becomes_a_chapter_with_a_positioned_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    let notes = fixture("front_matter_broken");
    let output = build(&notes, &out, None);
    assert_success(&output);
    let err = stderr(&output);
    let expected = format!("{}:4:5:", notes.join("broken.md").display());
    let line = err
        .lines()
        .find(|l| l.starts_with(&expected))
        .unwrap_or_else(|| panic!("no warning at {expected} in:\n{err}"));
    assert!(line.contains(": warning: "), "{line}");
    assert_eq!(chapter_pages(&out).len(), 2);
    let page = fs::read_to_string(out.join("chapters/broken.html")).unwrap();
    assert!(
        page.contains("坏的笔记"),
        "title read despite the broken front matter"
    );
    assert!(
        page.contains("2023-06-12"),
        "date read despite the broken front matter"
    );
    assert!(page.contains("这篇笔记的 front matter 少了一个括号"));
}

#[test]
fn a_broken_theme_fails_the_build_and_leaves_the_previous_output_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    let notes = fixture("front_matter_broken");
    assert_success(&build(&notes, &out, None));
    let before = read_tree(&out);

    let theme = theme_with_chapter(tmp.path(), "<main>\n{% for x in %}\n</main>\n");
    let output = build(&notes, &out, Some(&theme));
    assert!(!output.status.success(), "a broken template built");
    let err = stderr(&output);
    let expected = format!("{}:2:", theme.join("chapter.html").display());
    assert!(err.contains(&expected) && err.contains("error:"), "{err}");
    assert!(read_tree(&out) == before, "the previous output changed");
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "staging folders left behind: {leftovers:?}"
    );
}

#[test]
fn a_theme_folder_overrides_the_default_file_by_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    let theme = tmp.path().join("theme");
    fs::create_dir(&theme).unwrap();
    fs::write(theme.join("style.css"), "body { color: rebeccapurple }\n").unwrap();
    fs::write(theme.join("extra.js"), "console.log('extra')\n").unwrap();
    assert_success(&build(&fixture("front_matter_broken"), &out, Some(&theme)));
    assert_eq!(
        fs::read_to_string(out.join("assets/style.css")).unwrap(),
        "body { color: rebeccapurple }\n"
    );
    assert!(out.join("assets/extra.js").is_file());
    assert!(
        out.join("assets/book.js").is_file(),
        "default files are kept"
    );
    let index = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("chapter-list"), "default templates are kept");
}

#[test]
fn notes_in_any_encoding_become_chapters_and_binary_files_are_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = tmp.path().join("notes");
    fs::create_dir(&notes).unwrap();
    fs::write(
        notes.join("bom.md"),
        b"\xEF\xBB\xBF# BOM \xE7\xAC\x94\xE8\xAE\xB0\r\n\r\ntext\r\n",
    )
    .unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "# UTF16 标题\n\n内容\n".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    fs::write(notes.join("utf16.md"), utf16).unwrap();
    // "# GB 笔记" in GB18030.
    fs::write(notes.join("gb.txt"), b"# GB \xb1\xca\xbc\xc7\n\nabc\n").unwrap();
    fs::write(notes.join("empty.md"), b"").unwrap();
    fs::write(notes.join("image.md"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0").unwrap();
    let out = tmp.path().join("output");
    let output = build(&notes, &out, None);
    assert_success(&output);
    let err = stderr(&output);
    assert!(err.contains("image.md") && err.contains("binary"), "{err}");
    assert!(
        err.contains("gb.txt:1:1: warning:") && err.contains("GB18030"),
        "{err}"
    );
    assert!(err.contains("utf16.md:1:1: warning:"), "{err}");
    let titles: Vec<String> = chapter_pages(&out)
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(titles.len(), 4, "every text note is a chapter");
    let all = titles.join("\n");
    for title in ["BOM 笔记", "UTF16 标题", "GB 笔记", ">empty<"] {
        assert!(all.contains(title), "missing {title}");
    }
    assert!(!all.contains('\r'));
}

#[test]
fn nested_folders_and_names_with_spaces_and_chinese_link_to_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    assert_success(&build(&fixture("nested"), &out, None));
    let pages = chapter_pages(&out);
    let names: Vec<String> = pages
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "docker-镜像-notes.html",
            "k8s-01-pod-基础.html",
            "overview.html"
        ]
    );
    assert_links_resolve(&out, &[]);
    let pod = fs::read_to_string(out.join("chapters/k8s-01-pod-基础.html")).unwrap();
    let hrefs = attr_values(&pod, "href");
    assert!(
        hrefs
            .iter()
            .any(|h| percent_decode(h) == "docker-镜像-notes.html#镜像构建"),
        "{hrefs:?}"
    );
    // Reading order: order 0, order 1, then the note without order.
    let index = fs::read_to_string(out.join("index.html")).unwrap();
    let order: Vec<usize> = ["总览", "Pod 基础", "镜像 notes"]
        .iter()
        .map(|t| index.find(t).unwrap_or_else(|| panic!("{t} not in index")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}

#[test]
fn html_from_notes_cannot_run_script_and_template_braces_stay_literal() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    assert_success(&build(&fixture("hostile_html"), &out, None));
    let page = fs::read_to_string(out.join("chapters/hostile.html")).unwrap();
    let main = support::html::main_element(&page).to_lowercase();
    for bad in [
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "pwned",
        "alert(",
    ] {
        assert!(!main.contains(bad), "{bad} reached the page: {main}");
    }
    assert!(main.contains("styled"));
    for literal in [
        "{{ .values.image.tag }}",
        "{% if x %}y{% endif %}",
        "{{&lt; ref",
        "{{ .values.image }}",
    ] {
        assert!(
            main.contains(literal),
            "{literal} was not kept literally: {main}"
        );
    }
}

#[test]
fn an_unreadable_notes_folder_is_a_fatal_error() {
    let tmp = tempfile::tempdir().unwrap();
    let output = build(
        &tmp.path().join("missing"),
        &tmp.path().join("output"),
        None,
    );
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.contains("missing") && err.contains("error:"), "{err}");
    assert!(!tmp.path().join("output").exists());
}

#[test]
fn fix_prints_normalised_front_matter_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let note = tmp.path().join("n.md");
    let original = "---\n# comment\ntitle: k8s总结\ndate: 2023-6-5\ntag: k8s\ncategory:\n  - 云原生\n---\r\n\r\n# 资源对象\r\n";
    fs::write(&note, original).unwrap();
    let output = studybook(&["fix".as_ref(), note.as_os_str()]);
    assert_success(&output);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "---\ntitle: \"k8s总结\"\ndate: 2023-06-05\ntags:\n  - \"k8s\"\ncategories:\n  - \"云原生\"\n---\n\n# 资源对象\n"
    );
    assert_eq!(fs::read_to_string(&note).unwrap(), original);
}

#[test]
fn fix_write_rewrites_in_place_and_keeps_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let note = tmp.path().join("n.txt");
    fs::write(&note, "笔记标题\n\n正文\n").unwrap();
    let output = studybook(&["fix".as_ref(), "--write".as_ref(), note.as_os_str()]);
    assert_success(&output);
    assert!(output.stdout.is_empty());
    assert_eq!(
        fs::read_to_string(tmp.path().join("n.txt.orig")).unwrap(),
        "笔记标题\n\n正文\n"
    );
    let rewritten = fs::read_to_string(&note).unwrap();
    assert!(
        rewritten.starts_with("---\ntitle: \"笔记标题\"\n"),
        "{rewritten}"
    );
    assert!(rewritten.contains("正文"));
}

#[test]
fn misspelt_manifest_fields_get_a_hint_in_the_book_and_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    let notes = fixture("schema_typos");
    let output = build(&notes, &out, None);
    assert_success(&output);
    let err = stderr(&output);
    let note = notes.join("typos.md").display().to_string();
    for (line, field, suggestion) in [
        (8, "apiversion", "apiVersion"),
        (14, "matchLables", "matchLabels"),
        (24, "imagePullPolice", "imagePullPolicy"),
    ] {
        let warning = err
            .lines()
            .find(|l| l.starts_with(&format!("{note}:{line}:")) && l.contains(field))
            .unwrap_or_else(|| panic!("no warning for {field} at line {line}:\n{err}"));
        assert!(
            warning.contains(": warning: ") && warning.contains(suggestion),
            "{warning}"
        );
    }
    let page = fs::read_to_string(out.join("chapters/typos.html")).unwrap();
    let main = support::html::main_element(&page);
    assert!(main.contains("schema-hints"), "{main}");
    assert!(main.contains("<code>imagePullPolicy</code>"), "{main}");
    // The author's text is kept as written.
    assert!(main.contains("matchLables"));
}

#[test]
fn chapter_pages_are_minified_whatever_the_theme_indentation() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = fixture("knowledge_book");
    // The default theme: chapter pages come out on few lines, without needless quotes.
    let out = tmp.path().join("default");
    assert_success(&build(&notes, &out, None));
    // A theme written with deep indentation, where the one-pass compactor does much worse than
    // the minifier: its chapter pages are minified all the same.
    let theme = theme_with_chapter(
        tmp.path(),
        "{% extends \"page.html\" %}\n{% block main %}\n                    <article class=\"chapter\">\n                                        <h1 class=\"chapter-title\">{{ chapter.title }}</h1>\n                                        <div class=\"chapter-body\">\n                                                            {{ chapter.html | safe }}\n                                        </div>\n                    </article>\n{% endblock main %}\n",
    );
    let indented = tmp.path().join("indented");
    assert_success(&build(&notes, &indented, Some(&theme)));
    for out in [&out, &indented] {
        let pages: Vec<PathBuf> = fs::read_dir(out.join("chapters"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(pages.len() >= 2, "{pages:?}");
        for page in pages {
            let html = fs::read_to_string(&page).unwrap();
            assert!(
                html.contains("<article class=chapter>"),
                "{}: {html}",
                page.display()
            );
            assert!(!html.contains("  <article"), "{}: {html}", page.display());
            assert!(!html.contains("  <h1"), "{}: {html}", page.display());
        }
    }
}

/// A theme folder in `dir` whose chapter template is `template`.
fn theme_with_chapter(dir: &Path, template: &str) -> PathBuf {
    let theme = dir.join("theme");
    fs::create_dir(&theme).unwrap();
    fs::write(theme.join("chapter.html"), template).unwrap();
    theme
}

#[test]
fn a_theme_may_place_the_term_definitions_before_the_body() {
    let tmp = tempfile::tempdir().unwrap();
    let notes = fixture("knowledge_book");
    let out = tmp.path().join("default");
    assert_success(&build(&notes, &out, None));
    let theme = theme_with_chapter(
        tmp.path(),
        "{% extends \"page.html\" %}\n{% block main %}<script type=\"application/json\" id=\"term-definitions\">{{ chapter.term_definitions | safe }}</script><article class=\"chapter\">{{ chapter.html | safe }}</article>{% endblock main %}\n",
    );
    let reordered = tmp.path().join("reordered");
    assert_success(&build(&notes, &reordered, Some(&theme)));
    let definitions = |html: &str| -> String {
        let start = html.find("id=term-definitions>").expect("definitions") + 20;
        html[start..start + html[start..].find("</script>").unwrap()].to_string()
    };
    let mut compared = 0;
    for entry in fs::read_dir(out.join("chapters")).unwrap() {
        let path = entry.unwrap().path();
        let page = fs::read_to_string(&path).unwrap();
        if !page.contains("id=term-definitions>") {
            continue;
        }
        let name = path.file_name().unwrap();
        let other = fs::read_to_string(reordered.join("chapters").join(name)).unwrap();
        let expected = definitions(&page);
        assert!(
            expected.starts_with('{') && expected.len() > 2,
            "{expected}"
        );
        assert_eq!(definitions(&other), expected, "{}", path.display());
        // The body is the same as in the default theme's page.
        let body = support::html::main_element(&page);
        let first_paragraph = &body[body.find("<p>").unwrap()..];
        let first_paragraph = &first_paragraph[..first_paragraph.find("</p>").unwrap()];
        assert!(
            other.contains(first_paragraph),
            "{first_paragraph}\n{other}"
        );
        compared += 1;
    }
    assert!(compared >= 1);
}
