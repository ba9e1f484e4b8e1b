//! Minimal synchronous Chrome DevTools Protocol client that drives a headless Chromium in tests.
//!
//! One websocket to the browser carries everything: pages are attached with flattened
//! sessions (`Target.attachToTarget` with `flatten: true`) and commands carry a `sessionId`.
//! Events that arrive while a reply is awaited are queued, so nothing is lost; page problems
//! (uncaught exceptions, `console.error`, error log entries, failed loads) are recorded as
//! they pass by and can be read with [`Page::problems`].

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::env;
use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tempfile::TempDir;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

/// How long any single wait (launch, command reply, load event, condition) may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Environment variable naming the browser executable (a path, or a name looked up on `PATH`).
pub const CHROME_ENV: &str = "STUDYBOOK_CHROME";

/// Executable names tried on `PATH` when [`CHROME_ENV`] is not set.
pub const CHROME_NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

/// Flags for a quiet, offline, throwaway headless browser. The profile directory and the
/// start URL are appended by [`Browser::launch_at`].
pub const CHROME_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
    "--window-size=1280,900",
];

/// Most browsers alive at once in one test process (tests run on parallel threads).
const MAX_LIVE_BROWSERS: usize = 2;
/// Stderr lines of the browser kept for error messages.
const STDERR_TAIL_LINES: usize = 30;
/// Unclaimed events kept per connection; the oldest are dropped beyond this.
const MAX_QUEUED_EVENTS: usize = 10_000;
/// Pause between two evaluations in [`Page::wait_for`].
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// How long a browser gets to exit after `Browser.close` before it is killed.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Everything that can go wrong while talking to the browser.
#[derive(Clone, PartialEq)]
pub enum CdpError {
    /// The browser could not be started or did not print its websocket address.
    Launch(String),
    /// The websocket or the process failed.
    Transport(String),
    /// Nothing matching arrived in time.
    Timeout {
        waiting_for: String,
        after: Duration,
    },
    /// The browser answered a command with an error.
    Protocol { method: String, message: String },
    /// Evaluated JavaScript threw.
    Js { expression: String, message: String },
}

impl fmt::Display for CdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CdpError::Launch(msg) => write!(f, "cannot launch the browser: {msg}"),
            CdpError::Transport(msg) => write!(f, "devtools connection failed: {msg}"),
            CdpError::Timeout { waiting_for, after } => {
                write!(f, "timed out after {after:?} waiting for {waiting_for}")
            }
            CdpError::Protocol { method, message } => write!(f, "{method} failed: {message}"),
            CdpError::Js {
                expression,
                message,
            } => write!(
                f,
                "JavaScript threw: {message}\n  while evaluating: {expression}"
            ),
        }
    }
}

// Debug shows the readable text so that `expect`/`unwrap` panics explain themselves.
impl fmt::Debug for CdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for CdpError {}

pub type Result<T> = std::result::Result<T, CdpError>;

/// A protocol event, e.g. `Page.loadEventFired`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub method: String,
    /// The page session it belongs to; `None` for browser-level events.
    pub session_id: Option<String>,
    pub params: Value,
}

/// The websocket plus everything read from it that nobody has claimed yet.
struct Connection {
    socket: WebSocket<TcpStream>,
    next_id: u64,
    events: VecDeque<Event>,
    /// `(session id, description)` of every problem seen.
    problems: Vec<(Option<String>, String)>,
    /// Request id to URL, to name the URL of a failed load.
    request_urls: HashMap<String, String>,
}

