//! The verifier of signed content links (`/api/files/{id}/content?expires=…&sig=…`), over
//! a fresh secret. Input: 16 bytes of file id, 8 of expiry (Unix seconds), 8 of the clock
//! (Unix milliseconds), then text: the attacker's expiry, a newline, the attacker's
//! signature (invalid UTF-8 replaced).
//!
//! Checks: a genuine link passes exactly while unexpired and says `link_expired` after;
//! it fails for any other file id, for any other expiry, and with any change to its
//! signature; and nothing the attacker sends passes unless it is the genuine signature of
//! that file and expiry.
//!
//! The checks live in `mycloud::fuzzing::check_signed_link`, so that `cargo test --test
//! fuzz_corpus` replays this target's corpus on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mycloud::fuzzing::check_signed_link(data));
