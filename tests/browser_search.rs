//! The search box of a built book in headless Chromium, opened from disk over `file://`:
//! `index.html?search=…` shows linked results, the keyboard focuses the box, and a missing
//! index is reported on the page without script errors.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use support::cdp::Page;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/browser_book");
const NOTES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/notes");
const RESULT_LINKS: &str = "#search-results a";

fn eval(page: &Page, js: &str) -> Value {
    page.eval(js).unwrap_or_else(|e| {
        panic!(
            "on {}: {e}",
            page.url()
                .unwrap_or_else(|e| format!("(unknown page: {e})"))
        )
    })
}

/// `url` with `?search=` and the percent-encoded `query`.
fn with_query(url: &str, query: &str) -> String {
    let mut out = format!("{url}?search=");
    for &byte in query.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn goto(page: &Page, url: &str) {
    page.goto(url).unwrap_or_else(|e| panic!("open {url}: {e}"));
}

/// Waits until the results panel lists links or says something, and returns what it shows:
/// `links` (resolved href, heading and snippet text of each), `marks` (highlighted texts)
/// and `message`.
fn results(page: &Page) -> Value {
    page.wait_for(
        "(() => { const p = document.getElementById('search-results'); \
         return !!p && !p.hidden && p.textContent.trim().length > 0; })()",
        Duration::from_secs(10),
    )
    .unwrap_or_else(|e| panic!("the search results never showed: {e}"));
    eval(
        page,
        r#"(() => {
            const panel = document.getElementById('search-results');
            return {
                links: Array.from(panel.querySelectorAll('a'), a => ({
                    href: a.href,
                    raw: a.getAttribute('href'),
                    heading: a.querySelector('.search-heading')?.textContent ?? '',
                    text: a.textContent,
                })),
                marks: Array.from(panel.querySelectorAll('mark'), m => m.textContent),
                message: panel.querySelector('.search-message')?.textContent ?? '',
            };
        })()"#,
    )
}

fn links(found: &Value) -> Vec<Value> {
    found["links"].as_array().cloned().unwrap_or_default()
}

/// Opens `href` and returns the text of the section it points at: its heading's text and
/// everything up to the next heading; `null` when the page has no element with that id.
fn section_text(page: &Page, href: &str) -> Value {
    // From a blank page, so that a link into the page already open loads it afresh.
    goto(page, "about:blank");
    goto(page, href);
    eval(
        page,
        r#"(() => {
            const start = document.getElementById(decodeURIComponent(location.hash.slice(1)));
            if (!start) return null;
            let text = start.textContent;
            for (let el = start.nextElementSibling; el && !/^H[1-6]$/.test(el.tagName); el = el.nextElementSibling)
                text += '\n' + el.textContent;
            return text;
        })()"#,
    )
}

/// The query's words as the search understands them: lower case, split at spaces.
fn query_words(query: &str) -> Vec<String> {
    query.split_whitespace().map(str::to_lowercase).collect()
}

fn assert_no_problems(page: &Page) {
    let problems = page.problems().expect("read the page's problems");
    assert!(
        problems.is_empty(),
        "the book reported problems in the browser:\n  {}",
        problems.join("\n  ")
    );
}

/// The result links that lead to a section of a chapter: `chapters/<slug>.html#<id>`.
fn section_links(found: &Value) -> Vec<String> {
    links(found)
        .iter()
        .filter_map(|l| l["href"].as_str())
        .filter(|href| {
            let path = href.split('#').next().unwrap_or_default();
            href.contains('#')
                && path.contains("/chapters/")
                && path.ends_with(".html")
                && !href.ends_with('#')
        })
        .map(str::to_owned)
        .collect()
}

