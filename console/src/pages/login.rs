//! Signing in with a local login, and signing out. The login form is bound
//! to the browser that fetched it (a nonce cookie and its CSRF token), so
//! another site cannot sign a browser in under its own account.

use askama::Template;
use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use crate::auth::Person;
use crate::extract::Fields;
use crate::page::PageError;
use crate::session::{
    LOGIN_COOKIE, SESSION_COOKIE, SESSION_HOURS, Session, cookie_value, random_nonce, set_cookie,
};
use crate::state::Shared;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    problem: Option<&'static str>,
}

fn login_page(
    console: &Shared,
    status: StatusCode,
    problem: Option<&'static str>,
) -> Result<Response, PageError> {
    let nonce = random_nonce();
    let page = LoginPage {
        csrf: console.access.key.csrf_token(&nonce),
        problem,
    };
    let html = page
        .render()
        .map_err(|e| PageError::Internal(format!("rendering the page: {e}")))?;
    let cookie = set_cookie(LOGIN_COOKIE, &nonce, 600, console.access.secure_cookies);
    Ok((status, [(SET_COOKIE, cookie)], Html(html)).into_response())
}

/// `GET /login`.
pub async fn form(State(console): State<Shared>) -> Result<Response, PageError> {
    if console.access.users.is_empty() {
        return Err(PageError::unauthorized(
            "sign in through the company's single sign-on",
        ));
    }
    login_page(&console, StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`.
pub async fn sign_in(
    State(console): State<Shared>,
    headers: HeaderMap,
    Fields(form): Fields<LoginForm>,
) -> Result<Response, PageError> {
    let nonce = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|header| cookie_value(header, LOGIN_COOKIE));
    let bound = nonce.is_some_and(|nonce| console.access.key.csrf_ok(nonce, &form.csrf));
    if !bound {
        return login_page(
            &console,
            StatusCode::FORBIDDEN,
            Some("The sign-in form expired or came from elsewhere: try again."),
        );
    }
    let Some(role) = console
        .access
        .users
        .verify(form.username.trim(), &form.password)
    else {
        tracing::info!("console sign-in refused");
        return login_page(
            &console,
            StatusCode::UNAUTHORIZED,
            Some("Wrong name or password."),
        );
    };
    let session = Session::start(form.username.trim(), role, Utc::now());
    let cookie = set_cookie(
        SESSION_COOKIE,
        &console.access.key.seal(&session),
        SESSION_HOURS * 3600,
        console.access.secure_cookies,
    );
    tracing::info!(role = role.as_str(), "console sign-in");
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/")).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`.
pub async fn sign_out(
    State(console): State<Shared>,
    person: Person,
    Fields(form): Fields<CsrfForm>,
) -> Result<Response, PageError> {
    person.csrf_checked(&console, &form.csrf)?;
    let cookie = set_cookie(SESSION_COOKIE, "", 0, console.access.secure_cookies);
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}
