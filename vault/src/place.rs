//! Where a sealed value belongs: a table (or, on the broker, a message), a
//! field, and a row. Values sealed in the `v2` formats carry their place in
//! their associated data, so a value copied into another row, another field
//! or another table does not open there ([`crate::VaultError::Misplaced`]).
//!
//! The associated data of a `v2` value is its tag up to the key id, then
//! the table, the field and the row, each after a line feed:
//! `pii:v2:<kid>\n<table>\n<field>\n<row>` (sealed bytes: the same after a
//! NUL). Tables and fields are names from the code (`[a-z_]`); only the
//! row, last, is free text.

use std::fmt;

/// The table and row a sealed value sits in; each value also names its
/// field when it is sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    table: &'static str,
    row: String,
}

/// The tables (and broker places) whose values are sealed.
pub mod tables {
    /// `sagas.state`: fields of the JSON document, by key; the row is the saga id.
    pub const SAGAS: &str = "sagas";
    /// `passengers`: one field per column; the row is `<saga id>/<position>`.
    pub const PASSENGERS: &str = "passengers";
    /// `outbox.body`; the row is the message id.
    pub const OUTBOX: &str = "outbox";
    /// `dead_letters.body`, and a dead letter's copy on the broker sealed
    /// whole; the row is the dead letter's id.
    pub const DEAD_LETTERS: &str = "dead_letters";
    /// `provider_calls.reply`; the row is the call's idempotency key.
    pub const PROVIDER_CALLS: &str = "provider_calls";
    /// A message body on the broker: personal fields by key (the payload's
    /// `to` too); the row is the envelope's `message_id` as written.
    pub const MESSAGE: &str = "message";
}

impl Place {
    /// A row of `table` (one of [`tables`]) whose id reads `row`.
    pub fn new(table: &'static str, row: impl fmt::Display) -> Place {
        Place {
            table,
            row: row.to_string(),
        }
    }

    /// A saga's state.
    pub fn saga(id: impl fmt::Display) -> Place {
        Place::new(tables::SAGAS, id)
    }

    /// One passenger of a saga's read model.
    pub fn passenger(saga_id: impl fmt::Display, position: i16) -> Place {
        Place::new(tables::PASSENGERS, format!("{saga_id}/{position}"))
    }

    /// A message waiting in the outbox.
    pub fn outbox(message_id: impl fmt::Display) -> Place {
        Place::new(tables::OUTBOX, message_id)
    }

    /// An archived dead letter, or its copy on the broker.
    pub fn dead_letter(id: impl fmt::Display) -> Place {
        Place::new(tables::DEAD_LETTERS, id)
    }

    /// A provider call's stored reply.
    pub fn provider_call(idempotency_key: impl fmt::Display) -> Place {
        Place::new(tables::PROVIDER_CALLS, idempotency_key)
    }

    /// A message on the broker.
    pub fn message(message_id: impl fmt::Display) -> Place {
        Place::new(tables::MESSAGE, message_id)
    }

    pub fn table(&self) -> &'static str {
        self.table
    }

    pub fn row(&self) -> &str {
        &self.row
    }

    /// The associated data of a `v2` value whose tag (up to its key id) is
    /// `tag`, at `field` of this place.
    pub(crate) fn aad(&self, tag: &[u8], field: &'static str) -> Vec<u8> {
        let mut aad = Vec::with_capacity(tag.len() + self.table.len() + field.len() + 40);
        aad.extend_from_slice(tag);
        for part in [self.table, field, self.row.as_str()] {
            aad.push(b'\n');
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }
}

/// What a keyring does with a value sealed before values had places
/// (`pii:v1`): open it (the default, while such values remain), or refuse
/// it ([`crate::VaultError::Unplaced`]) once `autobook ops keys rotate`
/// has placed every stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unplaced {
    #[default]
    Open,
    Refuse,
}

impl Unplaced {
    /// Reads `open` or `refuse`.
    pub fn parse(value: &str) -> Option<Unplaced> {
        match value.trim() {
            "open" => Some(Unplaced::Open),
            "refuse" => Some(Unplaced::Refuse),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Unplaced::Open => "open",
            Unplaced::Refuse => "refuse",
        }
    }
}
