//! The auth group: who is calling and may they. This file holds passwords, tokens and the
//! `Caller`; `links` signs short-lived content URLs; `ratelimit` throttles failures.
//! May use: `store` and the leaves; never `api`, `server` or `blobs`.
//!
//! The `Caller` is the only proof, inside the server, that a request carries a live
//! session. Handlers that need an account take a `Caller`, and only `authenticate` can
//! make one.

pub mod links;
pub mod ratelimit;

use std::num::NonZeroU32;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hyper::header::{AUTHORIZATION, HeaderMap};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, pbkdf2};
use tokio::sync::Semaphore;

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::TokenHash;
use crate::store::{Storage, Store, User};

/// OWASP's 2023 floor for PBKDF2-HMAC-SHA256; stored hashes below it are upgraded on login.
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// An imported hash may ask for more (Django 6 writes 1,200,000), but not without bound.
const MAX_ITERATIONS: u32 = 10_000_000;
const ALGORITHM: &str = "pbkdf2_sha256";

/// A request's authenticated account. Private fields: built only by `authenticate`.
#[derive(Clone, Debug)]
pub struct Caller {
    user: User,
    storage: Storage,
    token_hash: TokenHash,
}

impl Caller {
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The caller's file count and total size, read with the session.
    pub fn storage(&self) -> Storage {
        self.storage
    }

    pub fn token_hash(&self) -> TokenHash {
        self.token_hash
    }

    /// Admin rights come from the `users` row read for this very request, so a revoked
    /// admin is refused at once.
    pub fn require_admin(&self) -> Result<()> {
        if self.user.is_admin {
            Ok(())
        } else {
            Err(Error::Forbidden("forbidden"))
        }
    }
}

/// Session lifetimes, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    pub idle: std::time::Duration,
    pub max_age: std::time::Duration,
}

/// The token from `Authorization: Token <t>` or `Bearer <t>`.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    let known = scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer");
    (known && !token.is_empty()).then_some(token)
}

/// Looks the token's hash up with its user and checks idle and absolute expiry.
pub async fn authenticate(
    store: &Store,
    headers: &HeaderMap,
    policy: SessionPolicy,
) -> Result<Caller> {
    let token = bearer_token(headers).ok_or(Error::Unauthorized)?;
    let token_hash = TokenHash::of(token);
    let session = store
        .session_user(token_hash)
        .await?
        .ok_or(Error::Unauthorized)?;
    let now = Timestamp::now();
    let idle_expired = session.last_seen_at < now.minus(policy.idle);
    let too_old = session.created_at < now.minus(policy.max_age);
    if idle_expired || too_old {
        store.delete_session(token_hash).await?;
        return Err(Error::Unauthorized);
    }
    // Writing last_seen_at on every request would turn each read into a write; a quarter
    // of the idle limit (at most a minute) keeps expiry honest at a fraction of the cost.
    let touch_every = (policy.idle / 4).min(std::time::Duration::from_secs(60));
    if session.last_seen_at < now.minus(touch_every) {
        store.touch_session(token_hash, now).await?;
    }
    Ok(Caller {
        user: session.user,
        storage: session.storage,
        token_hash,
    })
}

/// A new session token: 256 random bits, base64url. Only its hash is ever stored.
pub fn new_token() -> Result<String> {
    random_base64url::<32>()
}

pub fn random_base64url<const N: usize>() -> Result<String> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Internal("the system random generator failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Runs password hashing on the blocking pool, a few at a time, so a burst of logins
/// neither stalls the async workers nor starves everything else of CPU.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
}

impl Hasher {
    pub fn new() -> Hasher {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Hasher {
            permits: Arc::new(Semaphore::new(cores)),
        }
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| Error::internal("hasher", e))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| Error::internal("hasher task", e))
    }

    pub async fn hash(&self, password: String) -> Result<String> {
        self.run(move || hash_password(&password)).await?
    }

    /// Verifies against `stored`, or against a dummy hash of the same cost when the user
    /// does not exist, so both cases take the same time.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<Verified> {
        self.run(move || match stored {
            Some(stored) => verify_password(&password, &stored),
            None => {
                let _ = verify_password(&password, DUMMY_HASH);
                Verified::No
            }
        })
        .await
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, but stored with fewer iterations than we use now: re-hash it.
    YesRehash,
}

