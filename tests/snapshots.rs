//! Snapshots of the `<main>` element of every page of a small book, un-minified, to review rendering changes.

mod support;

use std::path::Path;
use support::html::main_element;

#[test]
fn pages_of_the_snapshot_book() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshot_book");
    let loaded = studybook::load::read_notes(&dir).expect("read the fixture");
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let site = studybook::render_default_site(&loaded.notes).expect("render");
    // The print page and the 404 page are checked by the PDF and publishing tests.
    let pages: Vec<&String> = site
        .files
        .keys()
        .filter(|p| p.ends_with(".html") && !["print.html", "404.html"].contains(&p.as_str()))
        .collect();
    assert_eq!(
        pages,
        [
            "chapters/01-pods.html",
            "chapters/02-console.html",
            "comparisons.html",
            "glossary.html",
            "index.html",
            "review.html"
        ]
    );
    for page in pages {
        let html = String::from_utf8(site.files[page].clone()).unwrap();
        let name = page.replace(['/', '.'], "_");
        insta::assert_snapshot!(name, main_element(&html));
    }
}
