//! Metric names of the reconciliation job, with their descriptions and units.
//!
//! Labels are bounded: `class` a mismatch class ([`FindingClass::ALL`]),
//! `outcome` how a run ended ([`Outcome::ALL`]), `listing` a provider read
//! that can be incomplete ([`Listing::ALL`]). No saga, intent or order ids.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

use crate::finding::FindingClass;
use crate::gather::Listing;
use crate::report::Outcome;

pub const FINDINGS: &str = "autobook_reconciliation_findings";
pub const RUNS: &str = "autobook_reconciliation_runs_total";
pub const HOLDS_RELEASED: &str = "autobook_reconciliation_holds_released_total";
pub const LAST_SUCCESS: &str = "autobook_reconciliation_last_success_timestamp_seconds";
pub const INCOMPLETE_LISTINGS: &str = "autobook_reconciliation_incomplete_listings_total";
pub const RUN_SECONDS: &str = "autobook_reconciliation_run_duration_seconds";

/// Every counter this crate records.
pub const COUNTERS: &[&str] = &[RUNS, HOLDS_RELEASED, INCOMPLETE_LISTINGS];
/// Every gauge this crate records.
pub const GAUGES: &[&str] = &[FINDINGS, LAST_SUCCESS];
/// Every histogram this crate records.
pub const HISTOGRAMS: &[&str] = &[RUN_SECONDS];

/// Registers descriptions and units with the installed recorder.
pub fn describe() {
    describe_gauge!(
        FINDINGS,
        Unit::Count,
        "Open reconciliation findings that wait for a person (released holds left out), after the last completed run, by mismatch class."
    );
    describe_counter!(
        RUNS,
        Unit::Count,
        "Reconciliation runs by outcome: ok, findings, incomplete (a listing stopped early or failed), failed (an error), skipped (another instance holds the lease)."
    );
    describe_counter!(
        HOLDS_RELEASED,
        Unit::Count,
        "Orphaned holds the reconciliation job released (each one audited)."
    );
    describe_gauge!(
        LAST_SUCCESS,
        Unit::Seconds,
        "Unix time of the last run that read every listing to its end (0 until one has)."
    );
    describe_counter!(
        INCOMPLETE_LISTINGS,
        Unit::Count,
        "Provider reads that stopped before their end or failed, by listing."
    );
    describe_histogram!(
        RUN_SECONDS,
        Unit::Seconds,
        "Time one reconciliation run took, from reading the records to persisting its findings."
    );
}

/// Creates every label set at zero, so that rates and alerts see the job
/// from its start.
pub fn init() {
    for class in FindingClass::ALL {
        metrics::gauge!(FINDINGS, "class" => class.as_str()).set(0.0);
    }
    for outcome in Outcome::ALL {
        metrics::counter!(RUNS, "outcome" => outcome.as_str()).increment(0);
    }
    metrics::counter!(HOLDS_RELEASED).increment(0);
    metrics::gauge!(LAST_SUCCESS).set(0.0);
    for listing in Listing::ALL {
        metrics::counter!(INCOMPLETE_LISTINGS, "listing" => listing.as_str()).increment(0);
    }
}
