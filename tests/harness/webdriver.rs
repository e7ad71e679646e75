//! A small W3C WebDriver client for Debian's headless Chromium, spoken over
//! HTTP with reqwest: enough for the console's browser tests.
//!
//! [`Driver::start`] runs `chromedriver` (`AUTOBOOK_CHROMEDRIVER`, default
//! `/usr/bin/chromedriver`) on a free local port; [`Driver::session`] opens a
//! headless Chromium (`AUTOBOOK_CHROMIUM`, default `/usr/bin/chromium`) with a
//! fresh profile. `infra/up.sh` installs both.
//!
//! Tests end a session with [`Browser::close`]. Chromium outlives a killed
//! chromedriver, so a [`Browser`] dropped unclosed (a failing test) deletes
//! its session with a blocking request, and chromedriver runs until its
//! [`Driver`] and every [`Browser`] are gone. Nothing sleeps: chromedriver's
//! start is read from its output, [`Browser::wait_for`] is the driver's own
//! implicit wait, and [`Browser::wait_until_text`] a mutation observer in the
//! page.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

/// The key under which WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Answers (through the last argument) the text of the first element
/// matching the selector once it contains the needle, checking at once and
/// on every change of the document.
const WATCH_TEXT: &str = r#"
const [css, needle, done] = arguments;
const seen = () => {
  const element = document.querySelector(css);
  return element && element.innerText.includes(needle) ? element.innerText : null;
};
const now = seen();
if (now !== null) { done(now); return; }
const observer = new MutationObserver(() => {
  const text = seen();
  if (text !== null) { observer.disconnect(); done(text); }
});
observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"#;
/// How long chromedriver may take to report itself ready.
const STARTUP: Duration = Duration::from_secs(20);
/// Upper bound on any single WebDriver command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Chromium's switches, besides its profile (`--user-data-dir`).
const CHROMIUM_ARGS: &str = "--headless=new --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --disable-dev-shm-usage --window-size=1280,900";

fn path_from_env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// The chromedriver process (killed when the last holder drops it) and the
/// directory of its sessions' profiles.
struct Process {
    _child: Child,
    address: SocketAddr,
    profiles: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profiles);
    }
}

/// A running chromedriver.
pub struct Driver {
    process: Arc<Process>,
    http: reqwest::Client,
}

impl Driver {
    /// Starts chromedriver on a free port and waits (at most 20 s) until it
    /// reports itself ready.
    pub async fn start() -> anyhow::Result<Driver> {
        let program = path_from_env("AUTOBOOK_CHROMEDRIVER", "/usr/bin/chromedriver");
        let address = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("find a free port for chromedriver")?;
        let mut child = Command::new(&program)
            .arg(format!("--port={}", address.port()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start {program} (is chromium-driver installed?)"))?;
        autobook_flags::launchdarkly::install_crypto_provider();
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(COMMAND_TIMEOUT)
            .build()
            .context("build the WebDriver HTTP client")?;
        // chromedriver says on stdout when it listens; the rest of its
        // output is drained so that it never blocks on a full pipe.
        let stdout = child.stdout.take().context("chromedriver's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let started = tokio::time::timeout(STARTUP, async {
            while let Some(line) = lines.next_line().await? {
                if line.contains("started successfully") {
                    return Ok(true);
                }
            }
            Ok::<bool, std::io::Error>(false)
        })
        .await;
        match started {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => bail!("{program} exited during startup: {:?}", child.try_wait()?),
            Ok(Err(error)) => bail!("reading {program}'s output: {error}"),
            Err(_) => bail!("{program} on {address} did not start within {STARTUP:?}"),
        }
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let status: Value = http
            .get(format!("http://{address}/status"))
            .send()
            .await
            .with_context(|| format!("{program} on {address}: no status"))?
            .json()
            .await
            .with_context(|| format!("{program} on {address}: status not JSON"))?;
        if status["value"]["ready"] != json!(true) {
            bail!("{program} on {address} says it is not ready: {status}");
        }
        let profiles = std::env::temp_dir().join(format!(
            "autobook-webdriver-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let process = Arc::new(Process {
            _child: child,
            address,
            profiles,
        });
        Ok(Driver { process, http })
    }

    /// Opens a headless Chromium with a fresh profile.
    pub async fn session(&self) -> anyhow::Result<Browser> {
        let binary = path_from_env("AUTOBOOK_CHROMIUM", "/usr/bin/chromium");
        let profile = self
            .process
            .profiles
            .join(uuid::Uuid::new_v4().simple().to_string());
        std::fs::create_dir_all(&profile)
            .with_context(|| format!("create the browser profile {}", profile.display()))?;
        let mut args: Vec<String> = CHROMIUM_ARGS.split_whitespace().map(String::from).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": binary, "args": args},
        }}});
        let created = self
            .session_at("/session".into())
            .post("", capabilities)
            .await
            .context("open a browser session")?;
        let id = created["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("new session answered without a sessionId: {created}"))?;
        Ok(Browser {
            session: self.session_at(format!("/session/{id}")),
            profile,
            closed: false,
            _process: self.process.clone(),
        })
    }

    fn session_at(&self, path: String) -> Session {
        let (http, address) = (self.http.clone(), self.process.address);
        Session {
            http,
            address,
            path,
        }
    }
}

