//! The operations console for a test: served on a free local port over a
//! test's database (and broker publisher), and a small HTTP client that
//! keeps the session cookie and reads the forms' hidden fields.

use std::net::SocketAddr;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use sqlx::PgPool;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use autobook_broker::Publisher;
use autobook_console::{Console, ConsoleSettings};
use autobook_vault::Keyring;

/// The local logins of a test: one per role.
pub const USERS: &str =
    "vera:viewer:vera-password,otto:operator:otto-password,sam:supervisor:sam-password";
/// The single sign-on proxy's secret, when a test uses one.
pub const PROXY_SECRET: &str = "a-proxy-secret-of-at-least-32-bytes!";

/// A console serving a test.
pub struct TestConsole {
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Serves the console over `pool` with [`USERS`] (and the proxy secret if
/// `proxy`), replays published with `publisher`.
pub async fn serve(
    pool: PgPool,
    vault: Keyring,
    publisher: Option<Publisher>,
    proxy: bool,
) -> TestConsole {
    let settings = ConsoleSettings {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        users: Some(USERS.to_owned()),
        proxy_secret: proxy.then(|| PROXY_SECRET.to_owned()),
        ..ConsoleSettings::default()
    };
    let console = Console {
        pool,
        vault,
        publisher,
        flags_in_postgres: true,
        access: settings.access().unwrap(),
    };
    let (listener, addr) = autobook_console::bind(settings.addr).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(autobook_console::serve(listener, console, async move {
        let _ = stopped.await;
    }));
    TestConsole {
        url: format!("http://{addr}"),
        stop: Some(stop),
        task: Some(task),
    }
}

impl TestConsole {
    /// Stops serving and waits for the server to end.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// A client with no session.
    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    /// A client signed in as `name` (one of [`USERS`]).
    pub async fn signed_in(&self, name: &str) -> Client {
        let mut client = self.client();
        let status = client.sign_in(name, &format!("{name}-password")).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{name} signs in");
        client
    }
}

/// A response, read.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The value of the first hidden field `name` in the page.
    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')?;
        Some(self.body[start..start + end].to_owned())
    }
}

/// A cookie-keeping client of the console.
pub struct Client {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Client {
    /// A client of the console at `base` (`http://host:port`), with no session.
    pub fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let Some((pair, _)) = value.to_str().unwrap().split_once(';') else {
                continue;
            };
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    async fn read(&mut self, response: reqwest::Response) -> Page {
        self.keep_cookies(&response);
        Page {
            status: response.status(),
            location: response
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    /// `GET path`, with extra headers.
    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        self.read(response).await
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Page {
        self.get_with(path, &[]).await
    }

    /// `POST path` with a form.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.read(response).await
    }

    /// Signs in through the login form; the status of the form's answer.
    pub async fn sign_in(&mut self, name: &str, password: &str) -> StatusCode {
        let form = self.get("/login").await;
        let csrf = form.field("csrf").unwrap();
        self.post(
            "/login",
            &[("csrf", &csrf), ("username", name), ("password", password)],
        )
        .await
        .status
    }

    /// The session cookie's value, if signed in.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookies
            .iter()
            .find(|(name, _)| name == autobook_console::session::SESSION_COOKIE)
            .map(|(_, value)| value.clone())
    }

    /// The CSRF token of this session (from a page's forms).
    pub async fn csrf(&mut self) -> String {
        self.get("/flags").await.field("csrf").unwrap()
    }
}
