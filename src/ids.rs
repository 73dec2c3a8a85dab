//! Newtypes for identifiers that must never be mixed up: a user id is not a file id,
//! and a token's hash is not the token.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! uuid_id {
    ($name:ident) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh time-ordered (v7) id: rows sort by creation and index well.
            // Blob ids are taken from file ids, never made on their own.
            #[allow(dead_code)]
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    };
}

uuid_id!(UserId);
uuid_id!(FileId);
uuid_id!(FolderId);
// The name of a file's bytes in the blob store. It starts equal to the file's id and
// changes when an upload replaces the bytes, so old and new bytes never share a name.
uuid_id!(BlobId);

impl From<FileId> for BlobId {
    fn from(id: FileId) -> Self {
        BlobId(id.0)
    }
}

/// SHA-256 of a session token: what the database stores instead of the token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    pub fn of(token: &str) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest.as_ref());
        TokenHash(bytes)
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Even a hash stays out of logs: it is the session's primary key.
        f.write_str("TokenHash(…)")
    }
}
