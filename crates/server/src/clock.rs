//! The clocks the binary hands the core: the system's, and one that runs with it but can be
//! moved ahead (tests and benchmarks make time pass with it instead of waiting).

use std::sync::atomic::{AtomicI64, Ordering};

use keyhall_core::ports::Clock;
use keyhall_types::Timestamp;

/// The system's UTC time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        time::OffsetDateTime::now_utc()
    }
}

/// The system's time plus an offset that only grows: `advance` makes that much time pass at
/// once for everything that reads this clock.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    ahead_micros: AtomicI64,
}

impl ShiftedClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock `by` ahead (negative durations are ignored: time never goes back).
    pub fn advance(&self, by: std::time::Duration) {
        let micros = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        self.ahead_micros.fetch_add(micros.max(0), Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        time::OffsetDateTime::now_utc() + time::Duration::microseconds(self.ahead_micros.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_moves_ahead_and_never_back() {
        let clock = ShiftedClock::new();
        let before = clock.now();
        clock.advance(std::time::Duration::from_secs(3600));
        assert!(clock.now() - before >= time::Duration::hours(1));
        let later = clock.now();
        assert!(clock.now() >= later);
    }
}
