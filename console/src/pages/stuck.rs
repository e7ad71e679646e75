//! `GET /stuck`: the work that waits for people: stuck sagas (retry or
//! abort, with a reason, as `autobook ops saga`), paused ones and those
//! whose last step's outcome is unknown.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use autobook_orchestrator::admin::search::{self, SagaQuery};

use crate::auth::Person;
use crate::extract::QueryOf;
use crate::page::{Chrome, PageError, render};
use crate::pages::Done;
use crate::pages::sagas::Row;
use crate::state::Shared;

/// Sagas listed per group.
const SHOWN: i64 = 50;

pub struct Group {
    pub status: &'static str,
    pub title: &'static str,
    pub help: &'static str,
    pub rows: Vec<Row>,
    pub more: bool,
}

#[derive(Template)]
#[template(path = "stuck.html")]
struct StuckPage {
    chrome: Chrome,
    groups: Vec<Group>,
}

/// `GET /stuck`.
pub async fn page(
    State(console): State<Shared>,
    person: Person,
    QueryOf(params): QueryOf<Done>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&console, &person, "stuck", params.done).await?;
    let mut groups = Vec::new();
    for (status, title, help) in [
        (
            "stuck",
            "Stuck",
            "Automation gave up: retry the step (same key), or abort once the money is settled by hand.",
        ),
        (
            "outcome_unknown",
            "Outcome unknown",
            "A provider's answer was lost: the saga re-checks by a strongly consistent read.",
        ),
        (
            "paused",
            "Paused",
            "Waiting for the booking pipeline or the kill switch (see Flags).",
        ),
    ] {
        let page = search::search(
            &console.pool,
            &SagaQuery {
                status: Some(status.to_owned()),
                limit: SHOWN,
                ..SagaQuery::default()
            },
        )
        .await?;
        groups.push(Group {
            status,
            title,
            help,
            rows: page.sagas.iter().map(Row::from).collect(),
            more: page.next.is_some(),
        });
    }
    render(&StuckPage { chrome, groups })
}
