//! The watcher: notices blobs and avatars added or removed behind the server's back (a
//! careless `rm`, a restore from backup) and wakes the reaper, so `GET /api/files` soon
//! says `missing` instead of listing bytes that are gone. Our own uploads and deletes wake
//! it too: a pass is cheap and idempotent, and the reaper debounces.

use std::sync::Arc;
use std::time::Duration;

use notify::event::ModifyKind;
use notify::{Config, Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

use crate::blobs::Blobs;
use crate::units::format_duration;

/// Watches `files/` and `avatars/` (recursively) until dropped; `changed` is notified on
/// every relevant event. When the watcher cannot start (inotify limits, a filesystem
/// without change notification), logs one warning and returns `None`: the periodic pass
/// still runs.
pub fn start(
    blobs: &Blobs,
    changed: Arc<Notify>,
    interval: Duration,
) -> Option<RecommendedWatcher> {
    match watch(blobs, changed) {
        Ok(watcher) => Some(watcher),
        Err(e) => {
            log::warn!(
                "cannot watch the data dir for changes ({e}); files removed behind the \
                 server's back are noticed by the pass every {} instead",
                format_duration(interval)
            );
            None
        }
    }
}

fn watch(blobs: &Blobs, changed: Arc<Notify>) -> notify::Result<RecommendedWatcher> {
    // Runs on notify's own thread: no database work here, only a wake-up for the reaper.
    // An error (say, the kernel's event queue overflowed) may hide changes: rescan too.
    let handler = move |event: notify::Result<Event>| {
        if event.as_ref().map_or(true, |e| relevant(&e.kind)) {
            changed.notify_one();
        }
    };
    // Links are not followed: nothing outside the data dir is any of our business.
    let config = Config::default().with_follow_symlinks(false);
    let mut watcher = RecommendedWatcher::new(handler, config)?;
    for dir in [blobs.files_root(), blobs.avatars_root()] {
        watcher.watch(&dir, RecursiveMode::Recursive)?;
    }
    Ok(watcher)
}

/// Entries appearing, disappearing or being renamed; not reads, writes or `chmod`.
fn relevant(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(ModifyKind::Name(_))
            | EventKind::Any
            | EventKind::Other
    )
}
