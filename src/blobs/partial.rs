//! Resumable uploads' bytes (tus, DESIGN §13): `tmp/tus/<upload id>`, created empty and
//! appended to in place by each `PATCH`, so no byte is copied twice. A `PATCH` first cuts
//! the file back to the offset the database holds (bytes past it were never reported to
//! the client, so they may be dropped), writes, fsyncs, and only then may the caller
//! record the new offset: the offset a client is told is always on disk. One `PATCH` at a
//! time per upload: a second waits for the first's writer to be done with the file.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ring::digest;
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use super::pipe::Pipe;
use super::{Blobs, blocking, sync_dir};
use crate::error::{Error, Result};
use crate::ids::{BlobId, UserId};

/// A `PATCH` writes this much at a time and holds at most `BUFFERS` of them: small enough
/// that eight uploads at once stay within a few MiB, large enough for one write per
/// several network reads.
const WRITE_CHUNK: usize = 512 * 1024;
const BUFFERS: usize = 4;

/// What `Upload-Checksum` asks of one `PATCH`'s bytes.
pub struct Checksum {
    pub algorithm: &'static digest::Algorithm,
    pub expected: Vec<u8>,
}

/// The uploads whose part file a `PATCH` is writing, each behind its own lock.
#[derive(Debug, Default)]
pub struct PartLocks {
    locks: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
}

impl PartLocks {
    async fn lock(self: &Arc<Self>, id: Uuid) -> PartLock {
        let lock = {
            let mut map = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry(id).or_default())
        };
        PartLock {
            guard: Some(lock.lock_owned().await),
            locks: Arc::clone(self),
            id,
        }
    }
}

/// Held while one `PATCH` owns an upload's part file; the map forgets unused locks.
pub struct PartLock {
    guard: Option<OwnedMutexGuard<()>>,
    locks: Arc<PartLocks>,
    id: Uuid,
}

impl Drop for PartLock {
    fn drop(&mut self) {
        self.guard = None;
        let mut map = self.locks.locks.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(&self.id).is_some_and(|l| Arc::strong_count(l) == 1) {
            map.remove(&self.id);
        }
    }
}

impl Blobs {
    pub fn parts_root(&self) -> PathBuf {
        self.tmp_root().join("tus")
    }

    pub fn part_path(&self, id: Uuid) -> PathBuf {
        self.parts_root().join(id.hyphenated().to_string())
    }

    /// Waits until no other `PATCH` writes upload `id`'s part, then owns it.
    pub async fn lock_part(&self, id: Uuid) -> PartLock {
        self.part_locks.lock(id).await
    }

    /// Creates upload `id`'s empty part file, durably (the file and its folder fsynced).
    pub async fn create_part(&self, id: Uuid) -> Result<()> {
        let (root, path) = (self.parts_root(), self.part_path(id));
        blocking(move || {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&root)?;
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)?;
            file.sync_all()?;
            sync_dir(&root)
        })
        .await
    }

    /// Whether upload `id`'s part file is there.
    pub async fn part_exists(&self, id: Uuid) -> Result<bool> {
        let path = self.part_path(id);
        blocking(move || Ok(path.is_file())).await
    }

    /// Opens upload `id`'s part to append at `offset` (what the database says is on disk;
    /// anything after it is cut), taking at most `room` bytes, checked against `checksum`
    /// if given. `lock` proves the caller owns the part. A part gone, or shorter than the
    /// offset (bytes lost under the server's feet), is `NotFound`: padding it out would
    /// store zeros where the client's bytes were.
    pub async fn append(
        &self,
        id: Uuid,
        offset: u64,
        room: u64,
        checksum: Option<Checksum>,
        lock: PartLock,
    ) -> Result<Appending> {
        let path = self.part_path(id);
        let file = blocking(move || {
            let mut file = match OpenOptions::new().write(true).open(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                other => other?,
            };
            if file.metadata()?.len() < offset {
                return Ok(None);
            }
            file.set_len(offset)?;
            file.seek(SeekFrom::Start(offset))?;
            Ok(Some(file))
        })
        .await?
        .ok_or(Error::NotFound)?;
        Ok(Appending {
            path: self.part_path(id),
            start: offset,
            written: 0,
            room,
            pipe: Pipe::start(file, offset, BUFFERS, WRITE_CHUNK),
            checksum: checksum.map(|c| (digest::Context::new(c.algorithm), c.expected)),
            lock,
        })
    }

    /// Moves a whole part to `files/<owner>/<blob>` durably (see `commit_file`).
    pub async fn commit_part(&self, id: Uuid, owner: UserId, blob: BlobId) -> Result<()> {
        let (part, target) = (self.part_path(id), self.file_path(owner, blob));
        blocking(move || super::move_into_place(&part, &target)).await
    }

    /// Removes upload `id`'s part, if it is there.
    pub async fn remove_part(&self, id: Uuid) {
        let path = self.part_path(id);
        let removed = blocking(move || match fs::remove_file(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        })
        .await;
        if let Err(e) = removed {
            log::warn!("removing the part of upload {id}: {e}");
        }
    }
}

