//! `studybook serve`: the book built in memory and served on loopback; the notes folder and the
//! theme are watched, changed notes are rebuilt (unchanged ones come from the cache) and open pages
//! reload through a server-sent events channel. A build that fails keeps the last good book served
//! and shows its error over the page; warnings about the notes just changed show the same way.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::diagnostics::{Diagnostic, Fatal};
use crate::render::site::Site;
use crate::{BookCache, BuildOptions, PreparedBuild, Progress};

/// Where the live-reload channel and script are served.
pub const LIVE_PREFIX: &str = "/__studybook/";

/// What `serve` needs to know.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub build: BuildOptions,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

/// What the open pages are told after each build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// Counts the builds; a page reloads when it changes and there is no error.
    pub generation: u64,
    /// Why the last build failed (the last good book is still served).
    pub error: Option<String>,
    /// Warnings about the notes changed in the last build.
    pub warnings: Vec<String>,
    /// The pages that changed (paths from the root); `None` when every page should reload.
    pub pages: Option<Vec<String>>,
}

impl Status {
    fn to_json(&self) -> String {
        serde_json::json!({
            "generation": self.generation,
            "error": self.error,
            "warnings": self.warnings,
            "pages": self.pages,
        })
        .to_string()
    }
}

/// A page rebuilt alone: the edit it shows and its bytes.
type PageAlone = (u64, Arc<Vec<u8>>);

/// The server's state, shared by the watcher and the connections.
pub struct Server {
    options: ServeOptions,
    site: RwLock<Arc<Site>>,
    /// Pages rebuilt alone after an edit, served until a full build that read the edit lands:
    /// path → (edit number, bytes).
    overlay: RwLock<HashMap<String, PageAlone>>,
    /// Counts the edits seen.
    edits: AtomicU64,
    /// The book of the last good full build, to rebuild a changed chapter alone.
    last: Mutex<Option<Arc<PreparedBuild>>>,
    status: Mutex<Status>,
    changed: Condvar,
    cache: BookCache,
    pub progress: Progress,
}

/// The outcome of one build, for the terminal.
pub struct Rebuilt {
    pub took: Duration,
    /// Files whose bytes changed (pages and assets).
    pub pages_changed: usize,
    pub diagnostics: Vec<Diagnostic>,
    pub error: Option<Fatal>,
}

impl Server {
    pub fn new(options: ServeOptions) -> Arc<Server> {
        Arc::new(Server {
            options,
            site: RwLock::new(Arc::new(Site::default())),
            overlay: RwLock::new(HashMap::new()),
            edits: AtomicU64::new(0),
            last: Mutex::new(None),
            status: Mutex::new(Status::default()),
            changed: Condvar::new(),
            cache: BookCache::default(),
            progress: Progress::default(),
        })
    }

