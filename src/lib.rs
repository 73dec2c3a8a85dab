//! mycloud: self-hosted personal cloud file storage in one binary. The program is this
//! library's `main` (`src/main.rs` only calls it), so that the fuzz targets in `fuzz/`
//! can reach the parsers of untrusted input through `fuzzing`; everything else stays
//! private to the crate.
// The exceptions are calls into the C library with only integers to get wrong:
// `memory::limit_arenas`, `memory::trim` and `blobs::start_writeback`.
#![deny(unsafe_code)]

// The groups, each a folder whose `mod.rs` says what lives there and what it may use
// (docs/ARCHITECTURE.md draws them), then the shared leaves that import no group.
mod api;
mod app;
mod auth;
mod blobs;
mod cli;
mod http;
mod jobs;
mod server;
mod store;

mod clock;
mod config;
mod crash_hook;
mod error;
mod ids;
mod logging;
mod memory;
mod units;
mod validate;

use std::process::ExitCode;

use clap::Parser;

use crate::config::{Cli, Command, Config};

/// The whole program: `src/main.rs` only calls this.
pub fn main() -> ExitCode {
    memory::limit_arenas();
    let cli = Cli::parse();
    logging::init();
    let config = match Config::from_settings(cli.settings) {
        Ok(config) => config,
        Err(e) => return fail(&e),
    };
    // Before the runtime starts its threads: taking systemd's socket edits the environment.
    let socket = match server::systemd::take_listener() {
        Ok(socket) => socket,
        Err(e) => return fail(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Each download and upload holds a blocking thread; a burst of them leaves dozens
        // idle. Let those go after a second, not tokio's ten, with the memory they hold.
        .thread_keep_alive(memory::BLOCKING_THREAD_KEEP_ALIVE)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let command = cli.command.unwrap_or(Command::Serve);
    match runtime.block_on(cli::run(command, config, socket)) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("mycloud: {message}");
    ExitCode::FAILURE
}

// For `fuzz/` and `tests/fuzz_corpus.rs` only: public so they can reach it, hidden
// because it is not an API.
#[doc(hidden)]
pub mod fuzzing;
