//! Who may use the console and what they may do: the three roles, and the
//! local logins (`AUTOBOOK_CONSOLE_USERS`) for the demo and small
//! deployments. In production the console sits behind the company's single
//! sign-on instead ([`crate::proxy`]).

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a person may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads every page; sees no personal data; acts on nothing.
    Viewer,
    /// Also retries, aborts and cancels sagas, replays and purges dead
    /// letters, and changes the flags.
    Operator,
    /// Also reveals a traveller's personal data (each reveal recorded).
    Supervisor,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Supervisor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// May change anything (sagas, dead letters, flags).
    pub fn can_act(self) -> bool {
        match self {
            Role::Viewer => false,
            Role::Operator | Role::Supervisor => true,
        }
    }

    /// May see travellers' personal data.
    pub fn can_reveal(self) -> bool {
        match self {
            Role::Viewer | Role::Operator => false,
            Role::Supervisor => true,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest user name accepted.
pub const MAX_NAME_CHARS: usize = 64;

/// Checks a user name: one line, 1 to 64 characters, no `:` or `,`.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(|c| c.is_control() || c == ':' || c == ',')
    {
        return Err(format!(
            "a user name is one line of 1 to {MAX_NAME_CHARS} characters without ':' or ','"
        ));
    }
    Ok(())
}

/// One local login. The password is kept only as a keyed digest.
#[derive(Clone)]
struct LocalUser {
    name: String,
    role: Role,
    digest: [u8; 32],
}

/// The local logins: `name:role:password` entries separated by commas.
#[derive(Clone, Default)]
pub struct LocalUsers {
    key: [u8; 32],
    users: Vec<LocalUser>,
}

impl fmt::Debug for LocalUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<(&str, Role)> = self
            .users
            .iter()
            .map(|u| (u.name.as_str(), u.role))
            .collect();
        f.debug_struct("LocalUsers").field("users", &names).finish()
    }
}

fn digest(key: &[u8; 32], password: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(password.as_bytes());
    mac.finalize().into_bytes().into()
}

impl LocalUsers {
    /// Reads `name:role:password[,name:role:password...]`. The error names
    /// the entry by position, never its text (it holds a password).
    pub fn parse(text: &str) -> Result<LocalUsers, String> {
        let mut key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
        let mut users: Vec<LocalUser> = Vec::new();
        for (index, entry) in text
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let position = index + 1;
            let mut parts = entry.splitn(3, ':');
            let (Some(name), Some(role), Some(password)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(format!(
                    "console user {position}: write it as name:role:password"
                ));
            };
            check_name(name).map_err(|e| format!("console user {position}: {e}"))?;
            let Some(role) = Role::parse(role) else {
                return Err(format!(
                    "console user {position}: the role must be viewer, operator or supervisor"
                ));
            };
            if password.chars().count() < 8 {
                return Err(format!(
                    "console user {position}: the password must have at least 8 characters"
                ));
            }
            if users.iter().any(|u| u.name == name) {
                return Err(format!("console user {position}: the name is used twice"));
            }
            users.push(LocalUser {
                name: name.to_owned(),
                role,
                digest: digest(&key, password),
            });
        }
        Ok(LocalUsers { key, users })
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The role of `name` if `password` is theirs. Every entry is
    /// compared, in constant time, whether or not the name matches.
    pub fn verify(&self, name: &str, password: &str) -> Option<Role> {
        let given = digest(&self.key, password);
        let mut found = None;
        for user in &self.users {
            let same_password = constant_time_eq(&user.digest, &given);
            if user.name == name && same_password {
                found = Some(user.role);
            }
        }
        found
    }
}

/// Compares two byte strings without stopping at the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn logins_are_checked_by_name_and_password() {
        let users =
            LocalUsers::parse("ana:operator:correct horse, bob:viewer:battery staple").unwrap();
        assert_eq!(users.verify("ana", "correct horse"), Some(Role::Operator));
        assert_eq!(users.verify("bob", "battery staple"), Some(Role::Viewer));
        assert_eq!(users.verify("ana", "battery staple"), None);
        assert_eq!(users.verify("eve", "correct horse"), None);
        assert_eq!(users.verify("ana", ""), None);
        assert!(!format!("{users:?}").contains("horse"));
    }

    #[test]
    fn bad_entries_are_refused_without_quoting_them() {
        for (text, expected) in [
            ("ana:operator", "name:role:password"),
            ("ana:admin:longenough", "role must be"),
            ("ana:viewer:short", "at least 8"),
            (":viewer:longenough", "user name"),
            (
                "ana:viewer:longenough,ana:operator:longenough2",
                "used twice",
            ),
        ] {
            let error = LocalUsers::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
            assert!(
                !error.contains("longenough") && !error.contains("short"),
                "{error}"
            );
        }
    }

    #[test]
    fn roles_decide_what_may_be_done() {
        assert!(!Role::Viewer.can_act() && !Role::Viewer.can_reveal());
        assert!(Role::Operator.can_act() && !Role::Operator.can_reveal());
        assert!(Role::Supervisor.can_act() && Role::Supervisor.can_reveal());
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
