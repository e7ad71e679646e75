//! The console over HTTP: who may sign in, what each role may do, the CSRF
//! token and the action id on every action, refusals that name the field
//! and not the input, the single sign-on proxy's headers, and a saga's page
//! with its personal data revealed only to a supervisor, recorded.

use reqwest::StatusCode;
use uuid::Uuid;

use autobook_console::actions;
use autobook_contracts::IdempotencyKey;
use autobook_contracts::Step;
use autobook_ops::flags as ops_flags;
use autobook_tests::console::{self, PROXY_SECRET};
use autobook_tests::database::Database;
use autobook_tests::spawn;
use autobook_tests::trips::trip;

async fn kill_switch_on(pool: &sqlx::PgPool) -> bool {
    ops_flags::get(pool, None)
        .await
        .unwrap()
        .values
        .unwrap()
        .kill_switch
        .enabled
}

async fn kill_switch_changes(pool: &sqlx::PgPool) -> usize {
    ops_flags::get(pool, None)
        .await
        .unwrap()
        .history
        .iter()
        .filter(|c| c.flag == autobook_flags::postgres::KILL_SWITCH)
        .count()
}

#[tokio::test]
async fn only_signed_in_people_read_and_only_operators_act_with_their_csrf_token() {
    let db = Database::create(4).await;
    let vault = autobook_vault::Keyring::generate("test").unwrap();
    let served = console::serve(db.pool.clone(), vault, None, false).await;

    // Nobody signed in: every page sends to the login form.
    let mut anonymous = served.client();
    for path in [
        "/",
        "/sagas",
        "/stuck",
        "/dead-letters",
        "/flags",
        "/reconciliation",
        "/actions",
    ] {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location.as_deref(), Some("/login"), "{path}");
    }
    assert_eq!(
        anonymous.sign_in("otto", "wrong-password").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(anonymous.get("/").await.status, StatusCode::SEE_OTHER);
    // A login form posted without the browser's login cookie is refused.
    let mut elsewhere = served.client();
    let forged = elsewhere
        .post(
            "/login",
            &[
                ("csrf", "0".repeat(64).as_str()),
                ("username", "otto"),
                ("password", "otto-password"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Every page carries the security headers.
    let mut vera = served.signed_in("vera").await;
    let overview = vera.get("/").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("vera · viewer"), "{}", overview.body);
    let csp = overview.headers["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(overview.headers["x-frame-options"], "DENY");
    assert_eq!(overview.headers["cache-control"], "no-store");

    // A viewer is shown no action, and a forged one is refused.
    let flags = vera.get("/flags").await;
    assert!(!flags.body.contains("kill-switch-form"), "{}", flags.body);
    let vera_csrf = flags.field("csrf").unwrap();
    let refused = vera
        .post(
            "/flags/kill-switch",
            &[
                ("csrf", &vera_csrf),
                ("action_id", &Uuid::new_v4().to_string()),
                ("state", "on"),
                ("reason", "testing"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body.contains("viewers may read, not act"),
        "{}",
        refused.body
    );
    assert!(!kill_switch_on(&db.pool).await);

    // An operator without the token, or with another session's, is refused.
    let mut otto = served.signed_in("otto").await;
    for token in ["", vera_csrf.as_str()] {
        let page = otto
            .post(
                "/flags/kill-switch",
                &[
                    ("csrf", token),
                    ("action_id", &Uuid::new_v4().to_string()),
                    ("state", "on"),
                    ("reason", "testing"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "token {token:?}");
        assert!(page.body.contains("CSRF"), "{}", page.body);
    }
    assert!(!kill_switch_on(&db.pool).await);
    let csrf = otto.csrf().await;
    let no_reason = otto
        .post(
            "/flags/kill-switch",
            &[
                ("csrf", &csrf),
                ("action_id", &Uuid::new_v4().to_string()),
                ("state", "on"),
                ("reason", " "),
            ],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(no_reason.body.contains("reason"), "{}", no_reason.body);

    // With both: done once, however often the form is sent.
    let before = kill_switch_changes(&db.pool).await;
    let action_id = Uuid::new_v4();
    for _ in 0..3 {
        let done = otto
            .post(
                "/flags/kill-switch",
                &[
                    ("csrf", &csrf),
                    ("action_id", &action_id.to_string()),
                    ("state", "on"),
                    ("reason", "incident 42"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
        assert_eq!(done.location, Some(format!("/flags?done={action_id}")));
    }
    assert!(kill_switch_on(&db.pool).await);
    assert_eq!(
        kill_switch_changes(&db.pool).await,
        before + 1,
        "one change for three sends"
    );
    let recorded = actions::get(&db.pool, action_id).await.unwrap().unwrap();
    assert_eq!(
        (
            recorded.operator.as_str(),
            recorded.role.as_str(),
            recorded.action.as_str(),
            recorded.reason.as_str()
        ),
        ("otto", "operator", "flags.kill_switch", "incident 42")
    );
    assert!(recorded.outcome().unwrap().ok);
    assert_eq!(actions::latest(&db.pool, None, 50).await.unwrap().len(), 1);
    let shown = otto.get(&format!("/flags?done={action_id}")).await;
    assert!(shown.body.contains("id=\"banner\""), "{}", shown.body);
    assert!(shown.body.contains("Kill switch thrown"), "{}", shown.body);
    let history = ops_flags::get(&db.pool, None).await.unwrap().history;
    assert!(
        history
            .iter()
            .any(|c| c.changed_by == "otto" && c.reason == "incident 42")
    );

    // Only a supervisor reveals personal data.
    let reveal = otto
        .post(
            &format!("/sagas/{}/reveal", Uuid::new_v4()),
            &[
                ("csrf", &csrf),
                ("action_id", &Uuid::new_v4().to_string()),
                ("reason", "curious"),
            ],
        )
        .await;
    assert_eq!(reveal.status, StatusCode::FORBIDDEN);

    // A cookie changed by hand is no session; signing out ends one.
    let cookie = otto.session_cookie().unwrap();
    let forged_cookie = cookie.replacen('.', ".x", 1);
    let page = served
        .client()
        .get_with(
            "/",
            &[("cookie", &format!("autobook_console={forged_cookie}"))],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let genuine = served
        .client()
        .get_with("/", &[("cookie", &format!("autobook_console={cookie}"))])
        .await;
    assert_eq!(
        genuine.status,
        StatusCode::OK,
        "the same cookie unchanged is a session"
    );
    let out = otto.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(otto.get("/").await.status, StatusCode::SEE_OTHER);

    served.stop().await;
    db.drop().await;
}

#[tokio::test]
async fn hostile_input_is_refused_naming_the_field_never_quoting_it() {
    let db = Database::create(4).await;
    let vault = autobook_vault::Keyring::generate("test").unwrap();
    let served = console::serve(db.pool.clone(), vault, None, false).await;
    let mut otto = served.signed_in("otto").await;
    let hostile = "<script>alert(1)</script>";
    let encoded = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    for (path, field) in [
        (format!("/sagas?id={encoded}"), "trip id"),
        (format!("/sagas?status={encoded}"), "status"),
        (format!("/sagas?from={encoded}"), "from"),
        (format!("/sagas?after={encoded}"), "after"),
        (format!("/dead-letters?queue={encoded}"), "queue"),
        (format!("/flags?user={encoded}"), "traveller"),
        (format!("/sagas/{encoded}"), "id"),
        (format!("/dead-letters/{encoded}"), "id"),
        (format!("/sagas?done={encoded}"), "query"),
    ] {
        let page = otto.get(&path).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            page.body.contains(&format!("{field}:")),
            "{path}: {}",
            page.body
        );
        assert!(
            !page.body.contains(hostile) && !page.body.contains("alert(1)"),
            "{path}: {}",
            page.body
        );
    }
    let csrf = otto.csrf().await;
    let page = otto
        .post(
            "/flags/kill-switch",
            &[
                ("csrf", &csrf),
                ("action_id", hostile),
                ("state", "on"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.body.contains("form:") && !page.body.contains("alert(1)"),
        "{}",
        page.body
    );
    // A hostile reason is kept as text and shown escaped.
    let action_id = Uuid::new_v4();
    otto.post(
        "/flags/kill-switch",
        &[
            ("csrf", &csrf),
            ("action_id", &action_id.to_string()),
            ("state", "on"),
            ("reason", hostile),
        ],
    )
    .await;
    let listed = otto.get("/actions").await;
    assert!(
        listed.body.contains("&#60;script&#62;alert(1)"),
        "{}",
        listed.body
    );
    assert!(!listed.body.contains(hostile));
    assert_eq!(
        otto.get("/sagas/00000000-0000-0000-0000-000000000000")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    served.stop().await;
    db.drop().await;
}

#[tokio::test]
async fn the_single_sign_on_headers_count_only_with_the_proxy_secret() {
    let db = Database::create(4).await;
    let vault = autobook_vault::Keyring::generate("test").unwrap();
    let served = console::serve(db.pool.clone(), vault, None, true).await;
    let mut client = served.client();
    let claim = |secret: &'static str, groups: &'static str| {
        vec![
            ("x-autobook-proxy-secret", secret),
            ("x-forwarded-user", "alice"),
            ("x-forwarded-groups", groups),
        ]
    };
    let direct = client
        .get_with(
            "/",
            &[
                ("x-forwarded-user", "mallory"),
                ("x-forwarded-groups", "autobook-supervisors"),
            ],
        )
        .await;
    assert_eq!(
        direct.status,
        StatusCode::SEE_OTHER,
        "no secret: not signed in"
    );
    let wrong = client
        .get_with("/", &claim("not-the-secret", "autobook-supervisors"))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let outsider = client.get_with("/", &claim(PROXY_SECRET, "staff")).await;
    assert_eq!(outsider.status, StatusCode::FORBIDDEN);
    let operator = client
        .get_with("/flags", &claim(PROXY_SECRET, "staff, autobook-operators"))
        .await;
    assert_eq!(operator.status, StatusCode::OK);
    assert!(
        operator.body.contains("alice · operator"),
        "{}",
        operator.body
    );
    assert!(!operator.body.contains("sign-out"), "the proxy signs out");
    let csrf = operator.field("csrf").unwrap();
    let headers = claim(PROXY_SECRET, "autobook-operators");
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}/flags/kill-switch", served.url))
        .header(headers[0].0, headers[0].1)
        .header(headers[1].0, headers[1].1)
        .header(headers[2].0, headers[2].1)
        .form(&[
            ("csrf", csrf.as_str()),
            ("action_id", &Uuid::new_v4().to_string()),
            ("state", "on"),
            ("reason", "drill"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(kill_switch_on(&db.pool).await);
    served.stop().await;
    db.drop().await;
}

#[tokio::test]
async fn a_saga_page_shows_its_timeline_money_and_calls_and_personal_data_only_when_revealed() {
    let system = spawn().await;
    let stack = system.stack();
    let trip = trip();
    let given_name = trip.passengers[0].given_name.expose().to_owned();
    let user_id = trip.user_id.as_str().to_owned();
    let id = system.submit(trip).await;
    let done = system.finished(id).await;
    assert_eq!(done.status, "booked");
    let served = console::serve(
        stack.pool.clone(),
        stack.vault.clone(),
        Some(stack.publisher.clone()),
        false,
    )
    .await;

    let mut otto = served.signed_in("otto").await;
    let page = otto.get(&format!("/sagas/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for expected in [
        "booked",
        "trip.requested",
        "payment.captured",
        "send order.create",
        IdempotencyKey::derive(id, Step::Authorize, 1).as_str(),
        "No mismatch was ever found",
        &user_id,
    ] {
        assert!(
            page.body.contains(expected),
            "{expected} missing from the saga page"
        );
    }
    assert!(
        !page.body.contains(&given_name),
        "personal data shown unasked"
    );
    assert!(
        !page.body.contains("reveal-form"),
        "an operator may not reveal"
    );
    for search in [
        format!("/sagas?id={id}"),
        "/sagas?status=booked".to_owned(),
        format!("/sagas?user={user_id}"),
    ] {
        let found = otto.get(&search).await;
        assert!(found.body.contains(&format!("/sagas/{id}")), "{search}");
    }
    assert!(
        otto.get("/sagas?status=failed")
            .await
            .body
            .contains("No saga matches")
    );
    let overview = otto.get("/").await;
    assert!(
        overview.body.contains("booked in the last hour"),
        "{}",
        overview.body
    );

    let mut sam = served.signed_in("sam").await;
    let page = sam.get(&format!("/sagas/{id}")).await;
    assert!(page.body.contains("reveal-form") && !page.body.contains(&given_name));
    let csrf = page.field("csrf").unwrap();
    let action_id = Uuid::new_v4();
    let revealed = sam
        .post(
            &format!("/sagas/{id}/reveal"),
            &[
                ("csrf", &csrf),
                ("action_id", &action_id.to_string()),
                ("reason", "traveller on the phone"),
            ],
        )
        .await;
    assert_eq!(revealed.status, StatusCode::OK);
    assert!(revealed.body.contains(&given_name), "revealed on request");
    assert_eq!(revealed.headers["cache-control"], "no-store");
    let recorded = actions::get(&stack.pool, action_id).await.unwrap().unwrap();
    assert_eq!(
        (
            recorded.operator.as_str(),
            recorded.action.as_str(),
            recorded.target.as_str(),
            recorded.reason.as_str()
        ),
        (
            "sam",
            "saga.reveal_personal_data",
            format!("saga:{id}").as_str(),
            "traveller on the phone"
        )
    );
    // The next page view shows the data hidden again.
    assert!(
        !sam.get(&format!("/sagas/{id}"))
            .await
            .body
            .contains(&given_name)
    );
    served.stop().await;
}
