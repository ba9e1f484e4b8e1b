//! `studybook pdf`: the print page printed to PDF by a headless Chromium, driven over the DevTools
//! protocol (one websocket, one page session), with a document outline and page numbers.
//!
//! Every wait has a deadline, and the browser and its temporary profile are removed on every path.

use crate::diagnostics::Fatal;
use base64::Engine as _;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

/// Browser executables looked for on `PATH`, in this order.
pub const BROWSER_NAMES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// How long each step may take.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Start-up until the browser prints its DevTools address.
    pub launch: Duration,
    /// One protocol command.
    pub command: Duration,
    /// Loading the page with its fonts and images.
    pub load: Duration,
    /// Laying out and printing the whole book.
    pub print: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            launch: Duration::from_secs(30),
            command: Duration::from_secs(30),
            load: Duration::from_secs(60),
            print: Duration::from_secs(300),
        }
    }
}

fn fail(message: impl Into<String>) -> Fatal {
    Fatal::new("studybook pdf", message)
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// The browser to print with: `chosen` (a path, or a name on `PATH`), else the first of
/// [`BROWSER_NAMES`] on `PATH`.
pub fn find_browser(chosen: Option<&Path>) -> Result<PathBuf, Fatal> {
    if let Some(chosen) = chosen {
        let found = if chosen.components().count() > 1 {
            is_executable(chosen).then(|| chosen.to_path_buf())
        } else {
            chosen.to_str().and_then(on_path)
        };
        return found.ok_or_else(|| {
            fail(format!(
                "--chrome {}: not an executable file (nor a program on PATH)",
                chosen.display()
            ))
        });
    }
    BROWSER_NAMES.iter().find_map(|name| on_path(name)).ok_or_else(|| {
        fail(format!(
            "no Chromium or Chrome found on PATH (looked for {}). Install one, with CJK fonts \
             (Debian/Ubuntu: `sudo apt-get install chromium fonts-noto-cjk`), or pass --chrome PATH",
            BROWSER_NAMES.join(", ")
        ))
    })
}

/// `file://` URL of an absolute path, percent-encoding everything outside the URL-safe set.
pub fn file_url(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut url = String::from("file://");
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// Print `html` (a page on disk) to the PDF file `pdf` with the browser `executable`.
/// Returns the size of the PDF in bytes.
pub fn print_to_pdf(
    html: &Path,
    pdf: &Path,
    executable: &Path,
    timeouts: Timeouts,
) -> Result<usize, Fatal> {
    let html = std::path::absolute(html).map_err(|e| fail(format!("{}: {e}", html.display())))?;
    if !html.is_file() {
        return Err(fail(format!("{}: no such page to print", html.display())));
    }
    let mut browser = Browser::launch(executable, timeouts)?;
    let bytes = browser.print(&file_url(&html))?;
    drop(browser);
    write_atomically(pdf, &bytes)?;
    Ok(bytes.len())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Fatal> {
    let display = path.display().to_string();
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| Fatal::new(&display, format!("cannot create its folder: {e}")))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".studybook-pdf-")
        .tempfile_in(parent)
        .map_err(|e| Fatal::new(&display, format!("cannot write: {e}")))?;
    std::io::Write::write_all(&mut temp, bytes)
        .map_err(|e| Fatal::new(&display, format!("cannot write: {e}")))?;
    temp.persist(path)
        .map_err(|e| Fatal::new(&display, format!("cannot write: {}", e.error)))?;
    Ok(())
}

/// A headless browser process with its own temporary profile. Dropping it closes the browser,
/// kills its process group if it lingers, and removes the profile.
struct Browser {
    child: Child,
    profile: Option<tempfile::TempDir>,
    socket: Option<WebSocket<TcpStream>>,
    next_id: u64,
    timeouts: Timeouts,
}

/// Whether this process runs as root, where Chromium's sandbox cannot start.
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

impl Browser {
    fn launch(executable: &Path, timeouts: Timeouts) -> Result<Browser, Fatal> {
        let profile = tempfile::Builder::new()
            .prefix("studybook-chromium-")
            .tempdir()
            .map_err(|e| fail(format!("cannot create a browser profile folder: {e}")))?;
        let mut command = Command::new(executable);
        command.args([
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--remote-debugging-port=0",
        ]);
        if running_as_root() {
            command.arg("--no-sandbox");
        }
        command
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command
            .spawn()
            .map_err(|e| fail(format!("cannot start {}: {e}", executable.display())))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut browser = Browser {
            child,
            profile: Some(profile),
            socket: None,
            next_id: 1,
            timeouts,
        };
        // Read stderr for the browser's whole life, so it never blocks on a full pipe.
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut tx = Some(tx);
            let mut tail: Vec<String> = Vec::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("DevTools listening on ") {
                    let url = line[at + "DevTools listening on ".len()..]
                        .trim()
                        .to_string();
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(Ok(url));
                    }
                } else if tx.is_some() && tail.len() < 20 {
                    tail.push(line);
                }
            }
            if let Some(tx) = tx {
                let _ = tx.send(Err(tail.join("\n  ")));
            }
        });
        let ws_url = match rx.recv_timeout(timeouts.launch) {
            Ok(Ok(url)) => url,
            Ok(Err(tail)) => {
                return Err(fail(format!(
                    "{} exited before it was ready:\n  {tail}",
                    executable.display()
                )));
            }
            Err(_) => {
                return Err(fail(format!(
                    "{} did not start within {:?}",
                    executable.display(),
                    timeouts.launch
                )));
            }
        };
        browser.socket = Some(connect(&ws_url, timeouts.command)?);
        Ok(browser)
    }

    /// Send `method` (in `session`, or to the browser) and wait up to `timeout` for its reply;
    /// events are not needed here and are skipped.
    fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, Fatal> {
        let socket = self
            .socket
            .as_mut()
            .ok_or_else(|| fail("the browser is not connected"))?;
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        socket
            .send(Message::text(message.to_string()))
            .map_err(|e| fail(format!("{method}: cannot talk to the browser: {e}")))?;
        let deadline = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(fail(format!(
                    "the browser did not answer {method} within {timeout:?}"
                )));
            }
            socket
                .get_mut()
                .set_read_timeout(Some(deadline - now))
                .map_err(|e| fail(e.to_string()))?;
            let text = match socket.read() {
                Ok(Message::Text(text)) => text,
                Ok(Message::Close(_)) => {
                    return Err(fail(format!("the browser went away during {method}")));
                }
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(fail(format!("{method}: connection to the browser: {e}"))),
            };
            let mut reply: Value = serde_json::from_str(text.as_str())
                .map_err(|e| fail(format!("{method}: bad reply from the browser: {e}")))?;
            if reply["id"].as_u64() != Some(id) {
                continue;
            }
            if let Some(error) = reply.get("error") {
                return Err(fail(format!(
                    "{method} failed: {}",
                    error["message"].as_str().unwrap_or("unknown error")
                )));
            }
            return Ok(reply["result"].take());
        }
    }

    /// Evaluate `expression` in the page (awaiting a promise) and return its value.
    fn eval(&mut self, session: &str, expression: &str) -> Result<Value, Fatal> {
        let timeout = self.timeouts.command;
        let mut result = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            timeout,
        )?;
        if let Some(details) = result.get("exceptionDetails") {
            return Err(fail(format!(
                "the page failed to evaluate `{expression}`: {}",
                details["exception"]["description"]
                    .as_str()
                    .or(details["text"].as_str())
                    .unwrap_or("exception")
            )));
        }
        Ok(result["result"]["value"].take())
    }

    /// Open `url` in a new page, wait until it and its fonts are loaded, and print it.
    fn print(&mut self, url: &str) -> Result<Vec<u8>, Fatal> {
        let t = self.timeouts;
        let target = self.call(
            None,
            "Target.createTarget",
            json!({ "url": "about:blank" }),
            t.command,
        )?;
        let target_id = target["targetId"].as_str().unwrap_or_default().to_string();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
            t.command,
        )?;
        let session = attached["sessionId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let s = Some(session.as_str());
        let navigated = self.call(s, "Page.navigate", json!({ "url": url }), t.command)?;
        if let Some(error) = navigated["errorText"].as_str().filter(|e| !e.is_empty()) {
            return Err(fail(format!("cannot open {url}: {error}")));
        }
        let deadline = Instant::now() + t.load;
        loop {
            let ready = self.eval(
                &session,
                "document.readyState === 'complete' && location.protocol === 'file:'",
            )?;
            if ready.as_bool() == Some(true) {
                break;
            }
            if Instant::now() >= deadline {
                return Err(fail(format!(
                    "{url} did not finish loading within {:?}",
                    t.load
                )));
            }
            thread::sleep(Duration::from_millis(50));
        }
        self.eval(&session, "document.fonts.ready.then(() => true)")?;
        let footer = "<div style=\"font-size:8px;width:100%;text-align:center;color:#555;\">\
                      <span class=\"pageNumber\"></span> / <span class=\"totalPages\"></span></div>";
        let printed = self.call(
            s,
            "Page.printToPDF",
            json!({
                "printBackground": true,
                "displayHeaderFooter": true,
                "headerTemplate": "<span></span>",
                "footerTemplate": footer,
                "paperWidth": 8.27,
                "paperHeight": 11.69,
                "marginTop": 0.6,
                "marginBottom": 0.7,
                "marginLeft": 0.6,
                "marginRight": 0.6,
                "preferCSSPageSize": true,
                "generateTaggedPDF": true,
                "generateDocumentOutline": true,
                "transferMode": "ReturnAsStream",
            }),
            t.print,
        )?;
        let handle = printed["stream"]
            .as_str()
            .ok_or_else(|| fail("Page.printToPDF returned no stream"))?
            .to_string();
        let mut pdf = Vec::new();
        loop {
            let chunk = self.call(
                s,
                "IO.read",
                json!({ "handle": handle, "size": 1 << 20 }),
                t.command,
            )?;
            let data = chunk["data"].as_str().unwrap_or_default();
            if chunk["base64Encoded"].as_bool() == Some(true) {
                pdf.extend(
                    base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .map_err(|e| fail(format!("bad PDF data from the browser: {e}")))?,
                );
            } else {
                pdf.extend_from_slice(data.as_bytes());
            }
            if chunk["eof"].as_bool() != Some(false) {
                break;
            }
        }
        let _ = self.call(s, "IO.close", json!({ "handle": handle }), t.command);
        if !pdf.starts_with(b"%PDF") {
            return Err(fail("the browser did not produce a PDF"));
        }
        Ok(pdf)
    }
}

