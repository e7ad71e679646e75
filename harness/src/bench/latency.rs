//! Latency percentiles (nearest rank) of a set of durations in milliseconds.

use std::collections::BTreeMap;

use serde::Serialize;

use super::proc_stats::round;

/// p50, p95 and p99 of `n` samples, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    pub n: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

impl Percentiles {
    /// Percentiles of `samples` (zeros when there are none).
    pub fn of(mut samples: Vec<f64>) -> Percentiles {
        samples.retain(|s| s.is_finite());
        samples.sort_by(f64::total_cmp);
        Percentiles {
            n: samples.len(),
            p50: round(nearest_rank(&samples, 0.50), 1),
            p95: round(nearest_rank(&samples, 0.95), 1),
            p99: round(nearest_rank(&samples, 0.99), 1),
        }
    }
}

/// Nearest-rank percentile of sorted values (0 when empty).
fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Samples grouped by name, then summarized.
#[derive(Debug, Default)]
pub struct Grouped(BTreeMap<String, Vec<f64>>);

impl Grouped {
    pub fn add(&mut self, name: &str, ms: f64) {
        self.0.entry(name.to_owned()).or_default().push(ms);
    }

    /// Percentiles of each group named in `order`, in that order (groups
    /// without samples get zeros, so the report always has every name).
    pub fn summarize(mut self, order: &[&str]) -> Vec<(String, Percentiles)> {
        order
            .iter()
            .map(|name| {
                let samples = self.0.remove(*name).unwrap_or_default();
                ((*name).to_owned(), Percentiles::of(samples))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let p = Percentiles::of(samples);
        assert_eq!((p.n, p.p50, p.p95, p.p99), (100, 50.0, 95.0, 99.0));
        let one = Percentiles::of(vec![7.25]);
        assert_eq!((one.p50, one.p99), (7.3, 7.3));
        let none = Percentiles::of(Vec::new());
        assert_eq!((none.n, none.p50), (0, 0.0));
    }

    #[test]
    fn groups_keep_the_requested_order() {
        let mut grouped = Grouped::default();
        grouped.add("order", 3.0);
        grouped.add("search", 1.0);
        grouped.add("search", 2.0);
        grouped.add("ignored", 9.0);
        let summary = grouped.summarize(&["search", "authorize", "order"]);
        let names: Vec<&str> = summary.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["search", "authorize", "order"]);
        assert_eq!(summary[0].1.n, 2);
        assert_eq!(summary[0].1.p99, 2.0);
        assert_eq!(summary[1].1.n, 0);
    }
}
