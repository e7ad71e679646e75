//! `GET /actions`: every action taken in the console, newest first: who,
//! with which role, what, on what, why, and what came of it.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::actions;
use crate::auth::Person;
use crate::extract::QueryOf;
use crate::page::{Chrome, PageError, render};
use crate::pages::ActionRow;
use crate::pages::Done;
use crate::state::Shared;

/// Actions listed.
const SHOWN: i64 = 200;

#[derive(Template)]
#[template(path = "actions.html")]
struct ActionsPage {
    chrome: Chrome,
    rows: Vec<ActionRow>,
}

/// `GET /actions`.
pub async fn page(
    State(console): State<Shared>,
    person: Person,
    QueryOf(params): QueryOf<Done>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&console, &person, "actions", params.done).await?;
    let rows = actions::latest(&console.pool, None, SHOWN).await?;
    render(&ActionsPage {
        chrome,
        rows: rows.iter().map(ActionRow::from).collect(),
    })
}
