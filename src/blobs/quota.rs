//! Bytes promised to uploads in flight, per account, so that uploads running at the same
//! time never together take an account past its quota. The database knows what is
//! stored; this knows, in memory, what is on its way. An upload holds its declared length
//! from the start (refused at once when it does not fit), or grows its hold as its bytes
//! arrive; the hold goes when the upload's row is committed (the stored bytes then count
//! in the database) or when the upload fails. Checking costs a lock on a small map, never
//! a query: an upload's rate is the same with a quota as without.
//!
//! An upload reads the account's usage once, when it starts. Bytes that other uploads
//! commit after that are in no hold any more and not yet in that reading, so each account
//! also counts the bytes its uploads have committed (`committed`, only ever growing): an
//! upload adds what was committed since it started to what it must fit beside. For that
//! sum to be exact, the usage and the count are read together, under the account's gate
//! (`reading`), while a row's commit and its hold's landing happen together under the
//! same gate shared (`committing`): a reading sees a commit with its count or neither.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

use crate::ids::UserId;

/// What every account's uploads in flight hold, together.
#[derive(Debug, Default)]
pub struct Reservations {
    accounts: Mutex<HashMap<UserId, Account>>,
}

#[derive(Debug, Default)]
struct Account {
    /// Held by the account's uploads in flight.
    held: u64,
    /// Committed by the account's uploads since the server started.
    committed: u64,
    gate: Arc<RwLock<()>>,
}

impl Reservations {
    /// Held while an upload reads the account's usage and `committed`: no commit lands
    /// in between.
    pub async fn reading(&self, owner: UserId) -> OwnedRwLockWriteGuard<()> {
        self.gate(owner).write_owned().await
    }

    /// Held from an upload's row commit until its hold has `landed`.
    async fn committing(&self, owner: UserId) -> OwnedRwLockReadGuard<()> {
        self.gate(owner).read_owned().await
    }

    fn gate(&self, owner: UserId) -> Arc<RwLock<()>> {
        Arc::clone(&self.lock().entry(owner).or_default().gate)
    }

    /// What `owner`'s uploads have committed so far: read it with the account's usage,
    /// under `reading`, and hand it to `allowance`.
    pub fn committed(&self, owner: UserId) -> u64 {
        self.lock().get(&owner).map_or(0, |a| a.committed)
    }

    /// An allowance for one upload to `owner`'s account, which stored `used` bytes under a
    /// quota of `quota` when its uploads had committed `committed`. It holds nothing yet.
    pub fn allowance(
        self: &Arc<Self>,
        owner: UserId,
        quota: u64,
        used: u64,
        committed: u64,
    ) -> Allowance {
        Allowance {
            reservations: Arc::clone(self),
            owner,
            quota,
            room: quota.saturating_sub(used),
            committed_before: committed,
            held: 0,
            landed: false,
        }
    }

    /// What `owner`'s uploads in flight hold, for tests.
    #[cfg(test)]
    fn held_by(&self, owner: UserId) -> u64 {
        self.lock().get(&owner).map_or(0, |a| a.held)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<UserId, Account>> {
        // A panic while holding the lock leaves a map of plain numbers: still usable.
        self.accounts.lock().unwrap_or_else(|e| e.into_inner())
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
    /// The account's `committed` when its usage was read.
    committed_before: u64,
    held: u64,
    /// Set once the upload's row is committed: its bytes are stored, not abandoned.
    landed: bool,
}

impl Allowance {
    /// Holds `total` bytes for this upload (a hold never shrinks); `false` when, with what
    /// the account's other uploads hold or committed since this one began, that would not
    /// fit in the room.
    pub fn hold(&mut self, total: u64) -> bool {
        if total <= self.held {
            return true;
        }
        let mut accounts = self.reservations.lock();
        let account = accounts.entry(self.owner).or_default();
        let others = account.held - self.held;
        let committed_since = account.committed.saturating_sub(self.committed_before);
        if others.saturating_add(committed_since).saturating_add(total) > self.room {
            return false;
        }
        account.held = others + total;
        self.held = total;
        true
    }

    /// Waits until no upload is reading the account's usage; hold the guard from before
    /// the row's commit until this allowance has landed or is dropped.
    pub async fn committing(&self) -> OwnedRwLockReadGuard<()> {
        self.reservations.committing(self.owner).await
    }

    /// The upload's row is committed: on drop, its hold becomes committed bytes.
    pub fn landed(&mut self) {
        self.landed = true;
    }
}

impl Drop for Allowance {
    fn drop(&mut self) {
        if self.held == 0 {
            return;
        }
        let mut accounts = self.reservations.lock();
        // Accounts stay in the map (a few bytes each): their `committed` must keep growing
        // for the uploads that read it.
        if let Some(account) = accounts.get_mut(&self.owner) {
            account.held = account.held.saturating_sub(self.held);
            if self.landed {
                account.committed = account.committed.saturating_add(self.held);
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
        let mut a = reservations.allowance(owner, 1000, 400, 0);
        let mut b = reservations.allowance(owner, 1000, 400, 0);
        assert!(a.hold(300));
        assert!(b.hold(300));
        assert!(!b.hold(301), "one byte more than the room");
        assert!(a.hold(300), "what it holds already");
        assert_eq!(reservations.held_by(owner), 600);
        drop(a);
        assert_eq!(reservations.held_by(owner), 300);
        assert!(b.hold(600), "a failed upload gives its room back");
        drop(b);
        assert_eq!(reservations.held_by(owner), 0);
        // Another account is not affected by the first one's uploads.
        let other = UserId::new();
        let mut c = reservations.allowance(owner, 1000, 1000, 0);
        let mut d = reservations.allowance(other, 10, 0, 0);
        assert!(!c.hold(1), "a full account takes nothing");
        assert!(d.hold(10));
    }

    #[test]
    fn bytes_committed_after_an_upload_read_the_usage_still_count() {
        let reservations = Arc::new(Reservations::default());
        let owner = UserId::new();
        // Nothing stored, 1,000 of quota. `a` holds 400 and lands; `b` read the usage
        // before `a`'s row was committed (0 stored), but holds only after `a` let go.
        let mut a = reservations.allowance(owner, 1000, 0, reservations.committed(owner));
        let mut b = reservations.allowance(owner, 1000, 0, reservations.committed(owner));
        assert!(a.hold(400));
        a.landed();
        drop(a);
        assert_eq!(reservations.committed(owner), 400);
        assert!(!b.hold(601), "400 are stored now, whatever b read");
        assert!(b.hold(600));
        // An upload that starts now reads 400 stored and the count it was read beside.
        let mut c = reservations.allowance(owner, 1000, 400, reservations.committed(owner));
        assert!(!c.hold(1), "b holds the rest");
        drop(b);
        assert!(c.hold(600));
    }

    #[test]
    fn a_quota_below_usage_leaves_no_room() {
        let reservations = Arc::new(Reservations::default());
        let mut a = reservations.allowance(UserId::new(), 100, 500, 0);
        assert!(a.hold(0));
        assert!(!a.hold(1));
    }
}
