//! `autobook demo --console`: the console serves the demo's own sagas, with
//! the demo's local logins, while the run lasts and after it.

use std::net::SocketAddr;

use reqwest::StatusCode;

use autobook_harness::demo::args::Scenario;
use autobook_harness::demo::execute_keeping_console;
use autobook_tests::console::Client;

use crate::demo::demo_args;

#[tokio::test]
async fn the_demo_shows_its_sagas_in_the_console() {
    let mut args = demo_args(12, Scenario::Mixed, 7, 60);
    args.console = true;
    args.console_settings.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let (summary, console) = execute_keeping_console(&args, |_| {}).await.unwrap();
    let console = console.expect("--console serves the console");
    assert_eq!(summary.lost, 0);

    let mut operator = Client::new(&format!("http://{}", console.addr));
    assert_eq!(
        operator.sign_in("operator", "operator-demo").await,
        StatusCode::SEE_OTHER
    );
    let mut listed = 0;
    let mut page = operator.get("/sagas").await;
    loop {
        assert_eq!(page.status, StatusCode::OK);
        listed += page.body.matches("class=\"mono saga-link\"").count();
        let Some(start) = page.body.find("id=\"next-page\"") else {
            break;
        };
        let href = &page.body[page.body[..start].rfind("href=\"").unwrap() + 6..];
        let next = href[..href.find('"').unwrap()].replace("&amp;", "&");
        page = operator.get(&next).await;
    }
    assert_eq!(listed, 12, "every trip of the run is a saga in the console");
    let booked = operator.get("/sagas?status=booked").await;
    assert_eq!(
        booked.body.matches("class=\"mono saga-link\"").count() as u64,
        summary.booked as u64
    );
    let overview = operator.get("/").await;
    assert!(overview.body.contains("booked in the last hour"));
    let mut viewer = Client::new(&format!("http://{}", console.addr));
    assert_eq!(
        viewer.sign_in("viewer", "viewer-demo").await,
        StatusCode::SEE_OTHER
    );
    assert!(!viewer.get("/flags").await.body.contains("kill-switch-form"));
    assert_eq!(
        viewer.sign_in("operator", "wrong").await,
        StatusCode::UNAUTHORIZED
    );
    console.stop().await.unwrap();
}
