//! Token buckets keyed by client IP or username, for login attempts and share-token
//! guesses. Only failures drain a bucket, so honest use is never slowed down.

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

/// The limits the server applies (see docs/DESIGN-NOTES.md for the figures).
pub struct Limits {
    pub login_per_ip: Buckets,
    pub login_per_user: Buckets,
    pub share_per_ip: Buckets,
}

impl Limits {
    pub fn new() -> Limits {
        Limits {
            login_per_ip: Buckets::new(30, Duration::from_secs(6)),
            // 10 at once plus 90 an hour: at most 100 failures an hour for one account.
            login_per_user: Buckets::new(10, Duration::from_secs(40)),
            share_per_ip: Buckets::new(20, Duration::from_secs(1)),
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
    fn a_bucket_refills_over_time() {
        let b = Buckets::new(1, Duration::from_millis(20));
        b.fail("k");
        assert!(b.check("k").is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(b.check("k").is_ok());
    }
}
