//! What every page has: the frame around it ([`Chrome`]: who is signed in,
//! the navigation, the CSRF token, the outcome of the action just taken),
//! the error page, and the formatting of times and durations.

use askama::Template;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::actions::{self, Outcome};
use crate::auth::Person;
use crate::state::Shared;

pub use crate::error::PageError;

/// The frame of a page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub user: String,
    pub role: &'static str,
    pub csrf: String,
    pub can_act: bool,
    pub can_reveal: bool,
    pub via_proxy: bool,
    /// The navigation entry of this page.
    pub nav: &'static str,
    /// The outcome of the action that led here.
    pub banner: Option<Outcome>,
}

impl Chrome {
    /// The frame for `person` on the page `nav`, with the outcome of the
    /// action `done` (from the `done` query parameter) if there is one.
    pub async fn new(
        console: &Shared,
        person: &Person,
        nav: &'static str,
        done: Option<Uuid>,
    ) -> Result<Chrome, PageError> {
        let banner = match done {
            Some(id) => actions::get(&console.pool, id)
                .await?
                .and_then(|recorded| recorded.outcome()),
            None => None,
        };
        Ok(Chrome {
            user: person.user.clone(),
            role: person.role.as_str(),
            csrf: person.csrf_token(console),
            can_act: person.role.can_act(),
            can_reveal: person.role.can_reveal(),
            via_proxy: person.via_proxy,
            nav,
            banner,
        })
    }

    /// A fresh action id for a form.
    pub fn action_id(&self) -> String {
        Uuid::new_v4().to_string()
    }

    /// `aria-current` for the navigation entry `name`.
    pub fn current(&self, name: &str) -> &'static str {
        if self.nav == name { "page" } else { "false" }
    }
}

/// Renders a page.
pub fn render<T: Template>(page: &T) -> Result<Response, PageError> {
    let html = page
        .render()
        .map_err(|e| PageError::Internal(format!("rendering the page: {e}")))?;
    Ok(Html(html).into_response())
}

/// After an action: back to `to`, with its outcome shown there.
pub fn after_action(to: &str, action_id: Uuid) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}done={action_id}")).into_response()
}

/// A time as people read it, to the second, in UTC.
pub fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// An optional time, or a dash.
pub fn maybe_time(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "–".to_owned(), time)
}

/// A duration in milliseconds as people read it.
pub fn duration_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 120_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{:.1} min", ms / 60_000.0)
    }
}

/// A money amount in minor units, with its currency.
pub fn minor_amount(minor: Option<i64>, currency: Option<&str>) -> String {
    match (minor, currency) {
        (Some(minor), Some(currency)) => {
            format!("{}.{:02} {currency}", minor / 100, (minor % 100).abs())
        }
        _ => "–".to_owned(),
    }
}
