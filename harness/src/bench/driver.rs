//! Runs a [`Workload`] closed-loop under a [`Pacer`], snapshotting CPU
//! counters when the measured window opens and closes.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};

use super::pacing::{Mark, Pacer};
use super::proc_stats::{CpuUsage, Probe, Snapshot};

/// Something made of sagas (or saga-equivalents) that start and finish.
pub trait Workload {
    /// Starts one saga without waiting for it.
    fn start(&mut self) -> impl Future<Output = anyhow::Result<()>>;
    /// Waits until at least one started saga finished; returns how many.
    fn finished(&mut self) -> impl Future<Output = anyhow::Result<usize>>;
}

/// The measured window of a run.
#[derive(Debug, Clone)]
pub struct Window {
    pub opened_at: DateTime<Utc>,
    pub closed_at: DateTime<Utc>,
    /// Sagas that finished inside the window.
    pub sagas: usize,
    pub cpu: CpuUsage,
}

impl Window {
    pub fn seconds(&self) -> f64 {
        self.cpu.wall_s
    }

    pub fn sagas_per_s(&self) -> f64 {
        self.sagas as f64 / self.cpu.wall_s.max(f64::EPSILON)
    }
}

/// Drives `workload` until every saga finished. Fails when no saga
/// finishes for `stall` (something is down or stuck).
pub async fn drive(
    workload: &mut impl Workload,
    mut pacer: Pacer,
    probe: &Probe,
    stall: Duration,
) -> anyhow::Result<Window> {
    let measured = pacer.measured();
    let mut opened: Option<(DateTime<Utc>, Snapshot)> = None;
    let mut closed: Option<(DateTime<Utc>, Snapshot)> = None;
    let mut on_mark = |mark: Mark| match mark {
        Mark::WindowOpens => opened = Some((Utc::now(), probe.snapshot())),
        Mark::WindowCloses => closed = Some((Utc::now(), probe.snapshot())),
    };
    let (first, mark) = pacer.begin();
    if let Some(mark) = mark {
        on_mark(mark);
    }
    for _ in 0..first {
        workload.start().await?;
    }
    while !pacer.done() {
        let count = tokio::time::timeout(stall, workload.finished())
            .await
            .with_context(|| {
                format!(
                    "no saga finished for {} s ({} in flight)",
                    stall.as_secs(),
                    pacer.in_flight()
                )
            })??;
        for _ in 0..count {
            let next = pacer.finished();
            if let Some(mark) = next.mark {
                on_mark(mark);
            }
            if next.start {
                workload.start().await?;
            }
        }
    }
    let (Some((opened_at, before)), Some((closed_at, after))) = (opened, closed) else {
        bail!("the measured window never closed");
    };
    Ok(Window {
        opened_at,
        closed_at,
        sagas: measured,
        cpu: probe.usage(&before, &after),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    /// Sagas that finish in the order they were started, one per call.
    #[derive(Default)]
    struct Queue {
        started: usize,
        running: VecDeque<usize>,
    }

    impl Workload for Queue {
        async fn start(&mut self) -> anyhow::Result<()> {
            self.running.push_back(self.started);
            self.started += 1;
            Ok(())
        }

        async fn finished(&mut self) -> anyhow::Result<usize> {
            match self.running.pop_front() {
                Some(_) => Ok(1),
                None => std::future::pending().await,
            }
        }
    }

    #[tokio::test]
    async fn every_trip_is_started_and_the_window_counts_the_steady_state() {
        let mut workload = Queue::default();
        let pacer = Pacer::new(30, 4, 6).expect("valid");
        let window = drive(
            &mut workload,
            pacer,
            &Probe::new(Vec::new()),
            Duration::from_secs(5),
        )
        .await
        .expect("runs");
        assert_eq!(workload.started, 30);
        assert!(workload.running.is_empty());
        assert_eq!(window.sagas, 20);
        assert!(window.closed_at >= window.opened_at);
    }

    #[tokio::test]
    async fn a_stalled_workload_fails() {
        struct Stalled;
        impl Workload for Stalled {
            async fn start(&mut self) -> anyhow::Result<()> {
                Ok(())
            }
            async fn finished(&mut self) -> anyhow::Result<usize> {
                std::future::pending().await
            }
        }
        let pacer = Pacer::new(10, 2, 1).expect("valid");
        let error = drive(
            &mut Stalled,
            pacer,
            &Probe::new(Vec::new()),
            Duration::from_millis(50),
        )
        .await
        .expect_err("stalls");
        assert!(error.to_string().contains("no saga finished"), "{error}");
    }
}
