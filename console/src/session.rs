//! Sessions and CSRF tokens, signed with the console's session key
//! (`AUTOBOOK_CONSOLE_SESSION_KEY`, or a random key per process).
//!
//! A session is a cookie holding who, their role, when it ends and a random
//! nonce, with an HMAC over all of it: nothing is stored server-side, and a
//! cookie changed by hand fails the check. The CSRF token of a session is
//! the HMAC of its nonce: every form carries it, every action checks it
//! (with the cookie itself `SameSite=Strict` and `HttpOnly`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::users::{Role, constant_time_eq};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "autobook_console";
/// The cookie binding a login form to the browser that fetched it.
pub const LOGIN_COOKIE: &str = "autobook_console_login";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 8;

/// The key sessions and CSRF tokens are signed with.
#[derive(Clone)]
pub struct SessionKey([u8; 32]);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// A key from configuration: at least 32 bytes of text.
    pub fn from_secret(secret: &str) -> Result<SessionKey, String> {
        if secret.len() < 32 {
            return Err("AUTOBOOK_CONSOLE_SESSION_KEY must have at least 32 bytes".into());
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(&<Sha256 as sha2::Digest>::digest(secret.as_bytes()));
        Ok(SessionKey(key))
    }

    /// A random key: sessions end when the process does.
    pub fn random() -> SessionKey {
        let mut key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
        SessionKey(key)
    }

    fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// The CSRF token of a session nonce (or of a login form's nonce).
    pub fn csrf_token(&self, nonce: &str) -> String {
        hex::encode(self.mac("csrf", nonce.as_bytes()))
    }

    /// Whether `token` is the CSRF token of `nonce`.
    pub fn csrf_ok(&self, nonce: &str, token: &str) -> bool {
        constant_time_eq(self.csrf_token(nonce).as_bytes(), token.as_bytes())
    }

    /// The cookie value of `session`.
    pub fn seal(&self, session: &Session) -> String {
        let body =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&Wire::from(session)).unwrap_or_default());
        let tag = URL_SAFE_NO_PAD.encode(self.mac("session", body.as_bytes()));
        format!("{body}.{tag}")
    }

    /// The session in a cookie value, if its tag is right and it has not
    /// ended at `now`.
    pub fn open(&self, cookie: &str, now: DateTime<Utc>) -> Option<Session> {
        let (body, tag) = cookie.split_once('.')?;
        let expected = URL_SAFE_NO_PAD.encode(self.mac("session", body.as_bytes()));
        if !constant_time_eq(expected.as_bytes(), tag.as_bytes()) {
            return None;
        }
        let wire: Wire = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        let session = Session {
            user: wire.u,
            role: Role::parse(&wire.r)?,
            expires_at: DateTime::from_timestamp(wire.e, 0)?,
            nonce: wire.n,
        };
        (session.expires_at > now).then_some(session)
    }
}

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    /// Random, per sign-in: the CSRF token is derived from it.
    pub nonce: String,
}

impl Session {
    /// A session for `user` starting at `now`.
    pub fn start(user: &str, role: Role, now: DateTime<Utc>) -> Session {
        Session {
            user: user.to_owned(),
            role,
            expires_at: now + Duration::hours(SESSION_HOURS),
            nonce: random_nonce(),
        }
    }
}

/// 128 random bits, hex.
pub fn random_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    hex::encode(bytes)
}

#[derive(Serialize, Deserialize)]
struct Wire {
    u: String,
    r: String,
    e: i64,
    n: String,
}

impl From<&Session> for Wire {
    fn from(session: &Session) -> Wire {
        Wire {
            u: session.user.clone(),
            r: session.role.as_str().to_owned(),
            e: session.expires_at.timestamp(),
            n: session.nonce.clone(),
        }
    }
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, `Path=/`, and
/// `Secure` when the console is served over HTTPS.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .map(str::trim)
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_session_reads_back_only_unchanged_and_in_time() {
        let key = SessionKey::random();
        let now = Utc::now();
        let session = Session::start("ana", Role::Operator, now);
        let cookie = key.seal(&session);
        let opened = key.open(&cookie, now).unwrap();
        assert_eq!(opened.user, "ana");
        assert_eq!(opened.role, Role::Operator);
        assert_eq!(opened.nonce, session.nonce);
        assert!(
            key.open(&cookie, now + Duration::hours(SESSION_HOURS + 1))
                .is_none()
        );
        assert!(
            SessionKey::random().open(&cookie, now).is_none(),
            "another key"
        );
        // Promoting oneself by editing the cookie breaks the tag.
        let (body, tag) = cookie.split_once('.').unwrap();
        let json = String::from_utf8(URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap();
        let forged = URL_SAFE_NO_PAD.encode(json.replace("operator", "supervisor"));
        assert!(key.open(&format!("{forged}.{tag}"), now).is_none());
        assert!(key.open("garbage", now).is_none());
    }

    #[test]
    fn csrf_tokens_belong_to_their_nonce() {
        let key = SessionKey::random();
        let token = key.csrf_token("n1");
        assert!(key.csrf_ok("n1", &token));
        assert!(!key.csrf_ok("n2", &token));
        assert!(!key.csrf_ok("n1", ""));
        assert!(SessionKey::from_secret("short").is_err());
        let a = SessionKey::from_secret(&"k".repeat(32)).unwrap();
        let b = SessionKey::from_secret(&"k".repeat(32)).unwrap();
        assert_eq!(
            a.csrf_token("n"),
            b.csrf_token("n"),
            "one key, many instances"
        );
    }

    #[test]
    fn cookies_are_found_by_name() {
        assert_eq!(
            cookie_value("a=1; autobook_console=x.y; b=2", SESSION_COOKIE),
            Some("x.y")
        );
        assert_eq!(cookie_value("a=1", SESSION_COOKIE), None);
        let set = set_cookie(SESSION_COOKIE, "v", 60, true);
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Secure")
        );
    }
}
