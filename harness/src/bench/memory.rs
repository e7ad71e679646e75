//! The orchestrator's memory while many sagas wait: watched sagas (their
//! search found nothing acceptable) with their next search far ahead are
//! written straight into the real schema, a fresh orchestrator process
//! runs live trips among them, and its resident memory is read from
//! `/proc` at each level. A saga's state lives in PostgreSQL, so the
//! figure should not grow with the number waiting.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use autobook_contracts::events::OffersFound;
use autobook_contracts::trip::TripRequest;
use autobook_contracts::{IdempotencyKey, Message, Step};
use autobook_orchestrator::saga::{self, Effect, Policy};
use autobook_vault::{Keyring, Place};

use super::driver::{Workload, drive};
use super::pacing::Pacer;
use super::proc_stats::{Probe, resident_memory, round};

/// Parked sagas written per statement.
const INSERT_BATCH: usize = 5_000;
/// How far ahead the parked sagas' timers are due.
const PARKED_FOR: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// The orchestrator's memory with `waiting` sagas parked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MemoryLevel {
    pub waiting: usize,
    /// VmRSS after a batch of live trips, in MiB.
    pub rss_mib: f64,
    /// VmHWM (the process's peak resident memory so far), in MiB.
    pub peak_rss_mib: f64,
    /// Throughput of the live batch run at this level.
    pub sagas_per_s: f64,
}

/// The waiting counts to measure at: none, a tenth, all.
pub fn levels(waiting: usize) -> Vec<usize> {
    let mut levels = vec![0, waiting / 10, waiting];
    levels.dedup();
    levels
}

/// Live trips run at each level: enough to keep the orchestrator busy for
/// a moment at `concurrency`.
pub fn batch_size(concurrency: usize) -> usize {
    2 * concurrency + 20
}

/// Row values of one parked saga: id, user id, state and timer (JSON).
fn parked(
    trip: &TripRequest,
    vault: &Keyring,
    now: DateTime<Utc>,
) -> anyhow::Result<(Uuid, String, String, String)> {
    let id = Uuid::now_v7();
    let started = saga::start(
        id,
        trip.clone(),
        now,
        &Policy::default(),
        &saga::Admission::Open,
    )
    .context("the template trip is invalid")?;
    // The search found nothing acceptable: the saga watches.
    let nothing = Message::from(OffersFound {
        idempotency_key: IdempotencyKey::derive(id, Step::Search, 1),
        offer_request_id: "orq_bench".to_owned(),
        offers: Vec::new(),
    });
    let decision =
        saga::decide(&started.saga, &nothing, now, &Policy::default()).context("parking a saga")?;
    let timer = decision
        .effects
        .iter()
        .find_map(|effect| match effect {
            Effect::Schedule { timer, .. } => Some(timer),
            Effect::Send(_) => None,
        })
        .context("a watched saga schedules its next search")?;
    let state = vault.seal_json(&serde_json::to_value(&decision.saga)?, &Place::saga(id));
    Ok((
        id,
        decision.saga.trip.user_id.as_str().to_owned(),
        serde_json::to_string(&state)?,
        serde_json::to_string(timer)?,
    ))
}

/// Writes `count` parked sagas (and their timers) built from `trip`, their
/// personal data sealed with `vault` as the orchestrator would.
pub async fn park(
    pool: &PgPool,
    vault: &Keyring,
    trip: &TripRequest,
    count: usize,
) -> anyhow::Result<()> {
    let mut left = count;
    while left > 0 {
        let now = Utc::now();
        let rows = (0..left.min(INSERT_BATCH))
            .map(|_| parked(trip, vault, now))
            .collect::<anyhow::Result<Vec<_>>>()?;
        left -= rows.len();
        autobook_orchestrator::admin::figures::insert_parked(
            pool,
            &rows,
            "watching",
            2,
            now + PARKED_FOR,
        )
        .await?;
    }
    Ok(())
}

/// Where and how waiting sagas are parked: copies of `template`, sealed
/// with the roles' keyring.
pub struct Parking<'a> {
    pub pool: &'a PgPool,
    pub vault: &'a Keyring,
    pub template: &'a TripRequest,
}

/// Measures the orchestrator (`pid`) at each level: parks sagas up to the
/// level, runs a batch of live trips through the system, reads its memory.
pub async fn measure(
    parking: Parking<'_>,
    orchestrator: u32,
    workload: &mut impl Workload,
    waiting: usize,
    concurrency: usize,
    stall: Duration,
) -> anyhow::Result<Vec<MemoryLevel>> {
    let probe = Probe::new(vec![("orchestrator".to_owned(), orchestrator)]);
    let mut parked_so_far = 0;
    let mut measured = Vec::new();
    for level in levels(waiting) {
        eprintln!("bench: memory with {level} sagas waiting");
        park(
            parking.pool,
            parking.vault,
            parking.template,
            level - parked_so_far,
        )
        .await?;
        parked_so_far = level;
        let pacer = Pacer::new(batch_size(concurrency), concurrency, 0)?;
        let window = drive(workload, pacer, &probe, stall).await?;
        let (rss, peak) =
            resident_memory(orchestrator).context("reading the orchestrator's memory")?;
        let mib = |bytes: u64| round(bytes as f64 / (1024.0 * 1024.0), 1);
        measured.push(MemoryLevel {
            waiting: level,
            rss_mib: mib(rss),
            peak_rss_mib: mib(peak),
            sagas_per_s: round(window.sagas_per_s(), 1),
        });
    }
    Ok(measured)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_none_a_tenth_and_all() {
        assert_eq!(levels(100_000), vec![0, 10_000, 100_000]);
        assert_eq!(levels(5), vec![0, 5]);
        assert_eq!(levels(0), vec![0]);
    }

    #[test]
    fn a_parked_saga_watches_for_its_next_search() {
        let (_, trip) = crate::demo::trips::generate(
            1,
            crate::demo::args::Scenario::Happy,
            1,
            Utc::now().date_naive(),
        )
        .pop()
        .expect("one trip");
        let vault = Keyring::generate("k1").unwrap();
        let (id, user, state, timer) = parked(&trip, &vault, Utc::now()).expect("parks");
        assert!(!state.contains(trip.contact_email.expose()), "sealed");
        let saga = autobook_orchestrator::store::decode_state(
            &vault,
            id,
            serde_json::from_str(&state).expect("JSON"),
        )
        .expect("state");
        assert_eq!(saga.id, id);
        assert_eq!(saga.phase.status(), "watching");
        assert!(!saga.phase.is_terminal());
        assert_eq!(user, trip.user_id.as_str());
        let timer: autobook_contracts::events::SagaTimer =
            serde_json::from_str(&timer).expect("timer");
        assert!(matches!(
            timer,
            autobook_contracts::events::SagaTimer::Research { .. }
        ));
    }
}
