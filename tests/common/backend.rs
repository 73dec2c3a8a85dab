//! One test body, two databases: [`both_backends!`] turns a plain `fn` into the tests
//! `name::sqlite` and `name::postgres`, and `Server::start*()` inside the body starts the
//! server on the backend of the test that is running.
//!
//! The backend travels in a thread-local rather than as an argument so that test bodies read
//! exactly as they did on one backend: every `Server` a test starts (on the test's own
//! thread) and every CLI command run through it talks to the same database. A test that
//! starts a server on another thread, or is a plain `#[test]`, gets SQLite.

use std::cell::Cell;

use super::needs;
use super::postgres::{self, Unavailable};

/// The databases `mycloud` can keep its tables in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The name `/api/health` reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

thread_local! {
    static CURRENT: Cell<Backend> = const { Cell::new(Backend::Sqlite) };
}

/// The backend of the test running on this thread.
pub fn current_backend() -> Backend {
    CURRENT.with(Cell::get)
}

/// Puts the thread back on SQLite when a test ends, by return or by panic, in case the test
/// harness reuses the thread.
struct Restore(Backend);

impl Drop for Restore {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// Runs `test` with `backend` as the backend of every server it starts. On PostgreSQL,
/// first makes sure there is one: when it is not installed the test passes after one loud
/// line per test binary (so `cargo test` works on any machine), except with `CI=true`, where
/// it fails, so CI can never pass by skipping. A PostgreSQL that is installed but does not
/// start always fails.
pub fn run_on(backend: Backend, test: fn()) {
    if backend == Backend::Postgres && !postgres_ready() {
        return;
    }
    with_backend(backend, test);
}

/// Runs `f` with `backend` for the servers it starts, then restores the previous one: for
/// the few tests that need servers on both backends at once (`migrate-data`).
pub fn with_backend<T>(backend: Backend, f: impl FnOnce() -> T) -> T {
    let _restore = Restore(CURRENT.with(|c| c.replace(backend)));
    f()
}

/// Whether the postgres variant can run; panics when it must and cannot.
fn postgres_ready() -> bool {
    match postgres::postgres() {
        Ok(_) => true,
        Err(Unavailable::Broken(why)) => panic!("PostgreSQL for the tests: {why}"),
        Err(Unavailable::Missing(why)) => {
            needs::unavailable(
                "the postgres tests",
                why,
                &format!("apt-get install postgresql, or set {}", postgres::URL_VAR),
            );
            false
        }
    }
}

/// Registers each named `fn()` as two tests, `name::sqlite` and `name::postgres`; write it
/// just above the function, where `#[test]` would go:
///
/// ```ignore
/// both_backends!(register_returns_201);
/// fn register_returns_201() {
///     let server = Server::start(); // SQLite in one test, PostgreSQL in the other
///     …
/// }
/// ```
///
/// The body stays an ordinary function, so rustfmt and clippy see it as usual, it is compiled
/// once, and one that is never registered fails the build as dead code. Filter with
/// `cargo test ::postgres` or `cargo test ::sqlite`.
#[allow(unused_macros)]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                $crate::common::backend::run_on(
                    $crate::common::backend::Backend::Sqlite,
                    super::$name,
                );
            }

            #[test]
            fn postgres() {
                $crate::common::backend::run_on(
                    $crate::common::backend::Backend::Postgres,
                    super::$name,
                );
            }
        }
    )+};
}

#[allow(unused_imports)]
pub(crate) use both_backends;
