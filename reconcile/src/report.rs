//! What one run reports: one JSON object (`autobook reconcile --once
//! --json`), its text form, and the short verdict the demo, chaos and
//! bench summaries print.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use autobook_contracts::money::Money;

use crate::finding::{FindingClass, Handled};
use crate::gather::{Examined, Listing};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every listing read to its end, nothing found.
    Ok,
    /// Every listing read to its end, something found.
    Findings,
    /// A listing stopped early or failed: absences prove nothing.
    Incomplete,
    /// An error ended the run (the database, a newer lease holder).
    Failed,
    /// Another instance held the lease: nothing was read.
    Skipped,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Ok,
        Outcome::Findings,
        Outcome::Incomplete,
        Outcome::Failed,
        Outcome::Skipped,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Findings => "findings",
            Outcome::Incomplete => "incomplete",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }

    /// The outcome of a run that read what it read and found what it found.
    pub fn of(complete: bool, findings: usize) -> Outcome {
        match (complete, findings) {
            (false, _) => Outcome::Incomplete,
            (true, 0) => Outcome::Ok,
            (true, _) => Outcome::Findings,
        }
    }
}

/// A hold the run released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Released {
    pub payment_intent_id: String,
    pub saga_id: Option<Uuid>,
    pub amount: Money,
}

/// One run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Every listing complete and nothing found.
    pub ok: bool,
    pub outcome: Outcome,
    pub run_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Provider objects created from here on were read.
    pub window_start: DateTime<Utc>,
    pub grace_secs: u64,
    /// Whether the run could release holds.
    pub repair: bool,
    /// Reads that may have missed something.
    pub incomplete: Vec<Listing>,
    /// Findings of this run by class (every class, zeros included).
    pub counts: BTreeMap<&'static str, usize>,
    pub findings: Vec<Handled>,
    pub released: Vec<Released>,
    pub examined: Examined,
}

impl Report {
    /// Findings by class, every class present.
    pub fn count(findings: &[Handled]) -> BTreeMap<&'static str, usize> {
        let mut counts: BTreeMap<&'static str, usize> = FindingClass::ALL
            .iter()
            .map(|class| (class.as_str(), 0))
            .collect();
        for handled in findings {
            *counts.entry(handled.finding.class.as_str()).or_default() += 1;
        }
        counts
    }

    /// The short verdict for run summaries.
    pub fn verdict(&self) -> Verdict {
        Verdict {
            ok: self.ok,
            outcome: self.outcome,
            findings: self.findings.len(),
            counts: self
                .counts
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(class, n)| (*class, *n))
                .collect(),
            released: self.released.len(),
            incomplete: self.incomplete.clone(),
            examined: self.examined,
        }
    }

    /// The report for people.
    pub fn render(&self) -> String {
        let mut out = format!(
            "reconciliation {}: {} ({} intents, {} refunds, {} orders, {} sagas read; window from {})\n",
            self.run_id,
            self.verdict().headline(),
            self.examined.payment_intents,
            self.examined.refunds,
            self.examined.orders,
            self.examined.sagas,
            self.window_start
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        for handled in &self.findings {
            let f = &handled.finding;
            let saga = f
                .saga_id
                .map_or_else(|| "-".to_owned(), |id| id.to_string());
            out.push_str(&format!(
                "  {:<28} {:<38} saga {saga}  [{}]\n    {}\n",
                f.class.as_str(),
                f.subject,
                handled.action.as_str(),
                f.detail
            ));
        }
        for released in &self.released {
            out.push_str(&format!(
                "  released {} ({})\n",
                released.payment_intent_id, released.amount
            ));
        }
        out
    }
}

/// A run's verdict in a few figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub ok: bool,
    pub outcome: Outcome,
    pub findings: usize,
    /// Non-zero counts by class.
    pub counts: BTreeMap<&'static str, usize>,
    pub released: usize,
    pub incomplete: Vec<Listing>,
    pub examined: Examined,
}

impl Verdict {
    /// "OK", or what was found and what could not be read.
    pub fn headline(&self) -> String {
        if self.ok {
            return "OK: the providers agree with every saga's record".to_owned();
        }
        let mut parts = Vec::new();
        if self.findings > 0 {
            let counts: Vec<String> = self
                .counts
                .iter()
                .map(|(class, n)| format!("{class} {n}"))
                .collect();
            parts.push(format!(
                "{} FINDING(S): {}",
                self.findings,
                counts.join(", ")
            ));
        }
        if self.released > 0 {
            parts.push(format!("{} hold(s) released", self.released));
        }
        if !self.incomplete.is_empty() {
            let reads: Vec<&str> = self.incomplete.iter().map(Listing::as_str).collect();
            parts.push(format!("INCOMPLETE: {}", reads.join(", ")));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_says_complete_and_clean_complete_with_findings_or_incomplete() {
        assert_eq!(Outcome::of(true, 0), Outcome::Ok);
        assert_eq!(Outcome::of(true, 2), Outcome::Findings);
        assert_eq!(Outcome::of(false, 0), Outcome::Incomplete);
        assert_eq!(Outcome::of(false, 3), Outcome::Incomplete);
    }

    #[test]
    fn a_verdict_names_what_was_found_and_what_could_not_be_read() {
        let verdict = Verdict {
            ok: false,
            outcome: Outcome::Incomplete,
            findings: 2,
            counts: BTreeMap::from([("orphan_hold", 1), ("double_order", 1)]),
            released: 1,
            incomplete: vec![Listing::Orders],
            examined: Examined::default(),
        };
        assert_eq!(
            verdict.headline(),
            "2 FINDING(S): double_order 1, orphan_hold 1; 1 hold(s) released; INCOMPLETE: orders"
        );
    }
}
