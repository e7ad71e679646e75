//! Closed-loop pacing, as pure bookkeeping: keep `concurrency` sagas in
//! flight, start a new one as one finishes, until `trips` were started.
//!
//! The measured window opens when the first `warmup` sagas have finished
//! and closes when the last saga is started (`trips - concurrency`
//! finished): in between, exactly `concurrency` sagas are in flight all
//! the time. The start-up before and the drain after are left out.

/// Pacing settings that cannot give a measured window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacingError {
    #[error("concurrency must be at least 1")]
    NoConcurrency,
    #[error(
        "{trips} trips leave no measured window after {warmup} warm-up sagas with {concurrency} in flight: \
         use at least {needed} trips"
    )]
    NoWindow {
        trips: usize,
        warmup: usize,
        concurrency: usize,
        needed: usize,
    },
}

/// A boundary of the measured window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    WindowOpens,
    WindowCloses,
}

/// What to do after a saga finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Next {
    /// Start another saga.
    pub start: bool,
    pub mark: Option<Mark>,
}

/// The pacing state of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacer {
    trips: usize,
    concurrency: usize,
    warmup: usize,
    started: usize,
    finished: usize,
}

impl Pacer {
    pub fn new(trips: usize, concurrency: usize, warmup: usize) -> Result<Pacer, PacingError> {
        if concurrency == 0 {
            return Err(PacingError::NoConcurrency);
        }
        let needed = warmup + concurrency + 1;
        if trips < needed {
            return Err(PacingError::NoWindow {
                trips,
                warmup,
                concurrency,
                needed,
            });
        }
        Ok(Pacer {
            trips,
            concurrency,
            warmup,
            started: 0,
            finished: 0,
        })
    }

    /// Sagas the window will count.
    pub fn measured(&self) -> usize {
        self.trips - self.concurrency - self.warmup
    }

    /// How many to start at once, and whether the window opens now (no warm-up).
    pub fn begin(&mut self) -> (usize, Option<Mark>) {
        self.started = self.concurrency;
        let mark = (self.warmup == 0).then_some(Mark::WindowOpens);
        (self.concurrency, mark)
    }

    /// One saga finished.
    pub fn finished(&mut self) -> Next {
        self.finished += 1;
        let start = self.started < self.trips;
        if start {
            self.started += 1;
        }
        let mark = if self.finished == self.warmup {
            Some(Mark::WindowOpens)
        } else if self.finished == self.trips - self.concurrency {
            Some(Mark::WindowCloses)
        } else {
            None
        };
        Next { start, mark }
    }

    /// Every saga finished.
    pub fn done(&self) -> bool {
        self.finished >= self.trips
    }

    pub fn in_flight(&self) -> usize {
        self.started - self.finished.min(self.started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the pacer to the end; returns (finished count at each mark, starts).
    fn run(trips: usize, concurrency: usize, warmup: usize) -> (Vec<(usize, Mark)>, usize) {
        let mut pacer = Pacer::new(trips, concurrency, warmup).expect("valid");
        let (mut starts, mark) = pacer.begin();
        let mut marks: Vec<(usize, Mark)> = mark.map(|m| (0, m)).into_iter().collect();
        let mut finished = 0;
        while !pacer.done() {
            assert!(pacer.in_flight() <= concurrency);
            let next = pacer.finished();
            finished += 1;
            starts += usize::from(next.start);
            if let Some(mark) = next.mark {
                marks.push((finished, mark));
            }
        }
        (marks, starts)
    }

    #[test]
    fn the_window_spans_the_steady_state() {
        let (marks, starts) = run(20, 4, 5);
        assert_eq!(
            marks,
            vec![(5, Mark::WindowOpens), (16, Mark::WindowCloses)]
        );
        assert_eq!(starts, 20);
    }

    #[test]
    fn without_warm_up_the_window_opens_at_once() {
        let (marks, starts) = run(10, 3, 0);
        assert_eq!(marks, vec![(0, Mark::WindowOpens), (7, Mark::WindowCloses)]);
        assert_eq!(starts, 10);
    }

    #[test]
    fn concurrency_stays_full_until_the_last_start() {
        let mut pacer = Pacer::new(12, 3, 2).expect("valid");
        pacer.begin();
        for _ in 0..9 {
            assert_eq!(pacer.in_flight(), 3);
            assert!(pacer.finished().start);
        }
        // Trips - concurrency finished: nothing more to start, the drain begins.
        assert_eq!(pacer.in_flight(), 3);
        assert!(!pacer.finished().start);
        assert_eq!(pacer.in_flight(), 2);
        assert_eq!(pacer.measured(), 7);
    }

    #[test]
    fn too_few_trips_are_refused() {
        assert_eq!(
            Pacer::new(9, 4, 5),
            Err(PacingError::NoWindow {
                trips: 9,
                warmup: 5,
                concurrency: 4,
                needed: 10
            })
        );
        assert_eq!(Pacer::new(9, 0, 0), Err(PacingError::NoConcurrency));
        assert!(Pacer::new(10, 4, 5).is_ok());
    }
}
