//! What a suite does when this machine lacks what it needs (a program, root, a database):
//! on a developer's machine it passes after one loud SKIPPED line, so `cargo test` works
//! anywhere; with `CI=true` it fails, so CI can never pass by skipping. Only *missing* is
//! skipped: a tool that is there but broken fails the test wherever it runs.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// Ends a test that cannot run here; the caller returns right after. With `CI=true` it
/// panics instead. `suite` names what cannot run ("the nginx tests"), `why` what is missing
/// ("curl not found"), `fix` how to get it ("apt-get install nginx openssl curl").
///
/// The SKIPPED line is written once per suite and reason in a test binary, however many
/// of its tests end here.
#[track_caller]
pub fn unavailable(suite: &str, why: &str, fix: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true, but {suite} cannot run: {why} ({fix})"
    );
    static SHOWN: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    let mut shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner());
    if shown.iter().any(|(s, w)| s == suite && w == why) {
        return;
    }
    shown.push((suite.to_string(), why.to_string()));
    // Straight to the process's stderr, not through `eprintln!`: the test harness captures
    // the macros' output of passing tests and never shows it, and a skip nobody sees is how
    // a suite quietly stops testing.
    let _ = writeln!(
        std::io::stderr(),
        "\n************************************************************\n\
         SKIPPED {suite}: {why} ({fix}, or run .ci/run with CI=true)\n\
         ************************************************************\n"
    );
}

/// The first file called `name` in a folder of `PATH`, as a shell would find the program.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
