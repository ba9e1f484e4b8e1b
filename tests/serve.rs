//! `studybook serve` end to end: the real binary on a loopback port, real HTTP requests, the
//! live-reload channel, edits to the notes, and a real browser that reloads and shows errors.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `studybook serve`, stopped when dropped.
struct Served {
    child: Child,
    port: u16,
    _tmp: tempfile::TempDir,
    notes: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies the knowledge fixture into a temporary notes folder and serves it on a free port.
fn serve() -> Served {
    let tmp = tempfile::tempdir().unwrap();
    let notes = tmp.path().join("notes");
    std::fs::create_dir(&notes).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/knowledge_book");
    for entry in std::fs::read_dir(fixture).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, notes.join(path.file_name().unwrap())).unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_studybook"))
        .args(["serve", "--port", "0", "--notes"])
        .arg(&notes)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start studybook serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("serve prints where it serves");
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no loopback URL in {line:?}"));
    Served {
        child,
        port,
        _tmp: tmp,
        notes,
    }
}

/// GET `path`: status code and body.
fn get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

/// The live channel: each `status` event's data, as JSON.
struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    fn open(port: u16) -> Events {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "GET /__studybook/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        )
        .unwrap();
        Events {
            reader: BufReader::new(stream),
        }
    }

    /// The next event for which `wanted` holds (events in between are skipped).
    fn until(&mut self, wanted: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        loop {
            let event = self.next();
            if wanted(&event) {
                return event;
            }
        }
    }

    fn next(&mut self) -> serde_json::Value {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.reader.read_line(&mut line).expect("an event in time");
            assert!(n > 0, "the live channel closed");
            if let Some(data) = line.strip_prefix("data: ") {
                return serde_json::from_str(data.trim()).unwrap();
            }
        }
    }
}

#[test]
fn serve_rebuilds_on_change_and_keeps_the_last_good_book_when_a_build_fails() {
    let served = serve();
    let (code, index) = get(served.port, "/");
    assert_eq!(code, 200);
    assert!(
        index.contains("/__studybook/live.js"),
        "served pages load the live script"
    );
    let (code, page) = get(served.port, "/chapters/02-workloads.html");
    assert_eq!(code, 200);
    assert!(page.contains("StatefulSet"));
    let (code, _) = get(served.port, "/no/such/page");
    assert_eq!(code, 404);

    let mut events = Events::open(served.port);
    let first = events.next();
    assert!(first["error"].is_null(), "{first}");
    let generation = first["generation"].as_u64().unwrap();

    // An edit is rebuilt and announced; the served page has the new text.
    let note = served.notes.join("02-workloads.md");
    let mut text = std::fs::read_to_string(&note).unwrap();
    text.push_str("\n## 新增小节\n\n滚动更新在这里讲。\n");
    let started = Instant::now();
    std::fs::write(&note, &text).unwrap();
    // First the edited chapter alone: the event names its page, which has the edit.
    let quick = events.next();
    assert!(
        quick["generation"].as_u64().unwrap() > generation,
        "{quick}"
    );
    assert!(quick["error"].is_null(), "{quick}");
    assert_eq!(
        quick["pages"],
        serde_json::json!(["chapters/02-workloads.html"])
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "rebuilt in {:?}",
        started.elapsed()
    );
    let (_, page) = get(served.port, "/chapters/02-workloads.html");
    assert!(
        page.contains("滚动更新在这里讲"),
        "the served page has the edit"
    );
    // Then the whole book: the new section is in the search index too.
    let full = events.next();
    assert!(full["error"].is_null(), "{full}");
    let (_, index) = get(served.port, "/assets/search-index.js");
    assert!(index.contains("新增小节"), "the search index has the edit");
    let (_, page) = get(served.port, "/chapters/02-workloads.html");
    assert!(page.contains("滚动更新在这里讲"));

    // A broken config fails the build: the error is announced with its place, the last good
    // book is still served.
    std::fs::write(served.notes.join("studybook.toml"), "title = [\n").unwrap();
    let failed = events.until(|e| !e["error"].is_null());
    let error = failed["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{failed}"));
    assert!(error.contains("studybook.toml:1:"), "{error}");
    let (code, page) = get(served.port, "/chapters/02-workloads.html");
    assert_eq!(code, 200);
    assert!(page.contains("滚动更新在这里讲"));

    // Fixed, the book is rebuilt and the error cleared.
    std::fs::remove_file(served.notes.join("studybook.toml")).unwrap();
    let fixed = events.until(|e| e["error"].is_null());
    assert!(fixed["error"].is_null(), "{fixed}");
}

#[test]
fn a_plain_build_has_no_live_reload_script() {
    let (_tmp, out) = support::build_book(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/knowledge_book"),
    );
    for entry in walkdir::WalkDir::new(&out) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "html") {
            let html = std::fs::read_to_string(entry.path()).unwrap();
            assert!(!html.contains("__studybook"), "{}", entry.path().display());
        }
    }
}

#[test]
fn open_pages_reload_after_an_edit_and_show_a_failed_build_over_the_page() {
    let Some(browser) = support::browser_or_skip(
        "open_pages_reload_after_an_edit_and_show_a_failed_build_over_the_page",
    ) else {
        return;
    };
    let served = serve();
    let page = browser.new_page().expect("a tab");
    page.goto(&format!(
        "http://127.0.0.1:{}/chapters/01-storage.html",
        served.port
    ))
    .expect("open a served chapter");
    page.wait_for(
        "typeof EventSource === 'function' && document.readyState === 'complete'",
        Duration::from_secs(10),
    )
    .unwrap();
    // Give the page a moment to open its live channel.
    std::thread::sleep(Duration::from_millis(500));
    let note = served.notes.join("01-storage.md");
    let mut text = std::fs::read_to_string(&note).unwrap();
    text.push_str("\n## 重新加载\n\n这一段是后来加的。\n");
    std::fs::write(&note, &text).unwrap();
    page.wait_for(
        "document.body.textContent.includes('这一段是后来加的')",
        Duration::from_secs(15),
    )
    .expect("the page reloads with the edit");

    std::fs::write(served.notes.join("studybook.toml"), "title = [\n").unwrap();
    let overlay = page
        .wait_for(
            "(document.getElementById('studybook-overlay') || {}).textContent || ''",
            Duration::from_secs(15),
        )
        .expect("the error shows over the page");
    assert!(
        overlay.as_str().unwrap_or("").contains("studybook.toml"),
        "{overlay}"
    );
    assert!(
        page.eval("document.body.textContent.includes('这一段是后来加的')")
            .unwrap()
            == serde_json::Value::Bool(true),
        "the last good page stays"
    );
}
