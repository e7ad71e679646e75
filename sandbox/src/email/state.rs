//! The email sandbox's memory, behind one mutex: its RNG, sent emails and
//! stored idempotent answers.

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::message::OutgoingEmail;
use crate::idempotency::IdempotencyStore;
use crate::ids::{Instance, stable_hash};
use crate::ledger::{Ledger, LedgerEmail, LedgerEmailTag};

/// A sent email.
#[derive(Debug, Clone)]
pub(crate) struct SentEmail {
    pub(crate) id: String,
    pub(crate) email: OutgoingEmail,
    pub(crate) created_at: DateTime<Utc>,
}

impl SentEmail {
    pub(crate) fn json(&self) -> Value {
        let email = &self.email;
        json!({
            "object": "email",
            "id": self.id,
            "from": email.from,
            "to": email.to,
            "cc": email.cc,
            "bcc": email.bcc,
            "reply_to": email.reply_to,
            "subject": email.subject,
            "html": email.html,
            "text": email.text,
            "tags": email.tags.iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>(),
            "created_at": self.created_at,
            "last_event": "delivered",
        })
    }
}

#[derive(Debug)]
pub(crate) struct EmailState {
    pub(crate) rng: StdRng,
    instance: Instance,
    pub(crate) sent: Vec<SentEmail>,
    pub(crate) idempotency: IdempotencyStore,
}

impl EmailState {
    pub(crate) fn new(seed: u64, instance: Instance) -> Self {
        EmailState {
            rng: StdRng::seed_from_u64(stable_hash(&[&seed.to_string(), "email"])),
            instance,
            sent: Vec::new(),
            idempotency: IdempotencyStore::default(),
        }
    }

    /// A new email id of this start.
    pub(crate) fn new_id(&mut self) -> String {
        self.instance.uuid(&mut self.rng).to_string()
    }

    pub(crate) fn write_ledger(&self, ledger: &mut Ledger) {
        ledger.emails = self
            .sent
            .iter()
            .map(|sent| LedgerEmail {
                id: sent.id.clone(),
                to: sent.email.to.clone(),
                subject: sent.email.subject.clone(),
                tags: sent
                    .email
                    .tags
                    .iter()
                    .map(|(name, value)| LedgerEmailTag {
                        name: name.clone(),
                        value: value.clone(),
                    })
                    .collect(),
                created_at: sent.created_at,
                status: "sent".into(),
            })
            .collect();
    }
}
