//! Single sign-on: the console behind an authenticating proxy (for example
//! oauth2-proxy in front of the company's identity provider). The proxy
//! signs people in, then forwards each request with the user's name and
//! groups in headers, and a shared secret proving the request came through
//! it. Without the secret the headers are ignored, so a client reaching the
//! console directly cannot claim to be someone.

use axum::http::HeaderMap;

use crate::users::{Role, check_name, constant_time_eq};

/// The header carrying the proxy's shared secret.
pub const SECRET_HEADER: &str = "x-autobook-proxy-secret";

#[derive(Clone)]
pub struct ProxyAuth {
    secret: String,
    user_header: String,
    groups_header: String,
    /// Viewer, operator and supervisor groups.
    groups: [String; 3],
}

impl std::fmt::Debug for ProxyAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyAuth")
            .field("user_header", &self.user_header)
            .field("groups_header", &self.groups_header)
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

/// What the proxy's headers say of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyVerdict {
    /// No proxy secret on the request: not through the proxy.
    NotProxied,
    /// Through the proxy, signed in, with this role.
    Person { user: String, role: Role },
    /// Through the proxy, but the user is in none of the console's groups,
    /// or the headers are malformed.
    Refused(&'static str),
}

impl ProxyAuth {
    pub fn new(
        secret: &str,
        user_header: &str,
        groups_header: &str,
        groups: [&String; 3],
    ) -> Result<ProxyAuth, String> {
        if secret.len() < 32 {
            return Err("AUTOBOOK_CONSOLE_PROXY_SECRET must have at least 32 bytes".into());
        }
        Ok(ProxyAuth {
            secret: secret.to_owned(),
            user_header: user_header.to_ascii_lowercase(),
            groups_header: groups_header.to_ascii_lowercase(),
            groups: groups.map(Clone::clone),
        })
    }

    /// Judges a request's headers.
    pub fn judge(&self, headers: &HeaderMap) -> ProxyVerdict {
        let Some(secret) = headers.get(SECRET_HEADER) else {
            return ProxyVerdict::NotProxied;
        };
        if !constant_time_eq(secret.as_bytes(), self.secret.as_bytes()) {
            return ProxyVerdict::Refused("the proxy secret is wrong");
        }
        let Some(user) = headers.get(&self.user_header).and_then(|v| v.to_str().ok()) else {
            return ProxyVerdict::Refused("the proxy named no user");
        };
        if check_name(user).is_err() {
            return ProxyVerdict::Refused("the proxy's user name is not acceptable");
        }
        let groups: Vec<&str> = headers
            .get(&self.groups_header)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .collect();
        let role = Role::ALL
            .into_iter()
            .zip(&self.groups)
            .filter(|(_, group)| groups.contains(&group.as_str()))
            .map(|(role, _)| role)
            .max();
        match role {
            Some(role) => ProxyVerdict::Person {
                user: user.to_owned(),
                role,
            },
            None => ProxyVerdict::Refused("the user is in none of the console's groups"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn proxy() -> ProxyAuth {
        let groups = ["v".to_owned(), "o".to_owned(), "s".to_owned()];
        ProxyAuth::new(
            &"p".repeat(32),
            "X-Forwarded-User",
            "x-forwarded-groups",
            [&groups[0], &groups[1], &groups[2]],
        )
        .unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_requests_with_the_secret_are_trusted() {
        let proxy = proxy();
        let secret = "p".repeat(32);
        assert_eq!(
            proxy.judge(&headers(&[("x-forwarded-user", "ana")])),
            ProxyVerdict::NotProxied
        );
        assert!(matches!(
            proxy.judge(&headers(&[
                (SECRET_HEADER, "wrong"),
                ("x-forwarded-user", "ana"),
                ("x-forwarded-groups", "s")
            ])),
            ProxyVerdict::Refused(_)
        ));
        assert_eq!(
            proxy.judge(&headers(&[
                (SECRET_HEADER, &secret),
                ("x-forwarded-user", "ana"),
                ("x-forwarded-groups", "x, o, v")
            ])),
            ProxyVerdict::Person {
                user: "ana".into(),
                role: Role::Operator
            }
        );
        assert!(matches!(
            proxy.judge(&headers(&[
                (SECRET_HEADER, &secret),
                ("x-forwarded-user", "ana"),
                ("x-forwarded-groups", "staff")
            ])),
            ProxyVerdict::Refused(_)
        ));
        assert!(matches!(
            proxy.judge(&headers(&[
                (SECRET_HEADER, &secret),
                ("x-forwarded-groups", "s")
            ])),
            ProxyVerdict::Refused(_)
        ));
    }
}
