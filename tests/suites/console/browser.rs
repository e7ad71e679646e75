//! The console in a real browser (Debian's headless Chromium through
//! WebDriver) against a running system: an operator signs in, finds a
//! stuck saga, retries it and watches it finish; replays a dead letter
//! after a dry run; throws the kill switch and releases it; a viewer is
//! shown no action. Each test saves screenshots of the pages it visits
//! (`AUTOBOOK_SCREENSHOTS_DIR`, relative to the workspace; default
//! `target/console-screenshots`).

use std::path::PathBuf;
use std::time::Duration;

use uuid::Uuid;

use autobook_ops::flags as ops_flags;
use autobook_tests::TestSystem;
use autobook_tests::console::{self, TestConsole};
use autobook_tests::database::Database;
use autobook_tests::webdriver::{Browser, Driver};

use crate::ops::{
    exhaust_compensation, restore_ledger, spawn_ops, start_failing_void, start_unclaimable_void,
};

/// Longest wait for a page to show what an action did.
const WAIT: Duration = Duration::from_secs(30);

fn screenshot_path(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::var("AUTOBOOK_SCREENSHOTS_DIR")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|_| root.join("target/console-screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}.png"))
}

async fn screenshot(browser: &Browser, name: &str) {
    browser
        .save_screenshot(screenshot_path(name))
        .await
        .unwrap();
}