impl Connection {
    fn open(ws_url: &str, timeout: Duration) -> Result<Connection> {
        let transport = |e: &dyn fmt::Display| CdpError::Transport(format!("{ws_url}: {e}"));
        let host_port = ws_url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| transport(&"not a ws:// URL"))?;
        let stream = TcpStream::connect(host_port).map_err(|e| transport(&e))?;
        stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .map_err(|e| transport(&e))?;
        stream.set_nodelay(true).map_err(|e| transport(&e))?;
        // Screenshots and PDFs arrive as single large messages.
        let config = WebSocketConfig::default()
            .max_message_size(None)
            .max_frame_size(None);
        let (socket, _response) =
            tungstenite::client::client_with_config(ws_url, stream, Some(config))
                .map_err(|e| transport(&e))?;
        Ok(Connection {
            socket,
            next_id: 1,
            events: VecDeque::new(),
            problems: Vec::new(),
            request_urls: HashMap::new(),
        })
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .map_err(|e| CdpError::Transport(format!("sending {method}: {e}")))?;
        Ok(id)
    }

    /// Next JSON message, or `None` once `deadline` has passed.
    fn read(&mut self, deadline: Instant) -> Result<Option<Value>> {
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let remaining = (deadline - now).max(Duration::from_millis(1));
            self.socket
                .get_mut()
                .set_read_timeout(Some(remaining))
                .map_err(|e| CdpError::Transport(e.to_string()))?;
            match self.socket.read() {
                Ok(Message::Text(text)) => {
                    return serde_json::from_str(text.as_str()).map(Some).map_err(|e| {
                        CdpError::Transport(format!("bad JSON from the browser: {e}: {text}"))
                    });
                }
                Ok(Message::Close(_)) => {
                    return Err(CdpError::Transport(
                        "the browser closed the websocket".into(),
                    ));
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(CdpError::Transport(e.to_string())),
            }
        }
    }

    /// Turns a message into an event (recording any problem it reports); `None` for replies.
    fn take_event(&mut self, message: Value) -> Option<Event> {
        let Value::Object(mut map) = message else {
            return None;
        };
        let Some(Value::String(method)) = map.remove("method") else {
            return None;
        };
        let session_id = match map.remove("sessionId") {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let params = map.remove("params").unwrap_or(Value::Null);
        let event = Event {
            method,
            session_id,
            params,
        };
        self.note_problem(&event);
        Some(event)
    }

    fn note_problem(&mut self, event: &Event) {
        let p = &event.params;
        let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
        let problem = match event.method.as_str() {
            "Runtime.exceptionThrown" => {
                let details = &p["exceptionDetails"];
                let message = details["exception"]["description"]
                    .as_str()
                    .or_else(|| details["text"].as_str())
                    .unwrap_or("unknown exception");
                let line = details["lineNumber"].as_u64().map_or(0, |n| n + 1);
                Some(format!(
                    "uncaught exception: {message} (at {}:{line})",
                    text(&details["url"])
                ))
            }
            "Runtime.consoleAPICalled"
                if matches!(p["type"].as_str(), Some("error" | "assert")) =>
            {
                let args: Vec<String> = p["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|arg| match &arg["value"] {
                        Value::String(s) => s.clone(),
                        Value::Null => text(&arg["description"]),
                        other => other.to_string(),
                    })
                    .collect();
                Some(format!("console.{}: {}", text(&p["type"]), args.join(" ")))
            }
            "Log.entryAdded" if p["entry"]["level"] == "error" => {
                let entry = &p["entry"];
                Some(format!(
                    "log error ({}): {} {}",
                    text(&entry["source"]),
                    text(&entry["text"]),
                    text(&entry["url"])
                ))
            }
            "Network.requestWillBeSent" => {
                if let (Some(id), Some(url)) =
                    (p["requestId"].as_str(), p["request"]["url"].as_str())
                {
                    self.request_urls.insert(id.to_owned(), url.to_owned());
                }
                None
            }
            // A load cancelled because the page navigated away is not a failure.
            "Network.loadingFailed" if p["canceled"] != true => {
                let url = p["requestId"]
                    .as_str()
                    .and_then(|id| self.request_urls.get(id))
                    .map_or("(unknown URL)", String::as_str);
                Some(format!(
                    "failed to load {} {url}: {}",
                    text(&p["type"]),
                    text(&p["errorText"])
                ))
            }
            _ => None,
        };
        if let Some(problem) = problem {
            self.problems.push((event.session_id.clone(), problem));
        }
    }

    fn queue(&mut self, event: Event) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// Sends a command and waits for its reply, queueing events that arrive meanwhile.
    fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value> {
        let id = self.send(session, method, params)?;
        let deadline = Instant::now() + timeout;
        loop {
            let Some(mut message) = self.read(deadline)? else {
                return Err(CdpError::Timeout {
                    waiting_for: format!("the reply to {method}"),
                    after: timeout,
                });
            };
            match message.get("id").and_then(Value::as_u64) {
                Some(reply_id) if reply_id == id => {
                    if let Some(error) = message.get("error") {
                        return Err(CdpError::Protocol {
                            method: method.to_owned(),
                            message: error["message"]
                                .as_str()
                                .map_or_else(|| error.to_string(), str::to_owned),
                        });
                    }
                    return Ok(message["result"].take());
                }
                // A late reply to an earlier command that timed out.
                Some(_) => {}
                None => {
                    if let Some(event) = self.take_event(message) {
                        self.queue(event);
                    }
                }
            }
        }
    }

    /// Removes and returns the first queued or incoming event of `session` that `wanted` accepts.
    fn wait_event(
        &mut self,
        session: Option<&str>,
        wanted: &dyn Fn(&Event) -> bool,
        description: &str,
        timeout: Duration,
    ) -> Result<Event> {
        let ours = |e: &Event| e.session_id.as_deref() == session && wanted(e);
        if let Some(index) = self.events.iter().position(ours) {
            return Ok(self.events.remove(index).expect("index from position"));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let Some(message) = self.read(deadline)? else {
                return Err(CdpError::Timeout {
                    waiting_for: description.to_owned(),
                    after: timeout,
                });
            };
            if let Some(event) = self.take_event(message) {
                if ours(&event) {
                    return Ok(event);
                }
                self.queue(event);
            }
        }
    }

    fn discard_events(&mut self, session: Option<&str>, method: &str) {
        self.events
            .retain(|e| !(e.session_id.as_deref() == session && e.method == method));
    }
}

