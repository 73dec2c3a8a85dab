//! Settings read from flags and environment variables: durations, sizes, the public URL and
//! the database URL (the last two through the real command line parser). The input is the
//! value (invalid UTF-8 replaced), given to each parser in turn.
//!
//! Checks: a parsed duration prints back to text that parses to the same duration, and
//! surrounding whitespace changes nothing; a plain number of bytes is that number; error
//! messages are one line; an accepted public URL is http(s) with a host, no query, fragment,
//! space or trailing slash, and is accepted again unchanged; a database URL is taken only
//! with its scheme, and its error never repeats what follows `://` (it may hold a password).
//!
//! The checks live in `mycloud::fuzzing::check_settings`, so that `cargo test --test
//! fuzz_corpus` replays this target's corpus on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mycloud::fuzzing::check_settings(data));
