//! `studybook pdf` end to end: the repository's notes printed by a real headless Chromium, the PDF
//! checked with poppler-utils (page count, text, outline).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::html::{attr_values, decode_entities, main_element};

/// The browser to print with, or `None` (after saying so) when none is installed.
fn chrome_or_skip(test_name: &str) -> Option<PathBuf> {
    let found = support::cdp::Browser::find();
    let tool = ["pdfinfo", "pdftotext", "pdftohtml"]
        .into_iter()
        .find(|t| Command::new(t).arg("-v").output().is_err());
    let missing = match (&found, tool) {
        (None, _) => "no chromium found (install Debian's chromium and fonts-noto-cjk)".to_string(),
        (_, Some(tool)) => format!("no {tool} found (install poppler-utils)"),
        (Some(_), None) => return found,
    };
    if std::env::var(support::BROWSER_TESTS_ENV).is_ok_and(|v| v == "1") {
        panic!(
            "{test_name}: {}=1 but {missing}",
            support::BROWSER_TESTS_ENV
        );
    }
    eprintln!("skipping {test_name}: {missing}");
    None
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("run a poppler tool");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Text without any whitespace: PDF text extraction breaks and spaces lines its own way.
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Text of the first link in or at every element of `html` whose class attribute is exactly `class`.
fn texts_of_class(html: &str, class: &str) -> Vec<String> {
    let mut texts = Vec::new();
    for marker in [format!("class={class}"), format!("class=\"{class}\"")] {
        for piece in html.split(&marker).skip(1) {
            if piece.starts_with(|c: char| c.is_alphanumeric() || c == '-') {
                continue;
            }
            let inner = piece.split("</a>").next().unwrap_or("");
            let text = inner.rsplit('>').next().unwrap_or("");
            texts.push(decode_entities(text));
        }
    }
    texts
}

#[test]
fn the_notes_print_to_a_pdf_with_every_chapter_and_an_outline() {
    let Some(chrome) = chrome_or_skip("the_notes_print_to_a_pdf_with_every_chapter_and_an_outline")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("output");
    let pdf = tmp.path().join("print/book.pdf");
    let notes = Path::new(env!("CARGO_MANIFEST_DIR")).join("notes");
    let start = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_studybook"))
        .arg("pdf")
        .arg("--notes")
        .arg(&notes)
        .arg("--out-dir")
        .arg(&out_dir)
        .arg("--out")
        .arg(&pdf)
        .arg("--chrome")
        .arg(&chrome)
        .output()
        .expect("run studybook pdf");
    let took = start.elapsed();
    assert!(
        output.status.success(),
        "studybook pdf failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(&pdf.display().to_string()),
        "the PDF path is not reported"
    );

    let info = run(Command::new("pdfinfo").arg(&pdf));
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in:\n{info}"));
    assert!(info.contains("A4"), "{info}");

    // Every chapter title (as the index lists them) is in the text and in the outline, and so are the
    // top headings of every chapter.
    let index = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    let titles = texts_of_class(main_element(&index), "chapter-link");
    assert_eq!(titles.len(), 5, "{titles:?}");
    let text = squash(&run(Command::new("pdftotext").arg(&pdf).arg("-")));
    let xml = run(Command::new("pdftohtml")
        .args(["-xml", "-i", "-q", "-stdout"])
        .arg(&pdf));
    let outline: Vec<String> = xml
        .split("<item")
        .skip(1)
        .filter_map(|s| s.split_once('>'))
        .map(|(_, rest)| squash(&decode_entities(rest.split("</item>").next().unwrap())))
        .collect();
    for title in &titles {
        assert!(
            text.contains(&squash(title)),
            "{title} is not in the PDF text"
        );
        assert!(
            outline.iter().any(|item| item.contains(&squash(title))),
            "{title} is not in the outline"
        );
    }
    let mut sections = 0;
    for href in attr_values(main_element(&index), "href")
        .iter()
        .filter(|h| h.starts_with("chapters/"))
    {
        let page =
            std::fs::read_to_string(out_dir.join(support::html::percent_decode(href))).unwrap();
        for heading in texts_of_class(&page, "toc-level-1") {
            sections += 1;
            assert!(
                outline.iter().any(|item| item.contains(&squash(&heading))),
                "section {heading} of {href} is not in the outline"
            );
        }
    }
    eprintln!(
        "studybook pdf: {pages} pages, {} outline entries ({sections} sections checked), {:.1} s",
        outline.len(),
        took.as_secs_f64()
    );
    assert!(pages >= 40, "only {pages} pages");
    assert!(
        outline.len() >= 30,
        "only {} outline entries",
        outline.len()
    );
    assert!(outline.len() >= titles.len() + sections);
    // Each bookmark names its heading once (a heading split by a page break would be named twice).
    let doubled: Vec<&String> = outline
        .iter()
        .filter(|item| {
            let chars: Vec<char> = item.chars().collect();
            let half = chars.len() / 2;
            chars.len() > 2 && chars.len().is_multiple_of(2) && chars[..half] == chars[half..]
        })
        .collect();
    assert!(
        doubled.is_empty(),
        "bookmarks with doubled text: {doubled:?}"
    );
    let leftovers = std::fs::read_dir(pdf.parent().unwrap()).unwrap().count();
    assert_eq!(leftovers, 1, "temporary files left beside the PDF");
}

#[test]
fn without_a_browser_pdf_fails_naming_what_to_install() {
    let tmp = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_studybook"))
        .arg("pdf")
        .arg("--notes")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nested"))
        .arg("--out-dir")
        .arg(tmp.path().join("output"))
        .env("PATH", tmp.path())
        .output()
        .expect("run studybook pdf");
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    for needed in ["chromium", "fonts-noto-cjk", "--chrome"] {
        assert!(err.contains(needed), "{needed} not named in: {err}");
    }
    assert!(
        !tmp.path().join("output").exists(),
        "built without a browser"
    );
}
