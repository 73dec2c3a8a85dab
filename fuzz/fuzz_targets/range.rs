//! The `Range` request header against a file size. Input: the file size in decimal on the
//! first line (any other first line: its length is the size), the header value after it.
//!
//! Checks: a partial range lies inside the file (`start <= end < size`) and reads back the
//! same from its canonical `bytes=start-end`; whether a header is understood at all does
//! not depend on the file's size; no header means the whole file.
//!
//! The checks live in `mycloud::fuzzing::check_range`, so that `cargo test --test
//! fuzz_corpus` replays this target's corpus on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mycloud::fuzzing::check_range(data));
