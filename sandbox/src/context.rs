//! What every provider server shares at run time: the fault settings, the
//! behaviours, the price motion, the script queues, the counts of injected
//! faults, the instance that marks ids, the clock and the shutdown signal.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

use crate::behaviour::Behaviour;
use crate::clock::Clock;
use crate::config::SandboxConfig;
use crate::faults::Faults;
use crate::ids::Instance;
use crate::injected::Injections;
use crate::lock::locked;
use crate::price_motion::PriceMotion;
use crate::script::ScriptQueues;

/// Shared, cheaply locked run-time settings.
#[derive(Debug)]
pub(crate) struct Context {
    faults: Mutex<Faults>,
    behaviour: Mutex<Behaviour>,
    price_motion: Mutex<PriceMotion>,
    script: Mutex<ScriptQueues>,
    pub(crate) injections: Injections,
    pub(crate) clock: Clock,
    shutdown: watch::Sender<bool>,
    pub(crate) seed: u64,
    /// Marks every id of this start.
    pub(crate) instance: Instance,
}

impl Context {
    pub(crate) fn new(config: &SandboxConfig) -> Self {
        let (shutdown, _) = watch::channel(false);
        let instance = config.instance.unwrap_or_else(Instance::random_value);
        Context {
            faults: Mutex::new(config.faults.clone()),
            behaviour: Mutex::new(config.behaviour.clone()),
            price_motion: Mutex::new(config.price_motion),
            script: Mutex::new(ScriptQueues::default()),
            injections: Injections::default(),
            clock: Clock::default(),
            shutdown,
            seed: config.seed,
            instance: Instance::new(instance),
        }
    }

    /// A copy of the current fault settings.
    pub(crate) fn faults(&self) -> Faults {
        locked(&self.faults).clone()
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        *locked(&self.faults) = faults;
    }

    /// A copy of the behaviours in force.
    pub(crate) fn behaviour(&self) -> Behaviour {
        locked(&self.behaviour).clone()
    }

    pub(crate) fn set_behaviour(&self, behaviour: Behaviour) {
        *locked(&self.behaviour) = behaviour;
    }

    /// The price motion in force.
    pub(crate) fn price_motion(&self) -> PriceMotion {
        *locked(&self.price_motion)
    }

    pub(crate) fn set_price_motion(&self, motion: PriceMotion) {
        *locked(&self.price_motion) = motion;
    }

    /// Runs `f` on the script queues (popping or appending).
    pub(crate) fn script<T>(&self, f: impl FnOnce(&mut ScriptQueues) -> T) -> T {
        f(&mut locked(&self.script))
    }

    /// Tells every server and pending delay to stop.
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Whether shutdown has begun.
    pub(crate) fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Resolves once shutdown has begun.
    pub(crate) async fn shutdown_signal(&self) {
        let mut receiver = self.shutdown.subscribe();
        // An error means the sender is gone, which only happens at teardown.
        let _ = receiver.wait_for(|stopping| *stopping).await;
    }

    /// Sleeps for `duration`, or less if the sandbox shuts down meanwhile.
    pub(crate) async fn pause(&self, duration: Duration) {
        if duration.is_zero() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = self.shutdown_signal() => {}
        }
    }
}
