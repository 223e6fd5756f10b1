//! Time as a port, so every rule that depends on time can be tested by moving a
//! clock instead of sleeping.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

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

/// A person's age on a day: completed years between `born` and `on` (a 29 February
/// birthday counts on 1 March in other years, as English law has it).
pub fn age_on(born: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_moves_on_the_birthday() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(age_on(d("2001-06-15"), d("2026-06-14")), 24);
        assert_eq!(age_on(d("2001-06-15"), d("2026-06-15")), 25);
        assert_eq!(age_on(d("2004-02-29"), d("2022-02-28")), 17);
        assert_eq!(age_on(d("2004-02-29"), d("2022-03-01")), 18);
        assert_eq!(age_on(d("2004-02-29"), d("2024-02-29")), 20);
        assert_eq!(age_on(d("2030-01-01"), d("2026-01-01")), 0, "not born yet: no negative age");
    }
}
