//! Time as a port, so every rule that depends on time can be tested by moving a
//! clock instead of sleeping.

use chrono::{DateTime, Utc};

/// The source of "now" for domain rules.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock, truncated to microseconds so that what is stored and read back
/// from any database compares equal.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate_to_micros(Utc::now())
    }
}

/// Drops sub-microsecond precision (PostgreSQL keeps microseconds).
pub fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}

impl<C: Clock> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// A clock chosen at run time (the system clock, or a test clock).
pub type SharedClock = std::sync::Arc<dyn Clock>;

impl Clock for SharedClock {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

#[cfg(feature = "testkit")]
mod manual {
    use super::{Clock, DateTime, Utc};
    use std::sync::Mutex;

    /// A clock that only moves when told to.
    #[derive(Debug)]
    pub struct ManualClock(Mutex<DateTime<Utc>>);

    impl ManualClock {
        pub fn starting_at(t: DateTime<Utc>) -> Self {
            Self(Mutex::new(t))
        }

        pub fn advance(&self, by: chrono::Duration) {
            let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
            *now += by;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }
}

#[cfg(feature = "testkit")]
pub use manual::ManualClock;