/// One `PATCH`'s bytes on their way to the end of a part file.
pub struct Appending {
    path: PathBuf,
    start: u64,
    written: u64,
    room: u64,
    pipe: Pipe,
    checksum: Option<(digest::Context, Vec<u8>)>,
    lock: PartLock,
}

impl Appending {
    /// Takes the next bytes; more than the upload's length is 413 (and the caller drops
    /// the whole `PATCH`).
    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        if self.written + data.len() as u64 > self.room {
            return Err(Error::TooLarge(format!(
                "this upload's length leaves room for {} more bytes",
                self.room
            )));
        }
        self.written += data.len() as u64;
        if let Some((context, _)) = &mut self.checksum {
            context.update(data);
        }
        self.pipe.write(data).await
    }

    /// All of the `PATCH` arrived: writes the rest and fsyncs. Returns the new offset, or
    /// 460 `checksum_mismatch` (the `PATCH`'s bytes dropped) when they are not what
    /// `Upload-Checksum` said.
    pub async fn finish(mut self) -> Result<u64> {
        self.pipe.finish().await?;
        if let Some((context, expected)) = self.checksum.take()
            && context.finish().as_ref() != expected.as_slice()
        {
            self.cut_back().await?;
            return Err(Error::ChecksumMismatch);
        }
        Ok(self.start + self.written)
    }

    /// The client went away mid-`PATCH`: keeps what arrived (fsynced), as tus expects,
    /// unless a checksum was asked for, which a part cannot be checked against. Returns
    /// the offset to record.
    pub async fn keep_what_arrived(mut self) -> Result<u64> {
        self.pipe.finish().await?;
        if self.checksum.is_some() {
            self.cut_back().await?;
            return Ok(self.start);
        }
        Ok(self.start + self.written)
    }

    /// Stops writing and drops what this `PATCH` wrote.
    pub async fn abort(mut self) -> Result<()> {
        // Its error is moot: the bytes go anyway.
        let _ = self.pipe.stop().await;
        self.cut_back().await
    }

    async fn cut_back(&self) -> Result<()> {
        let (path, start) = (self.path.clone(), self.start);
        blocking(move || {
            let file = OpenOptions::new().write(true).open(&path)?;
            file.set_len(start)?;
            file.sync_all()
        })
        .await
    }
}

impl Drop for Appending {
    fn drop(&mut self) {
        // Dropped mid-write (the request's future was cancelled): the part stays locked
        // until the writer has let go of the file, so no other `PATCH` writes beside it.
        // What it wrote is past the database's offset: the next `PATCH` cuts it.
        if let Some(writer) = self.pipe.detach() {
            let guard = self.lock.guard.take();
            tokio::spawn(async move {
                let _ = writer.await;
                drop(guard);
            });
        }
    }
}