/// Types `text` into the field `css`.
async fn type_into(browser: &Browser, css: &str, text: &str) {
    browser
        .find(css)
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Clicks `css`.
async fn press(browser: &Browser, css: &str) {
    browser.find(css).await.unwrap().click().await.unwrap();
}

/// Signs `name` in through the login form.
async fn sign_in(browser: &Browser, served: &TestConsole, name: &str) {
    browser
        .goto(&format!("{}/login", served.url))
        .await
        .unwrap();
    type_into(browser, "#username", name).await;
    type_into(browser, "#password", &format!("{name}-password")).await;
    press(browser, "#sign-in").await;
    browser
        .wait_until_text("#signed-in", name, WAIT)
        .await
        .unwrap();
}

/// Once the saga has finished (the database says so), its page shows it.
async fn page_shows_finished(browser: &Browser, system: &TestSystem, saga_id: Uuid) {
    let status = system.finished(saga_id).await.status;
    browser.refresh().await.unwrap();
    browser
        .wait_until_text("#saga-status", &status, WAIT)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_operator_finds_a_stuck_saga_retries_it_and_watches_it_finish() {
    let system = spawn_ops().await;
    let stack = system.stack();
    let saga_id = Uuid::now_v7();
    let key = start_failing_void(&system, saga_id).await;
    exhaust_compensation(&system, saga_id, &key).await;
    // A booked saga too, so the lists and the overview have more than one.
    let booked = system.submit(autobook_tests::trips::trip()).await;
    system.finished(booked).await;
    let served = console::serve(
        stack.pool.clone(),
        stack.vault.clone(),
        Some(stack.publisher.clone()),
        false,
    )
    .await;
    let driver = Driver::start().await.unwrap();
    let browser = driver.session().await.unwrap();

    sign_in(&browser, &served, "otto").await;
    screenshot(&browser, "overview").await;
    press(&browser, "a[href='/stuck']").await;
    let link = browser
        .wait_for(&format!("#list-stuck a[href='/sagas/{saga_id}']"), WAIT)
        .await
        .unwrap();
    screenshot(&browser, "stuck").await;
    link.click().await.unwrap();
    browser
        .wait_until_text("#saga-status", "stuck", WAIT)
        .await
        .unwrap();
    type_into(&browser, "#reason", "Stripe is back; release the hold").await;
    press(&browser, "#retry").await;
    browser
        .wait_until_text(
            "#banner",
            "retry applied by otto: stuck → releasing_hold",
            WAIT,
        )
        .await
        .unwrap();
    page_shows_finished(&browser, &system, saga_id).await;
    let timeline = browser
        .find("#timeline")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(timeline.contains("saga.retry_requested"), "{timeline}");
    assert!(
        timeline.contains("otto: Stripe is back; release the hold"),
        "{timeline}"
    );
    screenshot(&browser, "saga").await;
    assert_eq!(system.saga(saga_id).await.unwrap().status, "failed");

    browser
        .goto(&format!("{}/sagas", served.url))
        .await
        .unwrap();
    browser
        .wait_for(&format!("a[href='/sagas/{booked}']"), WAIT)
        .await
        .unwrap();
    screenshot(&browser, "sagas").await;
    browser
        .goto(&format!("{}/actions", served.url))
        .await
        .unwrap();
    browser
        .wait_until_text("#action-list", "saga.retry", WAIT)
        .await
        .unwrap();
    screenshot(&browser, "actions").await;
    browser.close().await.unwrap();
    served.stop().await;
}

#[tokio::test]
async fn an_operator_replays_a_dead_letter_after_a_dry_run() {
    let system = spawn_ops().await;
    let stack = system.stack();
    let saga_id = Uuid::now_v7();
    let dead = start_unclaimable_void(&system, saga_id).await;
    let served = console::serve(
        stack.pool.clone(),
        stack.vault.clone(),
        Some(stack.publisher.clone()),
        false,
    )
    .await;
    let driver = Driver::start().await.unwrap();
    let browser = driver.session().await.unwrap();

    sign_in(&browser, &served, "otto").await;
    press(&browser, "a[href='/dead-letters']").await;
    let link = browser
        .wait_for(&format!("a[href='/dead-letters/{dead}']"), WAIT)
        .await
        .unwrap();
    screenshot(&browser, "dead-letters").await;
    link.click().await.unwrap();
    browser
        .wait_until_text("#dead-letter-facts", "ledger_unavailable", WAIT)
        .await
        .unwrap();
    // The ledger is still refusing: a dry run says it would go, and changes nothing.
    type_into(&browser, "#replay-reason", "ledger back").await;
    press(&browser, "#dry-run").await;
    browser
        .wait_until_text("#banner", "dry run: it would go back to", WAIT)
        .await
        .unwrap();
    screenshot(&browser, "dead-letter").await;
    assert_eq!(system.saga(saga_id).await.unwrap().status, "releasing_hold");

    restore_ledger(&system, saga_id).await;
    type_into(&browser, "#replay-reason", "ledger back").await;
    press(&browser, "#replay").await;
    browser
        .wait_until_text("#banner", "replayed to", WAIT)
        .await
        .unwrap();
    assert!(
        !browser.exists("#replay-form").await.unwrap(),
        "a replayed letter offers no second replay"
    );
    assert_eq!(system.finished(saga_id).await.status, "failed");
    browser
        .goto(&format!("{}/sagas/{saga_id}", served.url))
        .await
        .unwrap();
    page_shows_finished(&browser, &system, saga_id).await;
    browser.close().await.unwrap();
    served.stop().await;
}

#[tokio::test]
async fn an_operator_throws_and_releases_the_kill_switch_and_a_viewer_cannot() {
    let db = Database::create(4).await;
    let vault = autobook_vault::Keyring::generate("test").unwrap();
    let served = console::serve(db.pool.clone(), vault, None, false).await;
    let driver = Driver::start().await.unwrap();
    let browser = driver.session().await.unwrap();

    sign_in(&browser, &served, "otto").await;
    press(&browser, "a[href='/flags']").await;
    browser
        .wait_until_text("#kill-switch-state", "released", WAIT)
        .await
        .unwrap();
    type_into(&browser, "#ks-reason", "payment incident drill").await;
    press(&browser, "#throw-kill-switch").await;
    browser
        .wait_until_text(
            "#banner",
            "kill_switch for everyone: off → on (by otto)",
            WAIT,
        )
        .await
        .unwrap();
    browser
        .wait_until_text("#kill-switch-state", "thrown", WAIT)
        .await
        .unwrap();
    screenshot(&browser, "flags").await;
    let stored = ops_flags::get(&db.pool, None).await.unwrap();
    assert!(stored.values.unwrap().kill_switch.enabled);
    browser.goto(&served.url).await.unwrap();
    browser
        .wait_until_text("#kill-switch-state", "thrown", WAIT)
        .await
        .unwrap();

    browser
        .goto(&format!("{}/flags", served.url))
        .await
        .unwrap();
    type_into(&browser, "#ks-reason", "drill over").await;
    press(&browser, "#release-kill-switch").await;
    browser
        .wait_until_text("#banner", "on → off", WAIT)
        .await
        .unwrap();
    browser
        .wait_until_text("#kill-switch-state", "released", WAIT)
        .await
        .unwrap();
    assert!(
        !ops_flags::get(&db.pool, None)
            .await
            .unwrap()
            .values
            .unwrap()
            .kill_switch
            .enabled
    );
    browser
        .goto(&format!("{}/reconciliation", served.url))
        .await
        .unwrap();
    browser.wait_for("#no-findings", WAIT).await.unwrap();
    screenshot(&browser, "reconciliation").await;

    // A viewer reads the same pages and is offered no action.
    press(&browser, "#sign-out").await;
    browser.wait_for("#sign-in", WAIT).await.unwrap();
    sign_in(&browser, &served, "vera").await;
    browser
        .goto(&format!("{}/flags", served.url))
        .await
        .unwrap();
    browser
        .wait_until_text("#kill-switch-state", "released", WAIT)
        .await
        .unwrap();
    assert!(!browser.exists("#kill-switch-form").await.unwrap());
    assert!(!browser.exists("#pipeline-form").await.unwrap());
    assert!(
        !browser
            .exists("form[method='post'][action^='/flags']")
            .await
            .unwrap()
    );
    browser
        .goto(&format!("{}/stuck", served.url))
        .await
        .unwrap();
    assert!(!browser.exists("form[action$='/request']").await.unwrap());
    browser.close().await.unwrap();
    served.stop().await;
    db.drop().await;
}
