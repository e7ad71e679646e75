//! The console's pages, one module each, and the headers every response
//! carries.

pub mod actions;
pub mod dead_letters;
pub mod flags;
pub mod headers;
pub mod login;
pub mod overview;
pub mod reconciliation;
pub mod saga;
pub mod sagas;
pub mod stuck;

use serde::Deserialize;
use uuid::Uuid;

use crate::actions::Recorded;
use crate::page::{maybe_time, time};

/// The query of a page reached after an action: its id, whose outcome the
/// page shows.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    pub done: Option<Uuid>,
}

/// A name and a value, shown in a list of facts.
pub struct Fact {
    pub name: String,
    pub value: String,
}

/// A fact with a fixed name.
pub fn fact(name: &str, value: impl Into<String>) -> Fact {
    Fact {
        name: name.to_owned(),
        value: value.into(),
    }
}

/// A recorded console action, formatted.
pub struct ActionRow {
    pub at: String,
    pub operator: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub reason: String,
    pub outcome: String,
    pub ok: bool,
    pub finished: String,
}

impl From<&Recorded> for ActionRow {
    fn from(r: &Recorded) -> ActionRow {
        let outcome = r.outcome();
        ActionRow {
            at: time(r.requested_at),
            operator: r.operator.clone(),
            role: r.role.clone(),
            action: r.action.clone(),
            target: r.target.clone(),
            reason: r.reason.clone(),
            ok: outcome.as_ref().is_some_and(|o| o.ok),
            outcome: outcome.map_or_else(|| "not finished".to_owned(), |o| o.message),
            finished: maybe_time(r.finished_at),
        }
    }
}
