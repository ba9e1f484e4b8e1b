//! A book of many chapters: the sidebar's chapter list comes from one shared script instead of
//! being repeated in every page, and it still lists every chapter in the browser.

mod support;

use std::path::Path;

const CHAPTERS: usize = 230;

fn large_notes(dir: &Path) {
    for i in 0..CHAPTERS {
        std::fs::write(
            dir.join(format!("{i:03}-note.md")),
            format!("---\ntitle: 第 {i} 章 <b>&</b>\n---\n\n## 小节 {i}\n\nPod 是最小的调度单位，第 {i} 章。\n"),
        )
        .unwrap();
    }
}

#[test]
fn a_large_book_lists_its_chapters_once_in_a_shared_script() {
    let notes = tempfile::tempdir().unwrap();
    large_notes(notes.path());
    let (_tmp, out) = support::build_book(notes.path());
    let toc = std::fs::read_to_string(out.join("assets/toc.js")).expect("assets/toc.js");
    let json = toc
        .trim()
        .strip_prefix("window.studybookToc = ")
        .and_then(|t| t.strip_suffix(';'))
        .expect("a script that sets window.studybookToc");
    let list: Vec<(String, String)> = serde_json::from_str(json).unwrap();
    assert_eq!(list.len(), CHAPTERS);
    assert_eq!(list[7].1, "第 7 章 <b>&</b>");
    assert!(
        !toc.contains("</b>"),
        "markup in titles cannot end the script"
    );
    let page = std::fs::read_to_string(out.join("chapters/007-note.html")).unwrap();
    assert_eq!(
        page.matches("class=chapter-link").count(),
        0,
        "chapter pages do not repeat the list"
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.matches("class=chapter-link").count() >= CHAPTERS,
        "the index lists them all"
    );
}

#[test]
fn the_shared_chapter_list_fills_the_sidebar_in_the_browser() {
    let Some(browser) =
        support::browser_or_skip("the_shared_chapter_list_fills_the_sidebar_in_the_browser")
    else {
        return;
    };
    let notes = tempfile::tempdir().unwrap();
    large_notes(notes.path());
    let (_tmp, out) = support::build_book(notes.path());
    let page = browser.new_page().unwrap();
    page.goto(&support::file_url(&out.join("chapters/007-note.html")))
        .unwrap();
    let count = page
        .eval("document.querySelectorAll('nav#sidebar a.chapter-link').length")
        .unwrap();
    assert_eq!(count, serde_json::json!(CHAPTERS));
    let current = page
        .eval("document.querySelector('nav#sidebar a[aria-current=page]').textContent")
        .unwrap();
    assert_eq!(current, "第 7 章 <b>&</b>");
    page.click_and_wait_load("nav#sidebar li:nth-child(9) a.chapter-link")
        .unwrap();
    let title = page
        .eval("document.querySelector('h1.chapter-title').textContent")
        .unwrap();
    assert_eq!(title, "第 8 章 <b>&</b>");
    let problems = page.problems().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}
