//! mycloud: self-hosted personal cloud file storage in one binary. The program is this
//! library's `main` (`src/main.rs` only calls it), so that the fuzz targets in `fuzz/`
//! can reach the parsers of untrusted input through `fuzzing`; everything else stays
//! private to the crate.
// The exceptions are calls into the C library with only integers to get wrong:
// `memory::limit_arenas`, `memory::trim` and `blobs::start_writeback`.
#![deny(unsafe_code)]

mod announce;
mod api;
mod app;
mod assets;
mod auth;
mod backup;
mod blobs;
mod check;
mod chunks;
mod cli;
mod clock;
mod config;
mod crash_hook;
mod error;
mod http;
mod ids;
mod linger;
mod links;
mod logging;
mod memory;
mod migrate_data;
mod ratelimit;
mod reaper;
mod router;
mod scan;
mod server;
mod store;
mod systemd;
mod units;
mod validate;
mod watcher;

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
    let socket = match systemd::take_listener() {
        Ok(socket) => socket,
        Err(e) => return fail(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Each download and upload holds a blocking thread; a burst of them leaves dozens
        // idle. Let those go after a second, not tokio's ten, with the memory they hold.
        .thread_keep_alive(std::time::Duration::from_secs(1))
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

/// The parsers of untrusted input, for the fuzz targets in `fuzz/` only: not an API, free
/// to change with them. Everything here re-exports or drives the code the server runs;
/// where that code needs a whole `App` (the multipart upload), it is rebuilt from the
/// same calls and constraints, which must follow `api::files::upload_multipart`.
#[doc(hidden)]
pub mod fuzzing {
    use std::convert::Infallible;
    use std::future::Future;
    use std::path::Path;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use bytes::Bytes;
    use clap::Parser;

    pub use crate::config::DatabaseUrl;
    pub use crate::http::disposition::{Disposition, header_value as content_disposition};
    pub use crate::http::range::{ByteRange, content_range, parse as parse_range, unsatisfied};
    pub use crate::units::{format_duration, parse_duration, parse_size};
    pub use crate::validate::{FileName, comment, email, full_name, password, username};

    use crate::config::{Cli, Config};
    use crate::error::Error;

    /// `api::files::MAX_COMMENT_PART`, which is private to its handler.
    const MAX_COMMENT_PART: u64 = 16 * 1024;

    /// `--public-url=VALUE` through the real command line parser.
    pub fn public_url(value: &str) -> Result<Option<String>, String> {
        Cli::try_parse_from(["mycloud", &format!("--public-url={value}")])
            .map(|cli| cli.settings.public_url)
            .map_err(|e| e.to_string())
    }

    /// `--database-url=VALUE` through the command line parser and `Config`, as at start.
    pub fn database_url(value: &str) -> Result<DatabaseUrl, String> {
        let cli = Cli::try_parse_from(["mycloud", &format!("--database-url={value}")])
            .map_err(|e| e.to_string())?;
        Config::from_settings(cli.settings).map(|config| config.database)
    }

    /// A signed-link signer over a secret in `dir`, with ids as raw UUID bytes.
    pub struct LinkSigner(crate::links::LinkSigner);

    impl LinkSigner {
        pub fn load_or_create(dir: &Path) -> std::io::Result<LinkSigner> {
            crate::links::LinkSigner::load_or_create(dir).map(LinkSigner)
        }

        pub fn sign(&self, file: [u8; 16], expires: i64) -> String {
            self.0.sign(file_id(file), expires)
        }

        /// `Err` holds the error code the client would see (`invalid_link`, `link_expired`).
        pub fn verify(
            &self,
            file: [u8; 16],
            expires: &str,
            sig: &str,
            now_millis: i64,
        ) -> Result<(), String> {
            let now = crate::clock::Timestamp(now_millis);
            match self.0.verify(file_id(file), expires, sig, now) {
                Ok(()) => Ok(()),
                Err(Error::Forbidden(code)) => Err(code.to_string()),
                Err(other) => Err(format!("unexpected error {other:?}")),
            }
        }
    }

    fn file_id(bytes: [u8; 16]) -> crate::ids::FileId {
        crate::ids::FileId(uuid::Uuid::from_bytes(bytes))
    }

    /// What a multipart upload body yields once accepted.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Upload {
        pub name: FileName,
        pub content_type: Option<String>,
        pub comment: String,
        pub size: u64,
    }

    /// A multipart upload as `upload_multipart` reads it, from a `Content-Type` header and
    /// a body arriving in `chunks`: the same boundary parsing, multer constraints, order of
    /// checks and validation. `Err` is the reason it would be refused.
    pub fn multipart(content_type: &str, chunks: Vec<Bytes>) -> Result<Upload, String> {
        let boundary = multer::parse_boundary(content_type).map_err(|e| e.to_string())?;
        let constraints = multer::Constraints::new()
            .allowed_fields(vec!["file", "comment"])
            .size_limit(multer::SizeLimit::new().for_field("comment", MAX_COMMENT_PART));
        let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, Infallible>));
        let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
        let mut comment = String::new();
        let mut received = None;
        while let Some(mut field) = ready(multipart.next_field()).map_err(|e| e.to_string())? {
            if field.name() == Some("comment") {
                comment = ready(field.text()).map_err(|e| e.to_string())?;
                continue;
            }
            if received.is_some() {
                return Err("send one file per upload".into());
            }
            let name = field
                .file_name()
                .ok_or("the file part needs a filename")?
                .to_string();
            let name = FileName::parse(&name)?;
            let content_type = field.content_type().map(|m| m.to_string());
            let mut size = 0;
            while let Some(data) = ready(field.chunk()).map_err(|e| e.to_string())? {
                size += data.len() as u64;
            }
            received = Some((name, content_type, size));
        }
        crate::validate::comment(&comment)?;
        let (name, content_type, size) = received.ok_or("file is required")?;
        Ok(Upload {
            name,
            content_type,
            comment,
            size,
        })
    }

    /// Runs a future over an in-memory body to completion: with every chunk already there,
    /// nothing ever waits, so a pending poll is a bug worth a crash.
    fn ready<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("a multipart body held in memory left a future pending"),
        }
    }
}
