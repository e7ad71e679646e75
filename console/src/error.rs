//! A request the console could not serve, and the page it answers with:
//! the status, a title, and a message naming what was wrong (never the
//! input's value).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// A request the console could not serve.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: to the login page.
    SignIn,
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    BadRequest(String),
    Internal(String),
}

impl PageError {
    pub fn forbidden(why: impl Into<String>) -> PageError {
        PageError::Forbidden(why.into())
    }

    pub fn unauthorized(why: impl Into<String>) -> PageError {
        PageError::Unauthorized(why.into())
    }

    pub fn not_found(what: impl Into<String>) -> PageError {
        PageError::NotFound(what.into())
    }

    pub fn bad_request(why: impl Into<String>) -> PageError {
        PageError::BadRequest(why.into())
    }
}

impl From<sqlx::Error> for PageError {
    fn from(error: sqlx::Error) -> PageError {
        PageError::Internal(format!("the database could not be read: {error}"))
    }
}

impl From<anyhow::Error> for PageError {
    fn from(error: anyhow::Error) -> PageError {
        PageError::Internal(format!("{error:#}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            PageError::SignIn => return Redirect::to("/login").into_response(),
            PageError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "Sign in first", m.as_str()),
            PageError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m.as_str()),
            PageError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m.as_str()),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m.as_str()),
            PageError::Internal(m) => {
                tracing::error!(error = %m, "console page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    m.as_str(),
                )
            }
        };
        let body = ErrorPage { title, message }
            .render()
            .unwrap_or_else(|_| title.to_owned());
        (status, Html(body)).into_response()
    }
}
