//! Who is asking: every page but the login page and `/healthz` needs a
//! signed-in person, from the single sign-on proxy's headers or from the
//! session cookie; every action needs a person who may act and the
//! session's CSRF token.

use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use chrono::Utc;

use crate::actions::Request;
use crate::error::PageError;
use crate::proxy::ProxyVerdict;
use crate::session::{SESSION_COOKIE, cookie_value};
use crate::state::Shared;
use crate::users::Role;

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user: String,
    pub role: Role,
    /// What the CSRF token is derived from: the session's nonce, or the
    /// user's name behind the proxy.
    pub csrf_nonce: String,
    /// Signed in through the proxy (no sign-out here).
    pub via_proxy: bool,
}

impl Person {
    /// The CSRF token forms carry.
    pub fn csrf_token(&self, console: &Shared) -> String {
        console.access.key.csrf_token(&self.csrf_nonce)
    }

    /// Checks an action: the person may act, and the form carries their
    /// CSRF token.
    pub fn may_act(&self, console: &Shared, csrf: &str) -> Result<(), PageError> {
        self.csrf_checked(console, csrf)?;
        if !self.role.can_act() {
            return Err(PageError::forbidden("viewers may read, not act"));
        }
        Ok(())
    }

    /// Checks a reveal of personal data: the person's role allows it.
    pub fn may_reveal(&self, console: &Shared, csrf: &str) -> Result<(), PageError> {
        self.csrf_checked(console, csrf)?;
        if !self.role.can_reveal() {
            return Err(PageError::forbidden(
                "only supervisors may see travellers' personal data",
            ));
        }
        Ok(())
    }

    /// The record of an action this person takes.
    pub fn request<'a>(
        &'a self,
        action_id: uuid::Uuid,
        action: &'a str,
        target: &'a str,
        reason: &'a str,
    ) -> Request<'a> {
        Request {
            action_id,
            operator: &self.user,
            role: self.role.as_str(),
            action,
            target,
            reason,
        }
    }

    /// Checks the CSRF token alone (signing out).
    pub fn csrf_checked(&self, console: &Shared, csrf: &str) -> Result<(), PageError> {
        if !console.access.key.csrf_ok(&self.csrf_nonce, csrf) {
            return Err(PageError::forbidden(
                "the form's CSRF token is missing or wrong: reload the page and try again",
            ));
        }
        Ok(())
    }
}

impl FromRequestParts<Shared> for Person {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Shared,
    ) -> Result<Self, Self::Rejection> {
        if let Some(proxy) = &console.access.proxy {
            match proxy.judge(&parts.headers) {
                ProxyVerdict::Person { user, role } => {
                    return Ok(Person {
                        csrf_nonce: format!("proxy:{user}"),
                        user,
                        role,
                        via_proxy: true,
                    });
                }
                ProxyVerdict::Refused(why) => return Err(PageError::forbidden(why)),
                ProxyVerdict::NotProxied => {}
            }
        }
        let session = parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|header| cookie_value(header, SESSION_COOKIE))
            .and_then(|cookie| console.access.key.open(cookie, Utc::now()));
        match session {
            Some(session) => Ok(Person {
                user: session.user,
                role: session.role,
                csrf_nonce: session.nonce,
                via_proxy: false,
            }),
            None if console.access.users.is_empty() => Err(PageError::unauthorized(
                "sign in through the company's single sign-on",
            )),
            None => Err(PageError::SignIn),
        }
    }
}
