//! A multipart upload body as `POST /api/files` reads it: the `Content-Type` header (its
//! boundary), each part's headers, the `file` part's file name (through our name rule) and
//! the `comment` part. Input: the header value on the first line, the body after it.
//!
//! Checks: an accepted upload has a valid file name (no `/`, `\` or control character, at
//! most 255 bytes), a valid comment, and no more bytes than the body; and the answer does
//! not depend on how the body was split into network reads (whole, byte by byte, or in
//! chunks of a size the input picks), since a boundary may fall across two reads.
//!
//! The checks live in `mycloud::fuzzing::check_multipart`, so that `cargo test --test
//! fuzz_corpus` replays this target's corpus on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mycloud::fuzzing::check_multipart(data));
