//! Giving back the memory a burst of requests freed. glibc's malloc keeps freed memory in
//! its per-thread arenas for reuse and returns little of it on its own, so a server that
//! has just sent eight big downloads or a few hundred file lists would sit at twice its
//! idle size for good. Once the server has been quiet for a moment after serving,
//! `malloc_trim` hands those pages back. Under steady load nothing is trimmed: the memory
//! is in use, and trimming would only make the allocator ask for it again.
//!
//! glibc also gives each thread that allocates its own arena, up to eight per core, and
//! each keeps its own free memory: with tokio's blocking threads coming and going that was
//! most of the 24 MiB the server kept after the benchmark's load. One arena per core is
//! plenty for a server that allocates little per request, and brings that to 6 MiB.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

/// How long without a finished request counts as quiet. The check is a load and a
/// compare, so it can run often.
const QUIET: Duration = Duration::from_millis(250);

/// How long an idle blocking thread of tokio's lives on (tokio's default is ten seconds).
pub const BLOCKING_THREAD_KEEP_ALIVE: Duration = Duration::from_secs(1);

/// Quiet ticks before the second trim: by then the blocking threads of the burst have
/// exited and handed their thread caches back to the arenas, after the first trim.
const TICKS_UNTIL_THREADS_GONE: u32 =
    (BLOCKING_THREAD_KEEP_ALIVE.as_millis() / QUIET.as_millis()) as u32 + 2;

static FINISHED: AtomicU64 = AtomicU64::new(0);

/// Called as each response ends (sent, abandoned or failed).
pub fn request_finished() {
    FINISHED.fetch_add(1, Ordering::Relaxed);
}

/// Trims each time the server goes quiet after serving, until `stop` turns true: once
/// when requests stop, and once more when the threads they used have gone.
pub async fn trim_when_quiet(mut stop: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(QUIET);
    let mut seen = FINISHED.load(Ordering::Relaxed);
    // Quiet ticks since the last request finished; `None` before the first one.
    let mut quiet: Option<u32> = None;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => return,
        }
        let finished = FINISHED.load(Ordering::Relaxed);
        if finished != seen {
            seen = finished;
            quiet = Some(0);
            continue;
        }
        if let Some(n) = quiet.as_mut() {
            *n += 1;
            match *n {
                1 => trim(),
                TICKS_UNTIL_THREADS_GONE => {
                    trim();
                    quiet = None;
                }
                _ => {}
            }
        }
    }
}

/// Call first thing in `main`, before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn limit_arenas() {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(2);
    // SAFETY: mallopt takes two integers and only sets a malloc parameter.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas() {}

/// Hands the allocator's free pages back to the system, now.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn trim() {
    // SAFETY: malloc_trim takes no pointers and only walks glibc's own free lists under
    // its arena locks; it may be called from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other C libraries (musl) keep less in reserve and have no `malloc_trim`.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim() {}
