//! How a role reaches the broker as its own identity: the broker's address
//! (`AMQP_URL`: scheme, host, port, vhost, options; any user in it is not
//! used), each identity's password, and the message keys every message is
//! signed with. [`BrokerAccess::connect`] logs in as `autobook-<role>`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use lapin::uri::{AMQPUri, AMQPUserInfo};

use autobook_contracts::Topology;
use autobook_contracts::senders::Identity;

use crate::connection::Broker;
use crate::error::BrokerError;
use crate::signing::MessageKeys;

/// A broker password. Never printed: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(password: impl Into<String>) -> Password {
        Password(password.into())
    }

    /// The identity's password on a developer's machine, as
    /// `infra/rabbitmq-users.sh` sets it when no other is given:
    /// `autobook-<role>-local`. Never for a shared broker.
    pub fn local(identity: Identity) -> Password {
        Password(format!("{}-local", identity.user()))
    }

    /// The environment variable that holds `identity`'s password:
    /// `AUTOBOOK_BROKER_PASSWORD_<ROLE>`.
    pub fn env_var(identity: Identity) -> String {
        format!(
            "AUTOBOOK_BROKER_PASSWORD_{}",
            identity.as_str().to_ascii_uppercase()
        )
    }

    /// The password itself, to hand to the broker or to a child process.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Where the broker is, how each identity logs in, and the message keys.
/// Cheap to clone. `Debug` shows neither passwords nor keys.
#[derive(Clone)]
pub struct BrokerAccess {
    address: AMQPUri,
    passwords: BTreeMap<Identity, Password>,
    keys: MessageKeys,
}

impl fmt::Debug for BrokerAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrokerAccess")
            .field("host", &self.address.authority.host)
            .field("port", &self.address.authority.port)
            .field("vhost", &self.address.vhost)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl BrokerAccess {
    /// The broker at `url` (an `amqp://` or `amqps://` URL), every identity
    /// with its [`Password::local`] password until told otherwise.
    pub fn new(url: &str, keys: MessageKeys) -> Result<BrokerAccess, BrokerError> {
        // The parser's message may quote the URL, and with it a password.
        let address = AMQPUri::from_str(url).map_err(|_| BrokerError::Address)?;
        let passwords = Identity::ALL
            .iter()
            .map(|identity| (*identity, Password::local(*identity)))
            .collect();
        Ok(BrokerAccess {
            address,
            passwords,
            keys,
        })
    }

    /// `identity` logs in with `password`.
    pub fn with_password(mut self, identity: Identity, password: Password) -> BrokerAccess {
        self.passwords.insert(identity, password);
        self
    }

    /// Each identity whose `AUTOBOOK_BROKER_PASSWORD_<ROLE>` `lookup`
    /// answers (non-empty) logs in with that password.
    pub fn with_passwords_from(self, lookup: impl Fn(&str) -> Option<String>) -> BrokerAccess {
        Identity::ALL.iter().fold(self, |access, identity| {
            match lookup(&Password::env_var(*identity)).filter(|p| !p.is_empty()) {
                Some(password) => access.with_password(*identity, Password::new(password)),
                None => access,
            }
        })
    }

    pub fn keys(&self) -> &MessageKeys {
        &self.keys
    }

    pub fn password(&self, identity: Identity) -> &Password {
        // Every identity was given one in `new`.
        &self.passwords[&identity]
    }

    /// The address with `identity`'s user and password.
    pub(crate) fn uri(&self, identity: Identity) -> AMQPUri {
        let mut uri = self.address.clone();
        uri.authority.userinfo = AMQPUserInfo {
            username: identity.user().to_owned(),
            password: self.password(identity).expose().to_owned(),
        };
        uri
    }

    /// Connects once as `identity` (callers that start before the broker
    /// wrap this in their own patience).
    pub async fn connect(
        &self,
        identity: Identity,
        connection_name: &str,
        topology: Topology,
    ) -> Result<Broker, BrokerError> {
        let keys = self.keys.clone();
        Broker::connect(
            self.uri(identity),
            identity,
            keys,
            connection_name,
            topology,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> MessageKeys {
        MessageKeys::generate("k").unwrap()
    }

    #[test]
    fn each_identity_logs_in_as_its_own_user_whatever_the_url_says() {
        let access = BrokerAccess::new("amqp://guest:guest@rabbit.internal:5673/%2fprod", keys())
            .unwrap()
            .with_password(Identity::Payment, Password::new("s3cret"));
        let uri = access.uri(Identity::Payment);
        assert_eq!(uri.authority.userinfo.username, "autobook-payment");
        assert_eq!(uri.authority.userinfo.password, "s3cret");
        assert_eq!(uri.authority.host, "rabbit.internal");
        assert_eq!(uri.authority.port, 5673);
        assert_eq!(uri.vhost, "/prod");
        let notify = access.uri(Identity::Notify);
        assert_eq!(notify.authority.userinfo.username, "autobook-notify");
        assert_eq!(notify.authority.userinfo.password, "autobook-notify-local");
    }

    #[test]
    fn passwords_come_from_their_variables_and_never_print() {
        let access = BrokerAccess::new("amqp://127.0.0.1:5672/%2f", keys())
            .unwrap()
            .with_passwords_from(|name| match name {
                "AUTOBOOK_BROKER_PASSWORD_OPS" => Some("from-env".into()),
                "AUTOBOOK_BROKER_PASSWORD_GATEWAY" => Some(String::new()),
                _ => None,
            });
        assert_eq!(access.password(Identity::Ops).expose(), "from-env");
        assert_eq!(
            access.password(Identity::Gateway),
            &Password::local(Identity::Gateway)
        );
        let shown = format!("{access:?} {:?}", access.password(Identity::Ops));
        assert!(
            !shown.contains("from-env") && !shown.contains("-local"),
            "{shown}"
        );
    }

    #[test]
    fn a_bad_address_is_refused_without_quoting_it() {
        let error = BrokerAccess::new("http://user:hunter2@host", keys()).unwrap_err();
        assert!(!error.to_string().contains("hunter2"));
        assert!(!error.retryable());
    }
}
