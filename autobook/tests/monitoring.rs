//! Drift between the code's metrics and what is built on them: every metric
//! an alert rule, an alert test or a dashboard panel names must be defined
//! in a `metric_definitions.rs` (with the suffixes its type exports), each
//! crate's lists must hold exactly the names its file defines, and
//! `docs/observability.md` must document every metric.

use std::collections::BTreeSet;
use std::path::PathBuf;

use autobook_broker::metric_definitions as broker;
use autobook_gateway::metric_definitions as gateway;
use autobook_orchestrator::metric_definitions as orchestrator;
use autobook_reconcile::metric_definitions as reconcile;
use autobook_sandbox::metric_definitions as sandbox;
use autobook_throttle::metric_definitions as throttle;
use autobook_workers::metric_definitions as workers;

fn repo_file(path: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `autobook_...` metric-like name in `text`.
fn names_in(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let is_name = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
    let mut names = BTreeSet::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("autobook_") {
        let start = from + found;
        let mut end = start;
        while end < bytes.len() && is_name(bytes[end]) {
            end += 1;
        }
        let preceded = start > 0 && (is_name(bytes[start - 1]) || bytes[start - 1] == b'-');
        if !preceded {
            names.insert(text[start..end].to_owned());
        }
        from = end;
    }
    names
}

struct Defined {
    counters: Vec<&'static str>,
    gauges: Vec<&'static str>,
    histograms: Vec<&'static str>,
}

impl Defined {
    fn all() -> Defined {
        Defined {
            counters: [
                broker::COUNTERS,
                orchestrator::COUNTERS,
                workers::COUNTERS,
                throttle::COUNTERS,
                gateway::COUNTERS,
                reconcile::COUNTERS,
                sandbox::COUNTERS,
            ]
            .concat(),
            gauges: [
                broker::GAUGES,
                orchestrator::GAUGES,
                workers::GAUGES,
                throttle::GAUGES,
                gateway::GAUGES,
                reconcile::GAUGES,
                sandbox::GAUGES,
            ]
            .concat(),
            histograms: [
                broker::HISTOGRAMS,
                orchestrator::HISTOGRAMS,
                workers::HISTOGRAMS,
                throttle::HISTOGRAMS,
                gateway::HISTOGRAMS,
                reconcile::HISTOGRAMS,
            ]
            .concat(),
        }
    }

    fn names(&self) -> Vec<&'static str> {
        [
            self.counters.as_slice(),
            self.gauges.as_slice(),
            self.histograms.as_slice(),
        ]
        .concat()
    }

    /// Whether Prometheus can see a series named `name` from our exporters.
    /// Histograms export only `_bucket`, `_sum` and `_count`.
    fn exports(&self, name: &str) -> bool {
        self.counters.contains(&name)
            || self.gauges.contains(&name)
            || ["_bucket", "_sum", "_count"].iter().any(|suffix| {
                name.strip_suffix(suffix)
                    .is_some_and(|base| self.histograms.contains(&base))
            })
    }
}

#[test]
fn every_metric_in_alerts_and_the_dashboard_is_defined() {
    let defined = Defined::all();
    for file in [
        "infra/prometheus/alerts.yml",
        "infra/prometheus/alerts.test.yml",
        "infra/grafana/autobook-dashboard.json",
    ] {
        let text = repo_file(file);
        let used = names_in(&text);
        assert!(!used.is_empty(), "{file} names no metric");
        let undefined: Vec<&String> = used.iter().filter(|n| !defined.exports(n)).collect();
        assert!(
            undefined.is_empty(),
            "{file} uses metrics no metric_definitions.rs defines (or a histogram without _bucket/_sum/_count): {undefined:?}"
        );
    }
}

#[test]
fn the_lists_hold_exactly_the_names_each_file_defines() {
    let crates: [(&str, Vec<&str>); 7] = [
        (
            "broker/src/metric_definitions.rs",
            [broker::COUNTERS, broker::GAUGES, broker::HISTOGRAMS].concat(),
        ),
        (
            "orchestrator/src/metric_definitions.rs",
            [
                orchestrator::COUNTERS,
                orchestrator::GAUGES,
                orchestrator::HISTOGRAMS,
            ]
            .concat(),
        ),
        (
            "workers/src/metric_definitions.rs",
            [workers::COUNTERS, workers::GAUGES, workers::HISTOGRAMS].concat(),
        ),
        (
            "throttle/src/metric_definitions.rs",
            [throttle::COUNTERS, throttle::GAUGES, throttle::HISTOGRAMS].concat(),
        ),
        (
            "gateway/src/metric_definitions.rs",
            [gateway::COUNTERS, gateway::GAUGES, gateway::HISTOGRAMS].concat(),
        ),
        (
            "reconcile/src/metric_definitions.rs",
            [
                reconcile::COUNTERS,
                reconcile::GAUGES,
                reconcile::HISTOGRAMS,
            ]
            .concat(),
        ),
        (
            "sandbox/src/metric_definitions.rs",
            [sandbox::COUNTERS, sandbox::GAUGES, sandbox::HISTOGRAMS].concat(),
        ),
    ];
    for (file, listed) in crates {
        let source = repo_file(file);
        let defined: BTreeSet<&str> = source
            .lines()
            .filter_map(|line| line.strip_prefix("pub const "))
            .filter_map(|line| line.split_once(": &str = \"")?.1.split_once('"'))
            .map(|(name, _)| name)
            .collect();
        let listed_set: BTreeSet<&str> = listed.iter().copied().collect();
        assert_eq!(listed.len(), listed_set.len(), "{file} lists a name twice");
        assert_eq!(listed_set, defined, "{file}: lists and constants differ");
    }
}

#[test]
fn names_are_unique_and_counters_end_in_total() {
    let defined = Defined::all();
    let names = defined.names();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "a name is defined twice");
    for counter in &defined.counters {
        assert!(counter.ends_with("_total"), "{counter}");
    }
    for name in defined.gauges.iter().chain(&defined.histograms) {
        assert!(!name.ends_with("_total"), "{name}");
    }
}

#[test]
fn the_observability_page_documents_every_metric() {
    let documented = names_in(&repo_file("docs/observability.md"));
    let missing: Vec<&str> = Defined::all()
        .names()
        .into_iter()
        .filter(|name| !documented.contains(*name))
        .collect();
    assert!(missing.is_empty(), "undocumented metrics: {missing:?}");
}

#[test]
fn names_are_found_in_promql_and_json() {
    let text = r#"max(autobook_sagas{status="stuck"}) / rate(autobook_x_total[5m]) "autobook-overview" my_autobook_y"#;
    let names: Vec<String> = names_in(text).into_iter().collect();
    assert_eq!(names, vec!["autobook_sagas", "autobook_x_total"]);
}