/// Checks that `query` gives linked, highlighted results whose first section holds every word
/// of the query, and that the linked anchors exist.
fn check_query(page: &Page, index: &str, query: &str, out_dir: &Path) {
    goto(page, &with_query(index, query));
    let found = results(page);
    let sections = section_links(&found);
    assert!(
        !sections.is_empty(),
        "`{query}` should give results linking to chapter sections, got {found}"
    );
    for link in links(&found) {
        let raw = link["raw"].as_str().unwrap_or_default();
        assert!(
            raw.starts_with("chapters/"),
            "result links on index.html are relative `chapters/…`, got {raw:?}"
        );
    }
    assert!(
        !found["marks"].as_array().is_none_or(|m| m.is_empty()),
        "`{query}` results should highlight the matched words with <mark>: {found}"
    );
    for (n, href) in sections.iter().take(3).enumerate() {
        let path = file_path(href);
        assert!(
            path.starts_with(out_dir.join("chapters")) && path.is_file(),
            "result {href} should point to a chapter page"
        );
        let text = section_text(page, href);
        let text = text
            .as_str()
            .unwrap_or_else(|| panic!("`{query}`: the anchor of result {href} is not on its page"));
        if n == 0 {
            let text = text.to_lowercase();
            for word in query_words(query) {
                assert!(
                    text.contains(&word),
                    "`{query}`: the first result {href} should be a section holding `{word}`:\n{text}"
                );
            }
        }
    }
}

/// Local path of a `file://` URL (query and fragment dropped, percent-escapes decoded).
fn file_path(url: &str) -> PathBuf {
    let rest = url.strip_prefix("file://").expect("a file:// URL");
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    PathBuf::from(support::html::percent_decode(rest))
}