/// A well-formed hash at our iteration count, verified when the user does not exist so
/// that the answer costs the same; its result is thrown away.
const DUMMY_HASH: &str =
    "pbkdf2_sha256$600000$bm90LWEtcmVhbC1zYWx0$FWmN/RBRfIpf54YLdN1VN8VUKU3yVYCL99pFttFqhp4=";

/// `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`, Django's format. As in Django the
/// salt is the text in the field (here 16 random bytes, base64url), used as bytes.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = random_base64url::<16>()?;
    Ok(encode_hash(password, &salt, PBKDF2_ITERATIONS))
}

fn encode_hash(password: &str, salt: &str, iterations: u32) -> String {
    let mut out = [0u8; digest::SHA256_OUTPUT_LEN];
    let n = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        salt.as_bytes(),
        password.as_bytes(),
        &mut out,
    );
    format!("{ALGORITHM}${iterations}${salt}${}", STANDARD.encode(out))
}

pub fn verify_password(password: &str, stored: &str) -> Verified {
    let mut parts = stored.split('$');
    let (Some(ALGORITHM), Some(iterations), Some(salt), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Verified::No;
    };
    let Some(iterations) = iterations
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_ITERATIONS).contains(n))
    else {
        return Verified::No;
    };
    let Ok(expected) = STANDARD.decode(hash) else {
        return Verified::No;
    };
    let n = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    // ring compares in constant time.
    match pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        salt.as_bytes(),
        password.as_bytes(),
        &expected,
    ) {
        Err(_) => Verified::No,
        Ok(()) if iterations < PBKDF2_ITERATIONS => Verified::YesRehash,
        Ok(()) => Verified::Yes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_round_trips_in_django_format() {
        let h = hash_password("Secret-pass-1").expect("hash");
        assert!(h.starts_with("pbkdf2_sha256$600000$"));
        assert_eq!(verify_password("Secret-pass-1", &h), Verified::Yes);
        assert_eq!(verify_password("Secret-pass-2", &h), Verified::No);
    }

    #[test]
    fn verifies_a_django_hash_and_asks_for_rehash_below_our_count() {
        // Django: make_password("hunter2", salt="seasalt", hasher=PBKDF2 with 1000 iterations).
        let django = encode_hash("hunter2", "seasalt", 1000);
        assert_eq!(verify_password("hunter2", &django), Verified::YesRehash);
        let django6 = encode_hash("hunter2", "seasalt", 1_200_000);
        assert_eq!(verify_password("hunter2", &django6), Verified::Yes);
    }

    #[test]
    fn verifies_a_hash_computed_independently() {
        // Python's hashlib.pbkdf2_hmac("sha256", b"password", b"seasalt2", 720000), which
        // is exactly what Django stores.
        let stored = "pbkdf2_sha256$720000$seasalt2$HHc8aH3872cvN6HdOWSnTTjbNaoOlyEPtsXPEQRD1Q4=";
        assert_eq!(verify_password("password", stored), Verified::Yes);
        assert_eq!(verify_password("Password", stored), Verified::No);
    }

    #[test]
    fn malformed_hashes_never_verify() {
        for bad in [
            "",
            "pbkdf2_sha256$",
            "md5$1$a$b",
            "pbkdf2_sha256$0$s$aGk=",
            "pbkdf2_sha256$99999999999$s$aGk=",
        ] {
            assert_eq!(verify_password("x", bad), Verified::No, "{bad}");
        }
    }

    #[test]
    fn dummy_hash_is_well_formed_at_our_cost() {
        assert!(DUMMY_HASH.starts_with("pbkdf2_sha256$600000$"));
        assert_eq!(
            verify_password("nobody-knows-this-one", DUMMY_HASH),
            Verified::Yes
        );
        assert_eq!(verify_password("anything", DUMMY_HASH), Verified::No);
    }

    #[test]
    fn authorization_schemes() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, "Token abc".parse().expect("header"));
        assert_eq!(bearer_token(&h), Some("abc"));
        h.insert(AUTHORIZATION, "bearer xyz".parse().expect("header"));
        assert_eq!(bearer_token(&h), Some("xyz"));
        h.insert(AUTHORIZATION, "Basic xyz".parse().expect("header"));
        assert_eq!(bearer_token(&h), None);
        h.insert(AUTHORIZATION, "Token ".parse().expect("header"));
        assert_eq!(bearer_token(&h), None);
    }
}
