//! The WebDriver client (`autobook_tests::webdriver`) drives a real headless
//! Chromium: a form served on a port of its own is filled in and submitted,
//! and the page the server answers is read back, screenshotted and searched.

use std::collections::HashMap;
use std::time::Duration;

use axum::Form;
use axum::response::Html;
use axum::routing::{get, post};

use autobook_tests::webdriver::Driver;

const FORM: &str = r#"<!doctype html>
<html><head><title>Echo form</title></head><body>
<form method="post" action="/echo">
  <input id="words" name="words" type="text">
  <button id="send" type="submit">Send</button>
</form>
</body></html>"#;

/// Answers the submitted `words`, escaped, in `#echo`.
async fn echo(Form(fields): Form<HashMap<String, String>>) -> Html<String> {
    let words = fields.get("words").map_or("", String::as_str);
    let escaped = words
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Html(format!(
        "<!doctype html><html><head><title>Echoed</title></head>\
         <body><p id=\"echo\">You said: {escaped}</p></body></html>"
    ))
}

/// Serves the form on an ephemeral port; returns its base URL.
async fn serve() -> String {
    let app = axum::Router::new()
        .route("/", get(|| async { Html(FORM) }))
        .route("/echo", post(echo));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_form_is_filled_in_submitted_and_read_back() {
    let url = serve().await;
    let driver = Driver::start().await.unwrap();
    let browser = driver.session().await.unwrap();

    browser.goto(&url).await.unwrap();
    assert_eq!(browser.title().await.unwrap(), "Echo form");
    let input = browser.find("#words").await.unwrap();
    assert_eq!(input.tag_name().await.unwrap(), "input");
    assert_eq!(input.attr("name").await.unwrap().as_deref(), Some("words"));
    assert_eq!(input.attr("placeholder").await.unwrap(), None);
    let typed = format!("seat 12A & <window> {}", uuid::Uuid::new_v4().simple());
    input.send_keys(&typed).await.unwrap();
    assert_eq!(input.property("value").await.unwrap(), typed.as_str());
    let send = browser.find("#send").await.unwrap();
    assert!(send.is_enabled().await.unwrap());
    send.click().await.unwrap();

    let echoed = browser
        .wait_until_text("#echo", &typed, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(echoed, format!("You said: {typed}"));
    assert_eq!(browser.title().await.unwrap(), "Echoed");
    assert_eq!(browser.current_url().await.unwrap(), format!("{url}/echo"));
    let paragraphs = browser.find_all("p").await.unwrap();
    assert_eq!(paragraphs.len(), 1);
    assert!(browser.page_source().await.unwrap().contains("id=\"echo\""));

    let png = browser.screenshot_png().await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 1000, "a screenshot of {} bytes", png.len());

    assert!(!browser.exists("#nope").await.unwrap());
    let missing = browser.find("#nope").await.err().expect("#nope was found");
    assert!(
        format!("{missing:#}").contains("#nope"),
        "the error does not name the selector: {missing:#}"
    );
    let late = browser
        .wait_for("#nope", Duration::from_millis(200))
        .await
        .err()
        .expect("#nope appeared");
    assert!(late.to_string().contains("/echo"), "{late}");

    browser.back().await.unwrap();
    browser
        .wait_for("#words", Duration::from_secs(10))
        .await
        .unwrap();
    let sum = browser
        .execute(
            "return arguments[0] + arguments[1];",
            vec![2.into(), 3.into()],
        )
        .await
        .unwrap();
    assert_eq!(sum, 5);
    browser.close().await.unwrap();
}
