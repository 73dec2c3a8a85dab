//! Signed content links: short-lived URLs that let a browser fetch a file's bytes from
//! `<img>`, `<video>` or `<a href>`, which cannot send an `Authorization` header.
//! An HMAC-SHA256 over the file id and the expiry, keyed by a secret created once in the
//! data dir; any change to either invalidates the signature.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ids::FileId;

/// Long enough to start a video and seek a while; short enough that a leaked URL dies soon.
pub const LINK_LIFETIME: Duration = Duration::from_secs(10 * 60);
const SECRET_FILE: &str = "secret.key";
const SECRET_LEN: usize = 32;

pub struct LinkSigner {
    key: hmac::Key,
}

impl LinkSigner {
    /// Reads `<data_dir>/secret.key`, creating it (0600, fsynced) on first start.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<LinkSigner> {
        let path = data_dir.join(SECRET_FILE);
        let mut secret = [0u8; SECRET_LEN];
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(mut file) => {
                SystemRandom::new()
                    .fill(&mut secret)
                    .map_err(|_| std::io::Error::other("the system random generator failed"))?;
                file.write_all(&secret)?;
                file.sync_all()?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mut file = std::fs::File::open(&path)?;
                let mut contents = Vec::new();
                file.read_to_end(&mut contents)?;
                if contents.len() != SECRET_LEN {
                    return Err(std::io::Error::other(format!(
                        "{} must hold {SECRET_LEN} bytes; delete it to make a new one (old links die)",
                        path.display()
                    )));
                }
                secret.copy_from_slice(&contents);
            }
            Err(e) => return Err(e),
        }
        Ok(LinkSigner {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
        })
    }

    fn message(file: FileId, expires: i64) -> String {
        format!("mycloud-content-link-v1\n{file}\n{expires}")
    }

    /// The signature for `file` valid until `expires` (Unix seconds).
    pub fn sign(&self, file: FileId, expires: i64) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(
            &self.key,
            Self::message(file, expires).as_bytes(),
        ))
    }

    /// Checks the signature (in constant time) and then the expiry.
    /// A signature over `message` for `purpose` (page cursors, folder links): the same
    /// secret, a different message shape per purpose, so no signature stands in for
    /// another kind.
    pub fn sign_message(&self, purpose: &str, message: &str) -> String {
        let signed = format!("mycloud-{purpose}-v1\n{message}");
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.key, signed.as_bytes()))
    }

    /// Whether `sig` is `sign_message(purpose, message)`, compared in constant time.
    pub fn verify_message(&self, purpose: &str, message: &str, sig: &str) -> bool {
        let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
            return false;
        };
        let signed = format!("mycloud-{purpose}-v1\n{message}");
        hmac::verify(&self.key, signed.as_bytes(), &sig).is_ok()
    }

    pub fn verify(&self, file: FileId, expires: &str, sig: &str, now: Timestamp) -> Result<()> {
        let invalid = || Error::Forbidden("invalid_link");
        let expires: i64 = expires.parse().map_err(|_| invalid())?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| invalid())?;
        hmac::verify(&self.key, Self::message(file, expires).as_bytes(), &sig)
            .map_err(|_| invalid())?;
        if expires < now.secs() {
            return Err(Error::Forbidden("link_expired"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_binds_file_and_expiry_and_secret_persists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let signer = LinkSigner::load_or_create(dir.path()).expect("signer");
        let (file, other) = (FileId::new(), FileId::new());
        let now = Timestamp::now();
        let exp = now.secs() + 60;
        let sig = signer.sign(file, exp);
        assert!(signer.verify(file, &exp.to_string(), &sig, now).is_ok());
        assert!(signer.verify(other, &exp.to_string(), &sig, now).is_err());
        assert!(
            signer
                .verify(file, &(exp + 1).to_string(), &sig, now)
                .is_err()
        );
        assert!(signer.verify(file, &exp.to_string(), "AAAA", now).is_err());
        let later = Timestamp(now.millis() + 120_000);
        assert!(matches!(
            signer.verify(file, &exp.to_string(), &sig, later),
            Err(Error::Forbidden("link_expired"))
        ));
        let reopened = LinkSigner::load_or_create(dir.path()).expect("reopen");
        assert!(
            reopened.verify(file, &exp.to_string(), &sig, now).is_ok(),
            "same secret after restart"
        );
    }
}
