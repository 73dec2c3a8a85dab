//! The parsers of untrusted input and the properties they must keep, for the fuzz targets
//! in `fuzz/` and for `tests/fuzz_corpus.rs`: not an API, free to change with them.
//!
//! Each `check_*` takes the raw bytes of one fuzz input and panics when a property fails.
//! They live here rather than in the targets so that stable `cargo test` can replay every
//! corpus file through the same checks the nightly-only fuzzer runs: a finding becomes a
//! regression test by staying in `fuzz/corpus/`. One submodule per target, named after it.
//!
//! Everything here re-exports or drives the code the server runs; where that code needs a
//! whole `App` (the multipart upload), it is rebuilt from the same calls and constraints,
//! which must follow `api::files::upload_multipart`.

mod multipart;
mod names_and_comments;
mod range;
mod settings;
mod signed_link;

pub use crate::config::DatabaseUrl;
pub use crate::http::disposition::{Disposition, header_value as content_disposition};
pub use crate::http::range::{ByteRange, content_range, parse as parse_range, unsatisfied};
pub use crate::units::{format_duration, parse_duration, parse_size};
pub use crate::validate::{FileName, comment, email, full_name, password, username};

pub use multipart::{Upload, check as check_multipart, multipart};
pub use names_and_comments::check as check_names_and_comments;
pub use range::check as check_range;
pub use settings::{check as check_settings, database_url, public_url};
pub use signed_link::{LinkSigner, check as check_signed_link};