fn connect(ws_url: &str, timeout: Duration) -> Result<WebSocket<TcpStream>, Fatal> {
    let bad =
        |e: &dyn std::fmt::Display| fail(format!("cannot connect to the browser at {ws_url}: {e}"));
    let host = ws_url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| bad(&"not a ws:// address"))?;
    let address = host.parse::<std::net::SocketAddr>().map_err(|e| bad(&e))?;
    let stream = TcpStream::connect_timeout(&address, timeout).map_err(|e| bad(&e))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| bad(&e))?;
    let _ = stream.set_nodelay(true);
    let config = WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    let (socket, _) = tungstenite::client::client_with_config(ws_url, stream, Some(config))
        .map_err(|e| bad(&e))?;
    Ok(socket)
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.socket.is_some() {
            let _ = self.call(None, "Browser.close", json!({}), Duration::from_secs(2));
        }
        self.socket = None;
        let deadline = Instant::now() + Duration::from_secs(3);
        let exited = loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break true,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => break false,
            }
        };
        if !exited {
            // The browser leads its own process group: end its helpers with it.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(profile) = self.profile.take() {
            let _ = profile.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_browser_names_what_to_install() {
        let Err(Fatal(d)) = find_browser(Some(Path::new("/nonexistent/chromium"))) else {
            panic!("found a browser that does not exist");
        };
        assert!(d.message.contains("--chrome"), "{}", d.message);
    }

    #[test]
    fn file_urls_are_percent_encoded() {
        assert_eq!(
            file_url(Path::new("/tmp/a b/笔记.html")),
            "file:///tmp/a%20b/%E7%AC%94%E8%AE%B0.html"
        );
    }
}
