//! Shared integration-test helpers: run the real binary, get a browser, make `file://` URLs.
#![allow(dead_code)]

pub mod cdp;
pub mod html;
pub mod http;

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use cdp::Browser;

/// Set to `1` to make a missing browser fail the browser tests instead of skipping them.
pub const BROWSER_TESTS_ENV: &str = "STUDYBOOK_BROWSER_TESTS";

/// A headless browser for `test_name`, or `None` (after saying so) when none is installed.
///
/// # Panics
/// When no browser is found but `STUDYBOOK_BROWSER_TESTS=1` demands the browser tests.
pub fn browser_or_skip(test_name: &str) -> Option<Browser> {
    if let Some(browser) = Browser::launch() {
        return Some(browser);
    }
    if std::env::var(BROWSER_TESTS_ENV).is_ok_and(|v| v == "1") {
        panic!(
            "{test_name}: {BROWSER_TESTS_ENV}=1 but no chromium found \
             (install Debian's chromium, or set {})",
            cdp::CHROME_ENV
        );
    }
    eprintln!(
        "skipping {test_name}: no chromium found (install Debian's chromium, or set {})",
        cdp::CHROME_ENV
    );
    None
}

/// Runs `studybook build --notes <notes_dir> --out <tmp>/output` with the real binary and
/// returns the temporary directory (keep it alive) and the output directory.
///
/// # Panics
/// When the build fails, showing its output.
pub fn build_book(notes_dir: &Path) -> (TempDir, PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("studybook-test-")
        .tempdir()
        .expect("create a temporary directory");
    let out_dir = tmp.path().join("output");
    let output = Command::new(env!("CARGO_BIN_EXE_studybook"))
        .arg("build")
        .arg("--notes")
        .arg(notes_dir)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("run the studybook binary");
    assert!(
        output.status.success(),
        "studybook build --notes {} --out {} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        notes_dir.display(),
        out_dir.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        out_dir.is_dir(),
        "studybook build succeeded but did not create {}",
        out_dir.display()
    );
    (tmp, out_dir)
}

/// Absolute `file://` URL of `path`, percent-encoding every byte outside the URL-safe set
/// (spaces, `%`, `#`, `?`, non-ASCII...).
pub fn file_url(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;

    let absolute = std::path::absolute(path)
        .unwrap_or_else(|e| panic!("cannot make {} absolute: {e}", path.display()));
    let mut url = String::from("file://");
    for &byte in absolute.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}