#[test]
fn notes_answer_the_six_queries_with_linked_sections() {
    let Some(browser) =
        support::browser_or_skip("notes_answer_the_six_queries_with_linked_sections")
    else {
        return;
    };
    let (_tmp, out_dir) = support::build_book(Path::new(NOTES));
    let page = browser.new_page().expect("open a browser tab");
    let index = support::file_url(&out_dir.join("index.html"));
    for query in [
        "存活探针",
        "持久卷",
        "污点",
        "Pod 调度",
        "livenessProbe",
        "kubectl",
    ] {
        check_query(&page, &index, query, &out_dir);
    }
    // The notes link to images they do not ship; anything else is a fault of the book.
    let problems: Vec<String> = page
        .problems()
        .expect("read the page's problems")
        .into_iter()
        .filter(|p| !p.contains("ERR_FILE_NOT_FOUND") || p.contains("/assets/"))
        .collect();
    assert!(
        problems.is_empty(),
        "the book reported problems in the browser:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn fixture_search_links_to_the_section_and_marks_the_words() {
    let Some(browser) = support::browser_or_skip("fixture_search_links_to_the_section") else {
        return;
    };
    let (_tmp, out_dir) = support::build_book(Path::new(FIXTURE));
    let page = browser.new_page().expect("open a browser tab");
    let index = support::file_url(&out_dir.join("index.html"));
    for (query, anchor, mark) in [
        ("持久卷", "持久卷声明", "持久卷"),
        ("ＰＶＣ", "持久卷声明", "PVC"),
        ("containerPort", "什么是-pod", "containerPort"),
        ("claimName", "挂载到-pod", "claimName"),
    ] {
        goto(&page, &with_query(&index, query));
        let found = results(&page);
        let first = links(&found)
            .first()
            .and_then(|l| l["raw"].as_str())
            .map(support::html::percent_decode)
            .unwrap_or_default();
        assert!(
            first.starts_with("chapters/") && first.to_lowercase().ends_with(&format!("#{anchor}")),
            "`{query}`: the first result should link to the section `{anchor}`, got {found}"
        );
        let marks: Vec<String> = serde_json::from_value(found["marks"].clone()).unwrap();
        assert!(
            marks.iter().any(|m| m == mark),
            "`{query}` should mark `{mark}`, got {marks:?}"
        );
    }
    goto(&page, &with_query(&index, "查无此词"));
    let found = results(&page);
    assert!(links(&found).is_empty(), "nothing should match: {found}");
    assert!(
        !found["message"].as_str().unwrap_or_default().is_empty(),
        "an empty search should say so: {found}"
    );
    assert_no_problems(&page);
}

#[test]
fn chapter_pages_search_too_and_results_open_their_section() {
    let Some(browser) = support::browser_or_skip("chapter_pages_search_too") else {
        return;
    };
    let (_tmp, out_dir) = support::build_book(Path::new(FIXTURE));
    let page = browser.new_page().expect("open a browser tab");
    let chapter = std::fs::read_dir(out_dir.join("chapters"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .min()
        .expect("a chapter page");
    goto(
        &page,
        &with_query(&support::file_url(&chapter), "Deployment"),
    );
    let found = results(&page);
    let raw = links(&found)[0]["raw"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        raw.starts_with("../chapters/"),
        "result links on a chapter page lead up a folder, got {raw:?}"
    );

    // Typing in the box shows results as you type; following one lands on its section.
    goto(&page, &support::file_url(&chapter));
    eval(&page, "document.getElementById('search-input').focus()");
    page.call("Input.insertText", json!({ "text": "PVC" }))
        .expect("type into the search box");
    let found = results(&page);
    let target = section_links(&found)
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("typing `PVC` should list a section, got {found}"));
    page.click_and_wait_load(RESULT_LINKS)
        .expect("follow the first result");
    let landed = eval(
        &page,
        "({ href: location.href, \
            exists: !!document.getElementById(decodeURIComponent(location.hash.slice(1))) })",
    );
    assert_eq!(landed["href"], target.as_str(), "{landed}");
    assert_eq!(landed["exists"], true, "{landed}");
    assert_no_problems(&page);
}

#[test]
fn slash_and_s_focus_the_search_box() {
    let Some(browser) = support::browser_or_skip("slash_and_s_focus_the_search_box") else {
        return;
    };
    let (_tmp, out_dir) = support::build_book(Path::new(FIXTURE));
    let page = browser.new_page().expect("open a browser tab");
    goto(&page, &support::file_url(&out_dir.join("index.html")));
    for (key, code) in [("/", "Slash"), ("s", "KeyS")] {
        eval(
            &page,
            "document.activeElement && document.activeElement.blur()",
        );
        for kind in ["keyDown", "keyUp"] {
            let mut event = json!({ "type": kind, "key": key, "code": code });
            if kind == "keyDown" {
                event["text"] = json!(key);
            }
            page.call("Input.dispatchKeyEvent", event)
                .expect("press a key");
        }
        let state = eval(
            &page,
            "({ focused: document.activeElement?.id ?? null, \
                value: document.getElementById('search-input').value })",
        );
        assert_eq!(
            state,
            json!({ "focused": "search-input", "value": "" }),
            "`{key}` should focus the empty search box without typing into it"
        );
    }
    assert_no_problems(&page);
}

#[test]
fn a_missing_index_is_reported_on_the_page_without_script_errors() {
    let Some(browser) = support::browser_or_skip("a_missing_index_is_reported") else {
        return;
    };
    let (_tmp, out_dir) = support::build_book(Path::new(FIXTURE));
    std::fs::remove_file(out_dir.join("assets/search-index.js")).expect("remove the index");
    let page = browser.new_page().expect("open a browser tab");
    goto(
        &page,
        &with_query(&support::file_url(&out_dir.join("index.html")), "Pod"),
    );
    let found = results(&page);
    assert!(links(&found).is_empty(), "{found}");
    assert!(
        !found["message"].as_str().unwrap_or_default().is_empty(),
        "the page should say the search is unavailable: {found}"
    );
    let problems = page.problems().expect("read the page's problems");
    assert!(
        problems.iter().all(|p| p.contains("search-index.js")),
        "only the missing index may be reported, got:\n  {}",
        problems.join("\n  ")
    );
}

/// The index of `notes_dir` built with `threads` worker threads.
fn index_built_with(notes_dir: &Path, threads: &str) -> Vec<u8> {
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    let out = tmp.path().join("output");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_studybook"))
        .args(["build", "--notes"])
        .arg(notes_dir)
        .arg("--out")
        .arg(&out)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("run the studybook binary")
        .status;
    assert!(status.success(), "building {} failed", notes_dir.display());
    std::fs::read(out.join("assets/search-index.js")).expect("the build writes the index")
}

#[test]
fn the_notes_index_is_a_small_script_independent_of_threads() {
    let notes = Path::new(NOTES);
    let one = index_built_with(notes, "1");
    let many = index_built_with(notes, "4");
    assert!(one == many, "the index differs between 1 and 4 threads");
    let text = String::from_utf8(one).expect("the index is UTF-8");
    assert!(
        text.starts_with("window.studybookSearchIndex={") && text.ends_with("};\n"),
        "the index is a script setting window.studybookSearchIndex"
    );
    let notes_bytes: u64 = std::fs::read_dir(notes)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    // Excerpts, not whole pages: the index stays within twice the size of the notes.
    assert!(
        (text.len() as u64) < 2 * notes_bytes,
        "the index has {} bytes for {notes_bytes} bytes of notes",
        text.len()
    );
}