/// Sends commands under one session (`/session/{id}`).
#[derive(Clone)]
struct Session {
    http: reqwest::Client,
    address: SocketAddr,
    path: String,
}

impl Session {
    /// Runs one command; returns its `value` or an error carrying the
    /// WebDriver `error` and `message` and the command that failed.
    async fn command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let what = format!("WebDriver {method} {}{path}", self.path);
        let mut request = self.http.request(
            method,
            format!("http://{}{}{path}", self.address, self.path),
        );
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{what}: no answer"))?;
        let status = response.status();
        let mut answer: Value = response
            .json()
            .await
            .with_context(|| format!("{what}: answered {status} without JSON"))?;
        let value = answer["value"].take();
        if status.is_success() {
            return Ok(value);
        }
        let error = value["error"].as_str().unwrap_or("unknown error");
        let message = value["message"].as_str().unwrap_or("");
        bail!("{what} failed ({status}): {error}: {message}")
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.command(Method::GET, path, None).await
    }

    async fn get_string(&self, path: &str) -> anyhow::Result<String> {
        match self.get(path).await? {
            Value::String(text) => Ok(text),
            other => bail!(
                "WebDriver GET {}{path} answered {other}, not a string",
                self.path
            ),
        }
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.command(Method::POST, path, Some(body)).await
    }

    /// A POST whose answer carries nothing.
    async fn act(&self, path: &str, body: Value) -> anyhow::Result<()> {
        self.post(path, body).await.map(drop)
    }

    fn element(&self, value: &Value) -> anyhow::Result<Element> {
        let id = value[ELEMENT_KEY]
            .as_str()
            .ok_or_else(|| anyhow!("not an element: {value}"))?;
        Ok(Element {
            session: self.clone(),
            id: id.to_owned(),
        })
    }

    /// The first element matching `css` under `from` ("" for the document).
    async fn find_from(&self, from: &str, css: &str) -> anyhow::Result<Element> {
        let found = self.post(&format!("{from}/element"), locator(css)).await;
        self.element(&found.with_context(|| format!("no element matches `{css}`"))?)
    }

    async fn find_all_from(&self, from: &str, css: &str) -> anyhow::Result<Vec<Element>> {
        let found = self.post(&format!("{from}/elements"), locator(css)).await;
        let found = found.with_context(|| format!("find elements matching `{css}`"))?;
        let references = found
            .as_array()
            .ok_or_else(|| anyhow!("find `{css}` answered {found}"))?;
        references
            .iter()
            .map(|reference| self.element(reference))
            .collect()
    }

    /// Deletes the session without a runtime (for `Drop`): a plain HTTP/1.1
    /// request, best effort.
    fn delete_blocking(&self) {
        use std::io::{Read, Write};
        let connected = std::net::TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        let Ok(mut stream) = connected else { return };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            self.path, self.address
        );
        if stream.write_all(request.as_bytes()).is_err() {
            return;
        }
        // chromedriver answers once Chromium has quit, and keeps the
        // connection open: wait for the end of the answer's headers.
        let (mut answer, mut chunk) = (Vec::new(), [0; 512]);
        while !answer.windows(4).any(|window| window == b"\r\n\r\n") {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(read) => answer.extend_from_slice(&chunk[..read]),
            }
        }
    }
}