/// Limits how many browsers one test process runs at the same time.
static LIVE_BROWSERS: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

struct BrowserSlot;

impl BrowserSlot {
    fn acquire() -> BrowserSlot {
        let (count, freed) = &LIVE_BROWSERS;
        let mut live = count.lock().unwrap_or_else(|e| e.into_inner());
        while *live >= MAX_LIVE_BROWSERS {
            live = freed.wait(live).unwrap_or_else(|e| e.into_inner());
        }
        *live += 1;
        BrowserSlot
    }
}

impl Drop for BrowserSlot {
    fn drop(&mut self) {
        let (count, freed) = &LIVE_BROWSERS;
        *count.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        freed.notify_one();
    }
}

/// The browser process and its profile directory; dropping it ends both.
struct BrowserProcess {
    child: Child,
    profile: Option<TempDir>,
}

impl BrowserProcess {
    /// Waits up to `grace` for a clean exit, then kills the whole process group.
    fn stop(&mut self, grace: Duration) {
        let deadline = Instant::now() + grace;
        let exited = loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break true,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => break false,
            }
        };
        if !exited {
            // The browser leads its own process group (see `launch_at`): take the
            // renderers and utility processes down with it, then reap the leader.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for BrowserProcess {
    fn drop(&mut self) {
        self.stop(Duration::ZERO);
        if let Some(profile) = self.profile.take() {
            let _ = profile.close();
        }
    }
}

/// A running headless browser, stopped (and its profile removed) on drop.
pub struct Browser {
    connection: RefCell<Connection>,
    process: BrowserProcess,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    timeout: Duration,
    executable: PathBuf,
    _slot: BrowserSlot,
}