    /// Build the book; on success serve it, on failure keep the last good one. `changed` names
    /// the files that changed since the last build (their warnings are shown on the pages).
    pub fn rebuild(&self, changed: &BTreeSet<PathBuf>) -> Rebuilt {
        let start = Instant::now();
        // Edits up to here are read by this build.
        let edits_read = self.edits.load(Ordering::SeqCst);
        let result = crate::build_site_prepared(&self.options.build, &self.cache, &self.progress);
        let took = start.elapsed();
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        status.generation += 1;
        let outcome = match result {
            Ok((site, report, prepared)) => {
                let old = self.site.read().map(|s| s.clone()).unwrap_or_default();
                let mut overlay = self.overlay.write().unwrap_or_else(|e| e.into_inner());
                // What the open pages show: the page rebuilt alone, else the last build's.
                let shown = |path: &str| {
                    overlay
                        .get(path)
                        .map(|(_, b)| b.as_slice())
                        .or_else(|| old.files.get(path).map(Vec::as_slice))
                };
                let mut differ: Vec<&String> = site
                    .files
                    .iter()
                    .filter(|(path, bytes)| shown(path) != Some(bytes.as_slice()))
                    .map(|(path, _)| path)
                    .collect();
                differ.extend(old.files.keys().filter(|p| !site.files.contains_key(*p)));
                let pages_changed = differ.len();
                // A changed stylesheet or script of the theme reloads every page; the search
                // index and the chapter list are read when needed.
                let reload_all = old.files.is_empty()
                    || differ.iter().any(|p| {
                        !p.ends_with(".html")
                            && p.as_str() != crate::search::INDEX_PATH
                            && p.as_str() != "assets/toc.js"
                            && p.starts_with("assets/")
                    });
                status.pages = (!reload_all).then(|| {
                    differ
                        .iter()
                        .filter(|p| p.ends_with(".html"))
                        .map(|p| (*p).clone())
                        .collect()
                });
                overlay.retain(|_, (edit, _)| *edit > edits_read);
                drop(overlay);
                if let Ok(mut current) = self.site.write() {
                    *current = Arc::new(site);
                }
                if let Ok(mut last) = self.last.lock() {
                    *last = Some(Arc::new(prepared));
                }
                status.error = None;
                status.warnings = report
                    .diagnostics
                    .iter()
                    .filter(|d| {
                        changed
                            .iter()
                            .any(|c| Path::new(&d.path) == c || c.ends_with(&d.path))
                    })
                    .map(ToString::to_string)
                    .collect();
                Rebuilt {
                    took,
                    pages_changed,
                    diagnostics: report.diagnostics,
                    error: None,
                }
            }
            Err(e) => {
                let mut text = e.fatal.0.to_string();
                for d in &e.diagnostics {
                    text.push('\n');
                    text.push_str(&d.to_string());
                }
                status.error = Some(text);
                status.warnings = Vec::new();
                status.pages = None;
                Rebuilt {
                    took,
                    pages_changed: 0,
                    diagnostics: e.diagnostics,
                    error: Some(e.fatal),
                }
            }
        };
        drop(status);
        self.changed.notify_all();
        outcome
    }

    /// Rebuild alone the chapters of the notes in `changed`, when every changed file is a note
    /// of the last good book, and serve them at once; the full build that follows brings the
    /// rest of the book up to date. Returns the pages rebuilt and the time taken, or `None` when
    /// only a full build will do.
    pub fn quick(&self, changed: &BTreeSet<PathBuf>) -> Option<(Vec<String>, Duration)> {
        let start = Instant::now();
        let last = self.last.lock().ok()?.clone()?;
        if changed.is_empty() {
            return None;
        }
        // Events name files by absolute path; the build names them from the notes folder as given.
        let notes = &self.options.build.notes_dir;
        let root = std::fs::canonicalize(notes).ok()?;
        let mut updates = Vec::new();
        for path in changed {
            let canonical = std::fs::canonicalize(path).ok()?;
            let rel = canonical.strip_prefix(&root).ok()?;
            if path.extension().is_none_or(|e| e != "md") || !canonical.is_file() {
                return None;
            }
            updates.push(last.update_chapter(&notes.join(rel), &self.cache)?);
        }
        let edit = self.edits.fetch_add(1, Ordering::SeqCst) + 1;
        let pages: Vec<String> = updates.iter().map(|u| u.path.clone()).collect();
        {
            let mut overlay = self.overlay.write().unwrap_or_else(|e| e.into_inner());
            for u in updates {
                overlay.insert(u.path, (edit, Arc::new(u.bytes)));
            }
        }
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        status.generation += 1;
        status.error = None;
        status.pages = Some(pages.clone());
        drop(status);
        self.changed.notify_all();
        Some((pages, start.elapsed()))
    }