fn locator(css: &str) -> Value {
    json!({"using": "css selector", "value": css})
}

/// One browser session (a headless Chromium). End it with [`Browser::close`].
pub struct Browser {
    session: Session,
    profile: PathBuf,
    closed: bool,
    _process: Arc<Process>,
}

impl Browser {
    /// Navigates to `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.session.act("/url", json!({"url": url})).await
    }

    pub async fn current_url(&self) -> anyhow::Result<String> {
        self.session.get_string("/url").await
    }

    pub async fn title(&self) -> anyhow::Result<String> {
        self.session.get_string("/title").await
    }

    /// The first element matching `css`; an error naming `css` if none does.
    pub async fn find(&self, css: &str) -> anyhow::Result<Element> {
        self.session.find_from("", css).await
    }

    /// Every element matching `css`, in document order.
    pub async fn find_all(&self, css: &str) -> anyhow::Result<Vec<Element>> {
        self.session.find_all_from("", css).await
    }

    pub async fn exists(&self, css: &str) -> anyhow::Result<bool> {
        Ok(!self.find_all(css).await?.is_empty())
    }

    /// The first element matching `css` once one does, at most `timeout`:
    /// the driver itself waits for it (its implicit wait, set for this
    /// search only).
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> anyhow::Result<Element> {
        self.set_implicit_wait(timeout).await?;
        let found = self.find(css).await;
        self.set_implicit_wait(Duration::ZERO).await?;
        match found {
            Ok(element) => Ok(element),
            Err(_) => {
                let url = self.url_for_errors().await;
                bail!("no element matched `{css}` within {timeout:?} on {url}")
            }
        }
    }

    async fn set_implicit_wait(&self, wait: Duration) -> anyhow::Result<()> {
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.session.act("/timeouts", json!({"implicit": ms})).await
    }

    /// The text of the first element matching `css` once it contains
    /// `needle`, at most `timeout`. The page is watched from inside (a
    /// mutation observer answers the moment the text changes); a page
    /// replaced meanwhile (a form's answer arriving) is watched anew.
    pub async fn wait_until_text(
        &self,
        css: &str,
        needle: &str,
        timeout: Duration,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ms = u64::try_from(left.as_millis()).unwrap_or(u64::MAX);
            self.session.act("/timeouts", json!({"script": ms})).await?;
            let watched = self
                .session
                .post(
                    "/execute/async",
                    json!({"script": WATCH_TEXT, "args": [css, needle]}),
                )
                .await;
            match watched {
                Ok(Value::String(text)) => return Ok(text),
                Ok(other) => bail!("watching `{css}` answered {other}"),
                // The document went away under the watcher (the driver ends
                // the script, as an error or a timeout): watch the new one.
                Err(_) if Instant::now() < deadline => continue,
                Err(error) => {
                    let url = self.url_for_errors().await;
                    let seen = match self.find(css).await {
                        Ok(element) => {
                            format!("its text is {:?}", element.text().await.unwrap_or_default())
                        }
                        Err(_) => "no such element".to_owned(),
                    };
                    bail!(
                        "`{css}` did not contain {needle:?} within {timeout:?} on {url} ({seen}; {error:#})"
                    );
                }
            }
        }
    }

    async fn url_for_errors(&self) -> String {
        self.current_url()
            .await
            .unwrap_or_else(|error| format!("<unknown URL: {error}>"))
    }

    pub async fn page_source(&self) -> anyhow::Result<String> {
        self.session.get_string("/source").await
    }

    /// A PNG of the viewport.
    pub async fn screenshot_png(&self) -> anyhow::Result<Vec<u8>> {
        let encoded = self.session.get_string("/screenshot").await?;
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .context("decode the screenshot")
    }

    pub async fn save_screenshot(&self, path: impl AsRef<Path>) -> anyhow::Result<()> {
        let (png, path) = (self.screenshot_png().await?, path.as_ref());
        std::fs::write(path, png).with_context(|| format!("write {}", path.display()))
    }

    /// Runs `script` as a function body with `args` (`arguments[i]`; pass
    /// elements with [`Element::as_arg`]); returns what it returns.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        self.session
            .post("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    pub async fn back(&self) -> anyhow::Result<()> {
        self.session.act("/back", json!({})).await
    }

    pub async fn refresh(&self) -> anyhow::Result<()> {
        self.session.act("/refresh", json!({})).await
    }

    pub async fn delete_cookies(&self) -> anyhow::Result<()> {
        self.session
            .command(Method::DELETE, "/cookie", None)
            .await
            .map(drop)
    }

    /// Ends the session (Chromium quits) and removes its profile.
    pub async fn close(mut self) -> anyhow::Result<()> {
        self.closed = true;
        let deleted = self.session.command(Method::DELETE, "", None).await;
        deleted.context("close the browser session")?;
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.closed {
            self.session.delete_blocking();
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// An element of the page it was found on.
#[derive(Clone)]
pub struct Element {
    session: Session,
    id: String,
}

impl Element {
    fn path(&self, command: &str) -> String {
        format!("/element/{}{command}", self.id)
    }

    /// The element as an argument of [`Browser::execute`].
    pub fn as_arg(&self) -> Value {
        json!({ELEMENT_KEY: self.id})
    }

    pub async fn click(&self) -> anyhow::Result<()> {
        self.session.act(&self.path("/click"), json!({})).await
    }

    pub async fn clear(&self) -> anyhow::Result<()> {
        self.session.act(&self.path("/clear"), json!({})).await
    }

    /// Types `text` into the element.
    pub async fn send_keys(&self, text: &str) -> anyhow::Result<()> {
        self.session
            .act(&self.path("/value"), json!({"text": text}))
            .await
    }

    /// The rendered (visible) text.
    pub async fn text(&self) -> anyhow::Result<String> {
        self.session.get_string(&self.path("/text")).await
    }

    /// The attribute `name`, `None` if the element has none.
    pub async fn attr(&self, name: &str) -> anyhow::Result<Option<String>> {
        let path = self.path(&format!("/attribute/{name}"));
        match self.session.get(&path).await? {
            Value::Null => Ok(None),
            Value::String(value) => Ok(Some(value)),
            other => bail!("attribute {name} answered {other}"),
        }
    }

    /// The DOM property `name` (e.g. `value`, `checked`).
    pub async fn property(&self, name: &str) -> anyhow::Result<Value> {
        self.session
            .get(&self.path(&format!("/property/{name}")))
            .await
    }

    pub async fn tag_name(&self) -> anyhow::Result<String> {
        self.session.get_string(&self.path("/name")).await
    }

    pub async fn is_enabled(&self) -> anyhow::Result<bool> {
        let enabled = self.session.get(&self.path("/enabled")).await?;
        enabled
            .as_bool()
            .ok_or_else(|| anyhow!("enabled answered {enabled}"))
    }

    /// The first descendant matching `css`; an error naming `css` if none.
    pub async fn find(&self, css: &str) -> anyhow::Result<Element> {
        self.session.find_from(&self.path(""), css).await
    }

    pub async fn find_all(&self, css: &str) -> anyhow::Result<Vec<Element>> {
        self.session.find_all_from(&self.path(""), css).await
    }
}