impl Browser {
    /// Finds the browser executable: [`CHROME_ENV`] if set, else the first of
    /// [`CHROME_NAMES`] on `PATH`.
    ///
    /// # Panics
    /// When [`CHROME_ENV`] is set but names no executable file: a wrong setting should not
    /// silently skip tests.
    pub fn find() -> Option<PathBuf> {
        if let Some(chosen) = env::var_os(CHROME_ENV).filter(|v| !v.is_empty()) {
            let chosen = PathBuf::from(chosen);
            let found = if chosen.components().count() > 1 {
                is_executable(&chosen).then_some(chosen.clone())
            } else {
                search_path(&chosen)
            };
            return Some(found.unwrap_or_else(|| {
                panic!(
                    "{CHROME_ENV}={} is not an executable file (nor a name found on PATH)",
                    chosen.display()
                )
            }));
        }
        CHROME_NAMES
            .iter()
            .find_map(|name| search_path(Path::new(name)))
    }

    /// Launches the browser found by [`Browser::find`]; `None` when there is none.
    ///
    /// # Panics
    /// When a browser is found but cannot be started: that is a broken setup, not a skip.
    pub fn launch() -> Option<Browser> {
        let executable = Browser::find()?;
        Some(Browser::launch_at(&executable).unwrap_or_else(|e| panic!("{e}")))
    }

    /// Starts `executable` headless on a fresh profile and connects to it.
    pub fn launch_at(executable: &Path) -> Result<Browser> {
        let slot = BrowserSlot::acquire();
        let timeout = DEFAULT_TIMEOUT;
        let profile = tempfile::Builder::new()
            .prefix("studybook-chromium-")
            .tempdir()
            .map_err(|e| CdpError::Launch(format!("cannot create a profile directory: {e}")))?;
        let mut command = Command::new(executable);
        command
            .args(CHROME_FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command
            .spawn()
            .map_err(|e| CdpError::Launch(format!("{}: {e}", executable.display())))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut process = BrowserProcess {
            child,
            profile: Some(profile),
        };

        // Keep draining stderr for the browser's whole life so it never blocks on a full
        // pipe; hand over the websocket address and keep the last lines for error messages.
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let (address_tx, address_rx) = mpsc::channel();
        let tail = Arc::clone(&stderr_tail);
        thread::spawn(move || {
            let mut address_tx = Some(address_tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("DevTools listening on ") {
                    let url = line[at + "DevTools listening on ".len()..]
                        .trim()
                        .to_owned();
                    if let Some(tx) = address_tx.take() {
                        let _ = tx.send(url);
                    }
                }
                let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
                if tail.len() == STDERR_TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });

        let ws_url = match address_rx.recv_timeout(timeout) {
            Ok(url) => url,
            Err(reason) => {
                let why = match reason {
                    mpsc::RecvTimeoutError::Timeout => {
                        format!("no websocket address within {timeout:?}")
                    }
                    mpsc::RecvTimeoutError::Disconnected => {
                        "it exited before printing its websocket address".into()
                    }
                };
                process.stop(Duration::ZERO);
                return Err(CdpError::Launch(format!(
                    "{}: {why}{}",
                    executable.display(),
                    format_tail(&stderr_tail)
                )));
            }
        };
        let connection = Connection::open(&ws_url, timeout)
            .map_err(|e| CdpError::Launch(format!("{e}{}", format_tail(&stderr_tail))));
        let connection = match connection {
            Ok(connection) => connection,
            Err(e) => {
                process.stop(Duration::ZERO);
                return Err(e);
            }
        };
        Ok(Browser {
            connection: RefCell::new(connection),
            process,
            stderr_tail,
            timeout,
            executable: executable.to_owned(),
            _slot: slot,
        })
    }

    /// Path of the running executable.
    pub fn executable(&self) -> &Path {
        &self.executable
    }

    /// Default timeout of pages opened from now on.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Browser version string, e.g. `Chrome/120.0.6099.0`.
    pub fn version(&self) -> Result<String> {
        let result = self.call(None, "Browser.getVersion", json!({}), self.timeout)?;
        Ok(result["product"].as_str().unwrap_or_default().to_owned())
    }

    /// Opens a new blank tab with `Page`, `Runtime`, `Log` and `Network` events enabled.
    pub fn new_page(&self) -> Result<Page<'_>> {
        let created = self.call(
            None,
            "Target.createTarget",
            json!({ "url": "about:blank" }),
            self.timeout,
        )?;
        let target_id = created["targetId"].as_str().unwrap_or_default().to_owned();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
            self.timeout,
        )?;
        let session_id = attached["sessionId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let page = Page {
            browser: self,
            target_id,
            session_id,
            timeout: self.timeout,
        };
        for domain in ["Page", "Runtime", "Log", "Network"] {
            page.call(&format!("{domain}.enable"), json!({}))?;
        }
        Ok(page)
    }

