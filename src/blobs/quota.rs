//! Bytes promised to uploads in flight, per account, so that uploads running at the same
//! time never together take an account past its quota. The database knows what is
//! stored; this knows, in memory, what is on its way. An upload holds its declared length
//! from the start (refused at once when it does not fit), or grows its hold as its bytes
//! arrive; the hold goes when the upload's row is committed (the stored bytes then count
//! in the database) or when the upload fails. Checking costs a lock on a small map, never
//! a query: an upload's rate is the same with a quota as without.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::ids::UserId;

/// What every account's uploads in flight hold, together.
#[derive(Debug, Default)]
pub struct Reservations {
    held: Mutex<HashMap<UserId, u64>>,
}

impl Reservations {
    /// An allowance for one upload to `owner`'s account, which stores `used` bytes under a
    /// quota of `quota`. It holds nothing yet.
    pub fn allowance(self: &Arc<Self>, owner: UserId, quota: u64, used: u64) -> Allowance {
        Allowance {
            reservations: Arc::clone(self),
            owner,
            quota,
            room: quota.saturating_sub(used),
            held: 0,
        }
    }

    /// What `owner`'s uploads in flight hold, for tests.
    #[cfg(test)]
    fn held_by(&self, owner: UserId) -> u64 {
        self.lock().get(&owner).copied().unwrap_or(0)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<UserId, u64>> {
        // A panic while holding the lock leaves a map of plain numbers: still usable.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One upload's share of its account's room under the quota.
#[derive(Debug)]
pub struct Allowance {
    reservations: Arc<Reservations>,
    owner: UserId,
    /// The quota itself, for the error message.
    pub quota: u64,
    /// The quota less what the account stored when the upload began.
    room: u64,
    held: u64,
}

impl Allowance {
    /// Holds `total` bytes for this upload (a hold never shrinks); `false` when, with what
    /// the account's other uploads in flight hold, that would not fit in the room.
    pub fn hold(&mut self, total: u64) -> bool {
        if total <= self.held {
            return true;
        }
        let mut held = self.reservations.lock();
        let all = held.entry(self.owner).or_default();
        let others = *all - self.held;
        if others.saturating_add(total) > self.room {
            return false;
        }
        *all = others + total;
        self.held = total;
        true
    }
}

impl Drop for Allowance {
    fn drop(&mut self) {
        if self.held == 0 {
            return;
        }
        let mut held = self.reservations.lock();
        if let Some(all) = held.get_mut(&self.owner) {
            *all = all.saturating_sub(self.held);
            if *all == 0 {
                held.remove(&self.owner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_in_flight_share_the_room_and_give_it_back() {
        let reservations = Arc::new(Reservations::default());
        let owner = UserId::new();
        // 1,000 bytes of quota, 400 stored: 600 of room.
        let mut a = reservations.allowance(owner, 1000, 400);
        let mut b = reservations.allowance(owner, 1000, 400);
        assert!(a.hold(300));
        assert!(b.hold(300));
        assert!(!b.hold(301), "one byte more than the room");
        assert!(a.hold(300), "what it holds already");
        assert_eq!(reservations.held_by(owner), 600);
        drop(a);
        assert_eq!(reservations.held_by(owner), 300);
        assert!(b.hold(600));
        drop(b);
        assert_eq!(reservations.held_by(owner), 0);
        // Another account is not affected by the first one's uploads.
        let other = UserId::new();
        let mut c = reservations.allowance(owner, 1000, 1000);
        let mut d = reservations.allowance(other, 10, 0);
        assert!(!c.hold(1), "a full account takes nothing");
        assert!(d.hold(10));
    }

    #[test]
    fn a_quota_below_usage_leaves_no_room() {
        let reservations = Arc::new(Reservations::default());
        let mut a = reservations.allowance(UserId::new(), 100, 500);
        assert!(a.hold(0));
        assert!(!a.hold(1));
    }
}
