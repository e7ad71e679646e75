//! The console's settings (`autobook console`, `autobook demo --console`):
//! where it listens, who may sign in, and how it trusts a single sign-on
//! proxy in front of it. Secrets come from the environment and never print.

use std::net::SocketAddr;

use clap::Args;

use crate::proxy::ProxyAuth;
use crate::session::SessionKey;
use crate::users::LocalUsers;

#[derive(Debug, Clone, Args)]
pub struct ConsoleSettings {
    /// Address the console listens on.
    #[arg(
        long = "console-addr",
        env = "AUTOBOOK_CONSOLE_ADDR",
        default_value = "127.0.0.1:9360"
    )]
    pub addr: SocketAddr,
    /// Local logins: name:role:password[,name:role:password...], role one of
    /// viewer, operator, supervisor (a secret).
    #[arg(
        long = "console-users",
        env = "AUTOBOOK_CONSOLE_USERS",
        hide_env_values = true
    )]
    pub users: Option<String>,
    /// Key sessions and CSRF tokens are signed with, at least 32 bytes (a
    /// secret; the same on every instance behind one address). Unset: a
    /// random key, and sessions end when the process does.
    #[arg(
        long = "console-session-key",
        env = "AUTOBOOK_CONSOLE_SESSION_KEY",
        hide_env_values = true
    )]
    pub session_key: Option<String>,
    /// Single sign-on: the secret the proxy in front of the console sends in
    /// `X-Autobook-Proxy-Secret`; with it set, the proxy's user and groups
    /// headers are trusted (a secret).
    #[arg(
        long = "console-proxy-secret",
        env = "AUTOBOOK_CONSOLE_PROXY_SECRET",
        hide_env_values = true
    )]
    pub proxy_secret: Option<String>,
    /// Single sign-on: header naming the signed-in user.
    #[arg(
        long = "console-user-header",
        env = "AUTOBOOK_CONSOLE_USER_HEADER",
        default_value = "x-forwarded-user"
    )]
    pub user_header: String,
    /// Single sign-on: header listing the user's groups, comma-separated.
    #[arg(
        long = "console-groups-header",
        env = "AUTOBOOK_CONSOLE_GROUPS_HEADER",
        default_value = "x-forwarded-groups"
    )]
    pub groups_header: String,
    /// Single sign-on: the group whose members are viewers.
    #[arg(
        long = "console-viewer-group",
        env = "AUTOBOOK_CONSOLE_VIEWER_GROUP",
        default_value = "autobook-viewers"
    )]
    pub viewer_group: String,
    /// Single sign-on: the group whose members are operators.
    #[arg(
        long = "console-operator-group",
        env = "AUTOBOOK_CONSOLE_OPERATOR_GROUP",
        default_value = "autobook-operators"
    )]
    pub operator_group: String,
    /// Single sign-on: the group whose members are supervisors (may reveal
    /// personal data).
    #[arg(
        long = "console-supervisor-group",
        env = "AUTOBOOK_CONSOLE_SUPERVISOR_GROUP",
        default_value = "autobook-supervisors"
    )]
    pub supervisor_group: String,
    /// Mark cookies `Secure` (the console is reached over HTTPS).
    #[arg(
        long = "console-secure-cookies",
        env = "AUTOBOOK_CONSOLE_SECURE_COOKIES",
        default_value_t = false
    )]
    pub secure_cookies: bool,
}

impl Default for ConsoleSettings {
    /// Local, on 127.0.0.1:9360, with no login (set `users`).
    fn default() -> Self {
        ConsoleSettings {
            addr: SocketAddr::from(([127, 0, 0, 1], 9360)),
            users: None,
            session_key: None,
            proxy_secret: None,
            user_header: "x-forwarded-user".into(),
            groups_header: "x-forwarded-groups".into(),
            viewer_group: "autobook-viewers".into(),
            operator_group: "autobook-operators".into(),
            supervisor_group: "autobook-supervisors".into(),
            secure_cookies: false,
        }
    }
}

/// The demo's local logins when `AUTOBOOK_CONSOLE_USERS` is unset: one per
/// role, the password the role's name and `-demo`. For a local demo
/// database only: the console listens on 127.0.0.1 unless told otherwise.
pub const DEMO_USERS: &str = "viewer:viewer:viewer-demo,operator:operator:operator-demo,supervisor:supervisor:supervisor-demo";

/// How people are recognised, read from the settings.
#[derive(Debug, Clone)]
pub struct Access {
    pub key: SessionKey,
    pub users: LocalUsers,
    pub proxy: Option<ProxyAuth>,
    pub secure_cookies: bool,
}

impl ConsoleSettings {
    /// Checks the settings; errors name the setting, never its value.
    pub fn access(&self) -> Result<Access, String> {
        let key = match &self.session_key {
            Some(secret) => SessionKey::from_secret(secret)?,
            None => SessionKey::random(),
        };
        let users = LocalUsers::parse(self.users.as_deref().unwrap_or(""))?;
        let proxy = match &self.proxy_secret {
            Some(secret) => Some(ProxyAuth::new(
                secret,
                &self.user_header,
                &self.groups_header,
                [
                    &self.viewer_group,
                    &self.operator_group,
                    &self.supervisor_group,
                ],
            )?),
            None => None,
        };
        if users.is_empty() && proxy.is_none() {
            return Err(
                "nobody could sign in: set AUTOBOOK_CONSOLE_USERS (local logins) or \
                 AUTOBOOK_CONSOLE_PROXY_SECRET (single sign-on through a proxy)"
                    .into(),
            );
        }
        Ok(Access {
            key,
            users,
            proxy,
            secure_cookies: self.secure_cookies,
        })
    }
}