    /// Sends a browser-level (`session == None`) or page-level command and returns its result.
    pub fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value> {
        self.connection
            .borrow_mut()
            .call(session, method, params, timeout)
            .map_err(|e| self.explain(e))
    }

    /// Adds the browser's last stderr lines to transport failures (a crash shows there).
    fn explain(&self, error: CdpError) -> CdpError {
        match error {
            CdpError::Transport(msg) => {
                CdpError::Transport(format!("{msg}{}", format_tail(&self.stderr_tail)))
            }
            other => other,
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let closed = self.connection.get_mut().call(
            None,
            "Browser.close",
            json!({}),
            Duration::from_secs(2),
        );
        let grace = if closed.is_ok() {
            CLOSE_GRACE
        } else {
            Duration::ZERO
        };
        self.process.stop(grace);
    }
}

/// One tab, attached through a flattened session. Closed on drop.
pub struct Page<'b> {
    browser: &'b Browser,
    target_id: String,
    session_id: String,
    timeout: Duration,
}

impl Page<'_> {
    /// Timeout of every later wait on this page.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends a command in this page's session and returns its result.
    pub fn call(&self, method: &str, params: Value) -> Result<Value> {
        self.browser
            .call(Some(&self.session_id), method, params, self.timeout)
    }

    /// Waits for the next event `method` of this page (queued ones first).
    pub fn wait_event(&self, method: &str, timeout: Duration) -> Result<Event> {
        let waited = self.browser.connection.borrow_mut().wait_event(
            Some(&self.session_id),
            &|e| e.method == method,
            method,
            timeout,
        );
        waited.map_err(|e| match e {
            CdpError::Timeout { waiting_for, after } => CdpError::Timeout {
                waiting_for: format!("{waiting_for} on {}", self.describe()),
                after,
            },
            other => self.browser.explain(other),
        })
    }

    /// Navigates to `url` and waits for its load event.
    pub fn goto(&self, url: &str) -> Result<()> {
        self.forget_loads();
        let result = self.call("Page.navigate", json!({ "url": url }))?;
        if let Some(error) = result["errorText"].as_str().filter(|s| !s.is_empty()) {
            return Err(CdpError::Protocol {
                method: format!("Page.navigate to {url}"),
                message: error.to_owned(),
            });
        }
        self.wait_load()
    }

    /// Evaluates `expression` (awaiting a returned promise) and returns its value as JSON
    /// (`null` for `undefined` and for values that have no JSON form).
    pub fn eval(&self, expression: &str) -> Result<Value> {
        let mut result = self.call(
            "Runtime.evaluate",
            json!({
                "expression": expression,
                "returnByValue": true,
                "awaitPromise": true,
                "userGesture": true,
            }),
        )?;
        if let Some(details) = result.get("exceptionDetails") {
            let message = details["exception"]["description"]
                .as_str()
                .or_else(|| details["text"].as_str())
                .unwrap_or("unknown exception");
            return Err(CdpError::Js {
                expression: expression.to_owned(),
                message: message.to_owned(),
            });
        }
        Ok(result["result"]["value"].take())
    }

    /// Clicks the first element matching `selector` (through `el.click()`); fails if none.
    pub fn click(&self, selector: &str) -> Result<()> {
        let selector_js = Value::String(selector.to_owned()).to_string();
        self.eval(&format!(
            "(() => {{ const el = document.querySelector({selector_js}); \
             if (!el) throw new Error('no element matches ' + {selector_js}); \
             el.click(); return true; }})()"
        ))
        .map(drop)
    }

    /// Clicks like [`Page::click`] and waits for the load event of the navigation it starts.
    pub fn click_and_wait_load(&self, selector: &str) -> Result<()> {
        self.forget_loads();
        self.click(selector)?;
        self.wait_load()
    }

    /// Polls `condition` (a JavaScript expression) until it is truthy and returns its value.
    /// Exceptions while polling count as "not yet"; the last one is reported on timeout.
    pub fn wait_for(&self, condition: &str, timeout: Duration) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.eval(condition) {
                Ok(value) if truthy(&value) => return Ok(value),
                Ok(value) => format!("last value: {value}"),
                Err(CdpError::Js { message, .. }) => format!("last exception: {message}"),
                Err(other) => return Err(other),
            };
            if Instant::now() >= deadline {
                return Err(CdpError::Timeout {
                    waiting_for: format!("`{condition}` on {} ({last})", self.describe()),
                    after: timeout,
                });
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// `location.href` of the page.
    pub fn url(&self) -> Result<String> {
        Ok(self
            .eval("location.href")?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// `Page.printToPDF` with `params` (e.g. `{"printBackground": true}`); the PDF bytes.
    pub fn print_to_pdf(&self, params: Value) -> Result<Vec<u8>> {
        let result = self.call("Page.printToPDF", params)?;
        decode_data("Page.printToPDF", &result)
    }

    /// A PNG screenshot of the viewport.
    pub fn screenshot_png(&self) -> Result<Vec<u8>> {
        let result = self.call("Page.captureScreenshot", json!({ "format": "png" }))?;
        decode_data("Page.captureScreenshot", &result)
    }

    /// Problems this page reported so far: uncaught exceptions, `console.error`/`assert`,
    /// error log entries (which include failed resource loads) and failed network loads.
    pub fn problems(&self) -> Result<Vec<String>> {
        // A round trip makes sure every event sent before it has been read.
        self.call("Runtime.evaluate", json!({ "expression": "0" }))?;
        let connection = self.browser.connection.borrow();
        Ok(connection
            .problems
            .iter()
            .filter(|(session, _)| session.as_deref() == Some(self.session_id.as_str()))
            .map(|(_, problem)| problem.clone())
            .collect())
    }

    fn wait_load(&self) -> Result<()> {
        self.wait_event("Page.loadEventFired", self.timeout)?;
        Ok(())
    }

    /// Drops load events nobody waited for, so the next wait sees a fresh one.
    fn forget_loads(&self) {
        self.browser
            .connection
            .borrow_mut()
            .discard_events(Some(&self.session_id), "Page.loadEventFired");
    }

    fn describe(&self) -> String {
        // Asking the page could itself fail or hang; the target's URL is enough.
        match self.browser.call(
            None,
            "Target.getTargetInfo",
            json!({ "targetId": self.target_id }),
            Duration::from_secs(2),
        ) {
            Ok(info) => format!("page {}", info["targetInfo"]["url"].as_str().unwrap_or("?")),
            Err(_) => "the page".to_owned(),
        }
    }
}

impl Drop for Page<'_> {
    fn drop(&mut self) {
        let _ = self.browser.call(
            None,
            "Target.closeTarget",
            json!({ "targetId": self.target_id }),
            Duration::from_secs(2),
        );
    }
}

/// JavaScript truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

fn decode_data(method: &str, result: &Value) -> Result<Vec<u8>> {
    let data = result["data"].as_str().ok_or_else(|| CdpError::Protocol {
        method: method.to_owned(),
        message: "reply has no data".into(),
    })?;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| CdpError::Protocol {
            method: method.to_owned(),
            message: format!("bad base64 data: {e}"),
        })
}

fn format_tail(tail: &Mutex<VecDeque<String>>) -> String {
    let tail = tail.lock().unwrap_or_else(|e| e.into_inner());
    if tail.is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
    format!(
        "\n  browser stderr (last lines):\n    {}",
        lines.join("\n    ")
    )
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn search_path(name: &Path) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}