    pub fn status(&self) -> Status {
        self.status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Serve connections from `listener` until the process ends.
    pub fn accept(self: &Arc<Self>, listener: TcpListener) {
        for stream in listener.incoming().flatten() {
            let server = Arc::clone(self);
            std::thread::spawn(move || {
                let _ = server.handle(stream);
            });
        }
    }

    fn handle(&self, mut stream: TcpStream) -> std::io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut reader = BufReader::new(stream.try_clone()?.take(16 * 1024));
        let mut request_line = String::new();
        reader.read_line(&mut request_line)?;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
                break;
            }
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        if method != "GET" && method != "HEAD" {
            return respond(
                &mut stream,
                405,
                "text/plain; charset=utf-8",
                b"GET only\n",
                method,
            );
        }
        let path = target.split(['?', '#']).next().unwrap_or("/");
        match path.strip_prefix(LIVE_PREFIX) {
            Some("events") => self.events(stream),
            Some("live.js") => respond(
                &mut stream,
                200,
                "text/javascript; charset=utf-8",
                LIVE_JS.as_bytes(),
                method,
            ),
            Some("status") => respond(
                &mut stream,
                200,
                "application/json",
                self.status().to_json().as_bytes(),
                method,
            ),
            _ => self.file(&mut stream, path, method),
        }
    }

    fn file(&self, stream: &mut TcpStream, path: &str, method: &str) -> std::io::Result<()> {
        let site = self.site.read().map(|s| s.clone()).unwrap_or_default();
        let mut rel =
            crate::render::print::percent_decode(path.trim_start_matches('/')).into_owned();
        if rel.is_empty() || rel.ends_with('/') {
            rel.push_str("index.html");
        }
        let rebuilt = self
            .overlay
            .read()
            .ok()
            .and_then(|o| o.get(&rel).map(|(_, b)| Arc::clone(b)));
        if let Some(bytes) = rebuilt {
            let html = with_live_script(&bytes);
            return respond(stream, 200, content_type(&rel), &html, method);
        }
        let found = site
            .files
            .get(&rel)
            .map(|b| (200, rel.as_str(), b))
            .or_else(|| {
                site.files
                    .get(&format!("{rel}/index.html"))
                    .map(|b| (200, "index.html", b))
            })
            .or_else(|| site.files.get("404.html").map(|b| (404, "404.html", b)));
        match found {
            Some((code, name, bytes)) => {
                let kind = content_type(name);
                if kind.starts_with("text/html") {
                    let html = with_live_script(bytes);
                    respond(stream, code, kind, &html, method)
                } else {
                    respond(stream, code, kind, bytes, method)
                }
            }
            None => {
                // No book yet: the first build failed. The page waits for a good build.
                let status = self.status();
                let body = format!(
                    "<!DOCTYPE html><meta charset=utf-8><title>studybook</title><body><h1>No book yet</h1><pre>{}</pre></body>",
                    crate::knowledge::html::escape(status.error.as_deref().unwrap_or("building…"))
                );
                let html = with_live_script(body.as_bytes());
                respond(stream, 503, "text/html; charset=utf-8", &html, method)
            }
        }
    }

    /// The live channel: the status now, then after every build; a comment every 15 s keeps it open.
    fn events(&self, mut stream: TcpStream) -> std::io::Result<()> {
        stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: keep-alive\r\n\r\n",
        )?;
        let mut seen = self.status();
        write!(stream, "event: status\ndata: {}\n\n", seen.to_json())?;
        stream.flush()?;
        loop {
            let guard = self.status.lock().unwrap_or_else(|e| e.into_inner());
            let (guard, timeout) = self
                .changed
                .wait_timeout_while(guard, Duration::from_secs(15), |s| {
                    s.generation == seen.generation
                })
                .unwrap_or_else(|e| e.into_inner());
            let now = guard.clone();
            drop(guard);
            if timeout.timed_out() && now.generation == seen.generation {
                stream.write_all(b": ping\n\n")?;
            } else {
                write!(stream, "event: status\ndata: {}\n\n", now.to_json())?;
                seen = now;
            }
            stream.flush()?;
        }
    }
}

