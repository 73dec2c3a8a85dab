//! The `signed_link` fuzz target: the verifier of signed content links
//! (`/api/files/{id}/content?expires=…&sig=…`), over a fresh secret.

use std::path::Path;
use std::sync::OnceLock;

use crate::error::Error;

/// base64url, the signature's alphabet.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A signed-link signer over a secret in `dir`, with ids as raw UUID bytes.
pub struct LinkSigner(crate::auth::links::LinkSigner);

impl LinkSigner {
    pub fn load_or_create(dir: &Path) -> std::io::Result<LinkSigner> {
        crate::auth::links::LinkSigner::load_or_create(dir).map(LinkSigner)
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

/// One signer per process, made on first use through the real `secret.key` path: the
/// fuzzer calls `check` millions of times and the corpus test from several threads.
fn signer() -> &'static LinkSigner {
    static SIGNER: OnceLock<LinkSigner> = OnceLock::new();
    SIGNER.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("mycloud-fuzz-link-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let signer = LinkSigner::load_or_create(&dir).expect("signer");
        // The secret is in memory now; every `cargo test` would otherwise leave a folder
        // in the temp dir. Failing to remove it changes nothing about the checks.
        let _ = std::fs::remove_dir_all(&dir);
        signer
    })
}

/// Input: 16 bytes of file id, 8 of expiry (Unix seconds), 8 of the clock (Unix
/// milliseconds), then text: the attacker's expiry, a newline, the attacker's signature
/// (invalid UTF-8 replaced). The secret is made once per process (see `signer`).
///
/// Checks: a genuine link passes exactly while unexpired and says `link_expired` after;
/// it fails for any other file id, for any other expiry, and with any change to its
/// signature; and nothing the attacker sends passes unless it is the genuine signature of
/// that file and expiry.
pub fn check(data: &[u8]) {
    let Some((head, tail)) = data.split_first_chunk::<32>() else {
        return;
    };
    let file: [u8; 16] = head[..16].try_into().expect("16 bytes");
    let expires = i64::from_le_bytes(head[16..24].try_into().expect("8 bytes"));
    let now = i64::from_le_bytes(head[24..32].try_into().expect("8 bytes"));
    let signer = signer();
    let expired = expires < now.div_euclid(1000);
    let invalid = Err("invalid_link".to_string());

    let genuine = signer.sign(file, expires);
    let result = signer.verify(file, &expires.to_string(), &genuine, now);
    if expired {
        assert_eq!(result, Err("link_expired".to_string()));
    } else {
        assert_eq!(result, Ok(()));
    }

    // Another file: flip one bit the input chooses.
    let mut other = file;
    let bit = tail.first().copied().unwrap_or(0);
    other[usize::from(bit / 8) % 16] ^= 1 << (bit % 8);
    assert_eq!(
        signer.verify(other, &expires.to_string(), &genuine, now),
        invalid
    );

    // The signature changed where and how the input says, cut short, or lengthened.
    let mut changed = genuine.clone().into_bytes();
    for (i, &b) in tail.iter().enumerate() {
        let at = (i * 7 + usize::from(b)) % changed.len();
        changed[at] = ALPHABET[usize::from(b) % 64];
    }
    let changed = String::from_utf8(changed).expect("base64url is ASCII");
    let cut = &genuine[..tail.len() % genuine.len()];
    let longer = format!("{genuine}{}", String::from_utf8_lossy(tail));
    for sig in [changed.as_str(), cut, longer.as_str()] {
        if sig != genuine {
            assert_eq!(
                signer.verify(file, &expires.to_string(), sig, now),
                invalid,
                "{sig:?}"
            );
        }
    }

    // Whatever the attacker sends passes only as the genuine signature of a live link.
    let text = String::from_utf8_lossy(tail);
    let (their_expires, their_sig) = text.split_once('\n').unwrap_or((&text, ""));
    for sig in [their_sig, genuine.as_str()] {
        if signer.verify(file, their_expires, sig, now).is_ok() {
            let e: i64 = their_expires
                .parse()
                .expect("an accepted expiry is a number");
            assert_eq!(
                sig,
                signer.sign(file, e),
                "only the genuine signature passes"
            );
            assert!(e >= now.div_euclid(1000), "and only before it expires");
            if sig == genuine {
                assert_eq!(
                    e, expires,
                    "another expiry never passes with this signature"
                );
            }
        }
    }
}
