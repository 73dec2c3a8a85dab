//! Throttles keyed by client IP or username: exponential back-off for login failures,
//! token buckets for share-token guesses and registrations. Only failures (and, for
//! registrations, accounts made) count, so honest use is never slowed down.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Above this many keys, full buckets (which carry no information) are dropped.
const PRUNE_ABOVE: usize = 10_000;

pub struct Buckets {
    capacity: f64,
    refill_per_sec: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Buckets {
    /// `burst` failures at once, then one more every `interval`.
    pub fn new(burst: u32, interval: Duration) -> Buckets {
        Buckets {
            capacity: f64::from(burst),
            refill_per_sec: 1.0 / interval.as_secs_f64(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> Bucket {
        let earned = now.duration_since(bucket.updated).as_secs_f64() * self.refill_per_sec;
        Bucket {
            tokens: (bucket.tokens + earned).min(self.capacity),
            updated: now,
        }
    }

    /// Refuses with 429 when `key` has no failure left to spend.
    pub fn check(&self, key: &str) -> Result<()> {
        let now = Instant::now();
        let Ok(map) = self.buckets.lock() else {
            return Ok(());
        };
        let Some(bucket) = map.get(key).map(|b| self.refilled(*b, now)) else {
            return Ok(());
        };
        if bucket.tokens >= 1.0 {
            return Ok(());
        }
        let wait = (1.0 - bucket.tokens) / self.refill_per_sec;
        Err(Error::TooManyRequests {
            retry_after_secs: wait.ceil() as u64,
        })
    }

    /// Records one failure for `key`.
    pub fn fail(&self, key: &str) {
        let now = Instant::now();
        let Ok(mut map) = self.buckets.lock() else {
            return;
        };
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, b| self.refilled(*b, now).tokens < self.capacity);
        }
        let fresh = Bucket {
            tokens: self.capacity,
            updated: now,
        };
        let bucket = self.refilled(*map.get(key).unwrap_or(&fresh), now);
        map.insert(
            key.to_string(),
            Bucket {
                tokens: (bucket.tokens - 1.0).max(0.0),
                ..bucket
            },
        );
    }
}

/// The longest wait back-off imposes, so that an attacker who fails on purpose can lock
/// an account out for an hour at a time, not for days.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// A key whose last failure is older than this starts afresh.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Exponential back-off: `free` failures cost nothing, then failure number `free + n`
/// makes the key wait `first * 2^(n-1)` (at most an hour) before it may try again.
pub struct Backoff {
    free: u32,
    first: Duration,
    keys: Mutex<HashMap<String, Failures>>,
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Instant,
}

impl Backoff {
    pub fn new(free: u32, first: Duration) -> Backoff {
        Backoff {
            free,
            first,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses with 429 while `key` is waiting out its back-off.
    pub fn check(&self, key: &str) -> Result<()> {
        let now = Instant::now();
        let Ok(map) = self.keys.lock() else {
            return Ok(());
        };
        match map.get(key) {
            Some(f) if f.blocked_until > now => Err(Error::TooManyRequests {
                retry_after_secs: (f.blocked_until - now).as_secs_f64().ceil() as u64,
            }),
            _ => Ok(()),
        }
    }

    /// Records one failure for `key`.
    pub fn fail(&self, key: &str) {
        let now = Instant::now();
        let Ok(mut map) = self.keys.lock() else {
            return;
        };
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
        }
        let count = match map.get(key) {
            Some(f) if now.duration_since(f.last) < FORGET_AFTER => f.count.saturating_add(1),
            _ => 1,
        };
        let blocked_until = match count.checked_sub(self.free + 1) {
            None => now,
            Some(doublings) => now + self.wait(doublings),
        };
        map.insert(
            key.to_string(),
            Failures {
                count,
                last: now,
                blocked_until,
            },
        );
    }

    /// Forgets `key`'s failures: the right password was given.
    pub fn succeed(&self, key: &str) {
        if let Ok(mut map) = self.keys.lock() {
            map.remove(key);
        }
    }

    fn wait(&self, doublings: u32) -> Duration {
        let factor = 2u32.saturating_pow(doublings.min(31));
        self.first.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// The throttles the server applies (see docs/DESIGN-NOTES.md, "Limits").
pub struct Limits {
    pub login_per_ip: Backoff,
    pub login_per_user: Backoff,
    pub share_per_ip: Buckets,
    /// Wrong passwords for shares and file requests, by client IP and by link.
    pub unlock_per_ip: Buckets,
    pub unlock_per_link: Buckets,
    /// Files dropped through file requests, by client IP (every upload counts).
    pub drops_per_ip: Buckets,
    pub registrations_per_ip: Buckets,
}

impl Limits {
    pub fn new(limits: &crate::config::Limits) -> Limits {
        let per_hour = limits.registrations_per_hour;
        Limits {
            login_per_ip: Backoff::new(limits.login_free_failures_per_ip, limits.login_backoff),
            login_per_user: Backoff::new(limits.login_free_failures_per_user, limits.login_backoff),
            share_per_ip: Buckets::new(20, Duration::from_secs(1)),
            // Ten guesses, then one every 10 s from one address (360 an hour); a link
            // guessed at from many addresses still gets one try every 5 s (720 an hour).
            unlock_per_ip: Buckets::new(10, Duration::from_secs(10)),
            unlock_per_link: Buckets::new(20, Duration::from_secs(5)),
            // A folder of photos at once, then one file a second.
            drops_per_ip: Buckets::new(200, Duration::from_secs(1)),
            // All at once, then one back every hour / n: at most n in any hour, 2n in
            // the first.
            registrations_per_ip: Buckets::new(per_hour, Duration::from_secs(3600) / per_hour),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refuses_after_its_burst_and_names_the_wait() {
        let b = Buckets::new(3, Duration::from_secs(10));
        for _ in 0..3 {
            assert!(b.check("k").is_ok());
            b.fail("k");
        }
        match b.check("k") {
            Err(Error::TooManyRequests { retry_after_secs }) => {
                assert!((9..=10).contains(&retry_after_secs))
            }
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(b.check("other").is_ok(), "keys are independent");
    }

    #[test]
    fn backoff_is_free_then_doubles_and_success_resets_it() {
        let b = Backoff::new(2, Duration::from_secs(10));
        for _ in 0..2 {
            b.fail("k");
            assert!(b.check("k").is_ok(), "the free failures cost nothing");
        }
        for expected in [10, 20, 40, 80] {
            b.fail("k");
            match b.check("k") {
                Err(Error::TooManyRequests { retry_after_secs }) => {
                    assert_eq!(retry_after_secs, expected)
                }
                other => panic!("expected 429, got {other:?}"),
            }
        }
        assert!(b.check("other").is_ok(), "keys are independent");
        b.succeed("k");
        assert!(b.check("k").is_ok());
        b.fail("k");
        assert!(b.check("k").is_ok(), "a success starts the count afresh");
    }

    #[test]
    fn backoff_never_waits_more_than_an_hour() {
        let b = Backoff::new(0, Duration::from_secs(1));
        for _ in 0..100 {
            b.fail("k");
        }
        match b.check("k") {
            Err(Error::TooManyRequests { retry_after_secs }) => {
                assert_eq!(retry_after_secs, 3600)
            }
            other => panic!("expected 429, got {other:?}"),
        }
    }

    #[test]
    fn a_bucket_refills_over_time() {
        let b = Buckets::new(1, Duration::from_millis(20));
        b.fail("k");
        assert!(b.check("k").is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(b.check("k").is_ok());
    }
}