/// The script served pages load to follow rebuilds; never part of a plain build.
const LIVE_JS: &str = r#"(function () {
  "use strict";
  var generation = null;
  function show(kind, text) {
    var box = document.getElementById("studybook-overlay");
    if (!text) { if (box) { box.remove(); } return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "studybook-overlay";
      box.setAttribute("role", "alert");
      box.addEventListener("click", function () { box.remove(); });
      document.body.appendChild(box);
    }
    box.className = kind;
    box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:45vh;overflow:auto;z-index:2147483647;" +
      "margin:0;padding:12px 16px;white-space:pre-wrap;font:13px/1.5 ui-monospace,Menlo,Consolas,monospace;cursor:pointer;" +
      (kind === "error" ? "background:#2d0b0b;color:#ffdcdc;border-top:3px solid #f85149" : "background:#2b2100;color:#fff2c2;border-top:3px solid #d29922");
    box.textContent = text;
  }
  // This page's path from the root, as the server names pages.
  var here = decodeURIComponent(window.location.pathname.replace(/^\/+/, ""));
  if (here === "" || /\/$/.test(here)) { here += "index.html"; }
  var source = new EventSource("/__studybook/events");
  source.addEventListener("status", function (event) {
    var status = JSON.parse(event.data);
    var mine = !status.pages || status.pages.indexOf(here) >= 0;
    if (generation !== null && status.generation !== generation && !status.error && !mine) {
      generation = status.generation;
      return;
    }
    if (generation !== null && status.generation !== generation && !status.error) {
      try { sessionStorage.setItem("studybook-warnings", JSON.stringify(status.warnings)); } catch (e) { /* storage off */ }
      window.location.reload();
      return;
    }
    generation = status.generation;
    if (status.error) {
      show("error", status.error);
    } else {
      var warnings = status.warnings;
      try {
        var kept = sessionStorage.getItem("studybook-warnings");
        if (kept) { warnings = JSON.parse(kept); sessionStorage.removeItem("studybook-warnings"); }
      } catch (e) { /* storage off */ }
      show("warning", warnings && warnings.length ? warnings.join("\n") : "");
    }
  });
})();
"#;

/// A served page with the live-reload script added before `</body>`.
fn with_live_script(html: &[u8]) -> Vec<u8> {
    let tag = format!("<script src=\"{LIVE_PREFIX}live.js\"></script>");
    let text = String::from_utf8_lossy(html);
    match text.rfind("</body>") {
        Some(at) => format!("{}{tag}{}", &text[..at], &text[at..]).into_bytes(),
        None => format!("{text}{tag}").into_bytes(),
    }
}

fn respond(
    stream: &mut TcpStream,
    code: u16,
    kind: &str,
    body: &[u8],
    method: &str,
) -> std::io::Result<()> {
    let reason = match code {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    write!(
        stream,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(body)?;
    }
    stream.flush()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The paths to watch: the notes folder, the theme folder and a config file outside the notes.
pub fn watched_paths(options: &BuildOptions) -> Vec<(PathBuf, bool)> {
    let mut paths = vec![(options.notes_dir.clone(), true)];
    if let Some(theme) = &options.theme_dir {
        paths.push((theme.clone(), true));
    }
    if let Some(config) = crate::config::find(&options.notes_dir)
        && !config.starts_with(&options.notes_dir)
    {
        paths.push((config, false));
    }
    paths
}

/// Bind the loopback port, or say clearly why not.
pub fn listen(port: u16) -> Result<TcpListener, Fatal> {
    TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        Fatal::new(
            format!("127.0.0.1:{port}"),
            format!("cannot listen on this address ({e}); is another server using it? Pick another with --port"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_script_goes_before_the_body_ends() {
        let html = with_live_script(b"<html><body><p>x</p></body></html>");
        assert_eq!(
            String::from_utf8(html).unwrap(),
            "<html><body><p>x</p><script src=\"/__studybook/live.js\"></script></body></html>"
        );
        assert!(
            String::from_utf8(with_live_script(b"<p>x"))
                .unwrap()
                .ends_with("live.js\"></script>")
        );
    }

    #[test]
    fn status_is_json_the_page_can_read() {
        let s = Status {
            generation: 3,
            error: Some("a.md:1:1: error: bad".into()),
            warnings: vec!["w".into()],
            pages: Some(vec!["chapters/a.html".into()]),
        };
        let v: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
        assert_eq!(v["generation"], 3);
        assert_eq!(v["error"], "a.md:1:1: error: bad");
        assert_eq!(v["warnings"][0], "w");
        assert_eq!(v["pages"][0], "chapters/a.html");
    }

    #[test]
    fn paths_decode() {
        assert_eq!(
            crate::render::print::percent_decode("chapters/%E5%AD%98.html"),
            "chapters/存.html"
        );
        assert_eq!(content_type("a.html"), "text/html; charset=utf-8");
    }
}
