//! The validators of what users type (file names, comments, usernames, emails, full names,
//! passwords) and the `Content-Disposition` value a stored file name ends up in. The input
//! is the text (invalid UTF-8 replaced, as any `&str` can reach them).
//!
//! Checks: whatever a validator accepts has the shape its rule promises (a file name has no
//! `/`, `\` or control character and at most 255 bytes, …); no error message echoes input
//! that holds a control character; any name gives a header value of visible ASCII only, with
//! a fallback that cannot end its quotes and a `filename*` that decodes to the exact name.
//!
//! The checks live in `mycloud::fuzzing::check_names_and_comments`, so that `cargo test --test
//! fuzz_corpus` replays this target's corpus on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mycloud::fuzzing::check_names_and_comments(data));
