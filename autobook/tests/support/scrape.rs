//! Reading a role's `/metrics` page (Prometheus text format) in tests.

#![allow(dead_code)]

/// One sample: metric name, labels, value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Every sample of a page (comments skipped; label values are plain here).
pub fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let value = value.parse().ok()?;
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, labels(rest.trim_end_matches('}'))),
                None => (series, Vec::new()),
            };
            Some(Sample {
                name: name.to_owned(),
                labels,
                value,
            })
        })
        .collect()
}

fn labels(text: &str) -> Vec<(String, String)> {
    text.split("\",")
        .filter_map(|pair| {
            let (key, value) = pair.split_once("=\"")?;
            Some((key.to_owned(), value.trim_end_matches('"').to_owned()))
        })
        .collect()
}

/// The sum of the samples named `name` whose labels include `wanted`;
/// None when there is no such sample.
pub fn value(samples: &[Sample], name: &str, wanted: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<f64> = samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            wanted
                .iter()
                .all(|(k, v)| s.labels.iter().any(|(key, val)| key == k && val == v))
        })
        .map(|s| s.value)
        .collect();
    (!matching.is_empty()).then(|| matching.iter().sum())
}

/// The page of `http://<addr>/metrics`.
pub async fn fetch(addr: &str) -> String {
    reqwest::get(format!("http://{addr}/metrics"))
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("metrics are served")
        .text()
        .await
        .expect("a text page")
}

/// Scrapes `addr` until every check passes or `timeout` runs out; returns
/// the failed checks (empty: all passed) and the last page.
pub async fn until(
    addr: &str,
    timeout: std::time::Duration,
    checks: &[Check<'_>],
) -> (Vec<String>, String) {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let page = fetch(addr).await;
        let samples = parse(&page);
        let failed: Vec<String> = checks
            .iter()
            .filter(|check| !check.holds(&samples))
            .map(|check| format!("{check:?}"))
            .collect();
        if failed.is_empty() || tokio::time::Instant::now() >= deadline {
            return (failed, page);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// What a scrape must show.
#[derive(Debug, Clone)]
pub enum Check<'a> {
    /// The series exists (any value, zero included).
    Present(&'a str, &'a [(&'a str, &'a str)]),
    /// The series (summed over other labels) is above zero.
    Positive(&'a str, &'a [(&'a str, &'a str)]),
    /// The series is exactly this value.
    Equals(&'a str, &'a [(&'a str, &'a str)], f64),
}

impl Check<'_> {
    fn holds(&self, samples: &[Sample]) -> bool {
        match self {
            Check::Present(name, labels) => value(samples, name, labels).is_some(),
            Check::Positive(name, labels) => value(samples, name, labels).is_some_and(|v| v > 0.0),
            Check::Equals(name, labels, want) => value(samples, name, labels) == Some(*want),
        }
    }
}

/// The `# TYPE` of a metric on a page.
pub fn declared_type<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    page.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .find_map(|rest| rest.strip_prefix(name)?.strip_prefix(' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_and_labels_are_parsed() {
        let page = "# TYPE a_total counter\na_total{x=\"1\",y=\"b\"} 3\na_total{x=\"2\",y=\"b\"} 4\nb 0.5\n";
        let samples = parse(page);
        assert_eq!(value(&samples, "a_total", &[("y", "b")]), Some(7.0));
        assert_eq!(value(&samples, "a_total", &[("x", "2")]), Some(4.0));
        assert_eq!(value(&samples, "a_total", &[("x", "3")]), None);
        assert_eq!(value(&samples, "b", &[]), Some(0.5));
        assert_eq!(declared_type(page, "a_total"), Some("counter"));
        assert_eq!(declared_type(page, "a"), None);
    }
}
