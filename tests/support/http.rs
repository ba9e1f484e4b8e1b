//! A small static file server for tests (a folder served under a URL prefix, as GitHub Pages serves a
//! project site under `/REPO/`), a plain HTTP GET, and URL resolution for crawling what it serves.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use super::html::percent_decode;

/// Serves `root` under `prefix` (`/REPO/`) on 127.0.0.1 until the test process ends. A missing file
/// gets status 404 with the body of `root/404.html`, like GitHub Pages.
pub struct StaticServer {
    pub port: u16,
}

impl StaticServer {
    pub fn start(root: &Path, prefix: &str) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().expect("local address").port();
        let root = root.to_path_buf();
        let prefix = prefix.to_string();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, prefix) = (root.clone(), prefix.clone());
                thread::spawn(move || {
                    let _ = serve(stream, &root, &prefix);
                });
            }
        });
        StaticServer { port }
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn serve(stream: TcpStream, root: &Path, prefix: &str) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = percent_decode(target.split(['?', '#']).next().unwrap_or("/"));
    let file = path
        .strip_prefix(prefix)
        .and_then(|rel| find_file(root, rel));
    let (status, body, kind) = match file {
        Some(file) => ("200 OK", std::fs::read(&file)?, content_type(&file)),
        None => (
            "404 Not Found",
            std::fs::read(root.join("404.html")).unwrap_or_default(),
            "text/html; charset=utf-8",
        ),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    stream.flush()
}

fn find_file(root: &Path, rel: &str) -> Option<PathBuf> {
    if rel.split('/').any(|part| part == "..") {
        return None;
    }
    let path = root.join(rel);
    let path = if path.is_dir() {
        path.join("index.html")
    } else {
        path
    };
    path.is_file().then_some(path)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("xml") => "application/xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// `GET url` (an `http://host:port/path` URL): the status code and the body.
pub fn get(url: &str) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect to {host}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        percent_encode(if path.is_empty() { "/" } else { path })
    )
    .unwrap();
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .unwrap_or_else(|e| panic!("read the response to {url}: {e}"));
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in the response to {url}"));
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line from {url}: {head}"));
    (status, response[split + 4..].to_vec())
}

/// Percent-encodes bytes that may not appear raw in a request target (non-ASCII, spaces...).
fn percent_encode(path: &str) -> String {
    let mut out = String::new();
    for &byte in path.as_bytes() {
        if byte.is_ascii_graphic() {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `reference` as found in the page at `base` (an absolute http URL), resolved to an absolute URL
/// without its fragment, and the fragment (percent-decoded); `None` for other schemes (`mailto:`...).
pub fn resolve(base: &str, reference: &str) -> Option<(String, Option<String>)> {
    let (reference, fragment) = match reference.split_once('#') {
        Some((r, f)) => (r, Some(percent_decode(f))),
        None => (reference, None),
    };
    let origin_end = base["http://".len()..]
        .find('/')
        .map_or(base.len(), |i| i + "http://".len());
    let (origin, base_path) = base.split_at(origin_end);
    let absolute = if reference.contains("://") {
        if !reference.starts_with("http://") && !reference.starts_with("https://") {
            return None;
        }
        reference.to_string()
    } else if reference.contains(':') && !reference.starts_with('/') {
        return None;
    } else if reference.starts_with('/') {
        format!("{origin}{}", normalize(reference))
    } else if reference.is_empty() {
        base.split(['?', '#']).next().unwrap_or(base).to_string()
    } else {
        let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        format!("{origin}{}", normalize(&format!("{dir}{reference}")))
    };
    Some((absolute, fragment))
}

fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let trailing = path.ends_with('/');
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = format!("/{}", parts.join("/"));
    if trailing && out != "/" {
        out.push('/');
    }
    out
}
