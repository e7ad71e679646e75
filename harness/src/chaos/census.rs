//! Counting what a chaos run left behind: unfinished sagas, sagas nobody
//! submitted, and dead letters (in the queues and archived).

use std::collections::BTreeMap;

use sqlx::PgPool;
use uuid::Uuid;

use autobook_contracts::Topology;
use autobook_orchestrator::saga::Phase;

use super::report::{UNFINISHED_LISTED, Unfinished};
use crate::demo::summary::Finished;

/// Lost, stuck and aborted sagas, by id (the first [`UNFINISHED_LISTED`]).
pub fn unfinished(sagas: &[(Uuid, Finished)]) -> Vec<Unfinished> {
    let mut list: Vec<Unfinished> = sagas
        .iter()
        .filter_map(|(id, saga)| {
            let status = match &saga.phase {
                None => "not_started",
                Some(Phase::Booked { .. } | Phase::Failed { .. }) => return None,
                Some(phase) => phase.status(),
            };
            Some(Unfinished {
                saga_id: *id,
                status,
            })
        })
        .collect();
    list.sort_by_key(|u| u.saga_id);
    list.truncate(UNFINISHED_LISTED);
    list
}

/// Sagas in the database that the run never submitted (should be none).
pub async fn extra_sagas(pool: &PgPool, submitted: &[Uuid]) -> anyhow::Result<usize> {
    let known: std::collections::HashSet<Uuid> = submitted.iter().copied().collect();
    let ids = autobook_orchestrator::admin::figures::saga_ids(pool).await?;
    Ok(ids.iter().filter(|id| !known.contains(id)).count())
}

/// Archived dead letters by dead-letter queue, then `code/type`.
pub async fn archived_dead_letters(
    pool: &sqlx::PgPool,
    topology: &Topology,
) -> anyhow::Result<BTreeMap<String, BTreeMap<String, usize>>> {
    let rows = autobook_orchestrator::admin::figures::dead_letters_by_kind(pool).await?;
    let mut census: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (role, code, kind, count) in rows {
        let queue = autobook_contracts::QueueRole::ALL
            .iter()
            .find(|r| r.as_str() == role)
            .map_or(role, |r| topology.dead_letter_queue(*r));
        let kind = kind.unwrap_or_else(|| "unknown".into());
        *census
            .entry(queue)
            .or_default()
            .entry(format!("{code}/{kind}"))
            .or_insert(0) += usize::try_from(count).unwrap_or(0);
    }
    Ok(census)
}

pub fn merge_counts(
    into: &mut BTreeMap<String, BTreeMap<String, usize>>,
    more: BTreeMap<String, BTreeMap<String, usize>>,
) {
    for (queue, counts) in more {
        let entry = into.entry(queue).or_default();
        for (key, n) in counts {
            *entry.entry(key).or_insert(0) += n;
        }
    }
}
