//! The blobs group: where file bytes live. Today the data dir (this file) and the buffers
//! a transfer moves its bytes in (`chunks`); §15's S3 backend lands beside it, behind a
//! small trait. May use: `http` (for the body type) and the leaves; never `store`: the
//! database names blobs by id, blobs know nothing of rows.
//!
//! This file: `files/<user_id>/<file_id>`, `avatars/<user_id>/<name>`, `tmp/`.
//! Paths are built from ids only, never from a user-supplied name. Writes go to `tmp/`,
//! are fsynced, renamed into place and the directory fsynced; reads stream in large
//! chunks from one blocking task per transfer.

pub mod chunks;
mod partial;
mod pipe;
mod quota;

pub use partial::{Appending, Checksum, PartLock};
pub use quota::{Allowance, Reservations};

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tokio::sync::{OwnedRwLockReadGuard, mpsc};

use crate::blobs::chunks::ChunkBuffers;
use crate::blobs::pipe::Pipe;
use crate::crash_hook::crash_point;
use crate::error::{Error, Result};
use crate::http::Body;
use crate::ids::{BlobId, UserId};

/// Downloads read this much at a time: 256 KiB already streams at the loopback's
/// 2.5–3 GB/s (64 KiB costs a third of that), and each transfer holds `BUFFERS` of them.
const READ_CHUNK: usize = 256 * 1024;
/// Uploads are written this much at a time: large writes from one blocking task keep the
/// CPU per GiB low.
const WRITE_CHUNK: usize = 1024 * 1024;
/// Chunks queued between the network and the disk task, per transfer.
const QUEUE: usize = 2;
/// Buffers per transfer: the queued chunks, one being filled, one being drained.
const BUFFERS: usize = QUEUE + 4;

#[derive(Clone, Debug)]
pub struct Blobs {
    root: PathBuf,
    /// The bytes each account's uploads in flight hold under its quota.
    reservations: Arc<Reservations>,
    /// Resumable uploads whose part file a `PATCH` is writing.
    part_locks: Arc<partial::PartLocks>,
}

impl Blobs {
    /// Creates the folders (0700). Leaves `tmp/` alone: a CLI command may run beside a
    /// live server whose uploads are in flight there.
    pub fn open(data_dir: &Path) -> io::Result<Blobs> {
        let blobs = Blobs {
            root: data_dir.to_path_buf(),
            reservations: Arc::default(),
            part_locks: Arc::default(),
        };
        for dir in [
            blobs.root.clone(),
            blobs.files_root(),
            blobs.avatars_root(),
            blobs.tmp_root(),
        ] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)?;
        }
        Ok(blobs)
    }

    pub fn files_root(&self) -> PathBuf {
        self.root.join("files")
    }

    pub fn avatars_root(&self) -> PathBuf {
        self.root.join("avatars")
    }

    pub fn tmp_root(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub fn file_path(&self, owner: UserId, blob: BlobId) -> PathBuf {
        self.files_root()
            .join(owner.to_string())
            .join(blob.to_string())
    }

    /// `name` is one we generated (`<uuid>.<ext>`), never the client's.
    pub fn avatar_path(&self, owner: UserId, name: &str) -> PathBuf {
        self.avatars_root().join(owner.to_string()).join(name)
    }

    /// An exclusive lock on `server.lock` in the data dir, or a one-line reason why not.
    pub fn lock_for_server(&self) -> std::result::Result<File, String> {
        let path = self.root.join("server.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(fs::TryLockError::WouldBlock) => Err(format!(
                "another mycloud server is already using {}",
                self.root.display()
            )),
            Err(fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
        }
    }

    /// Only the server calls this, as it starts: then nothing can be in flight.
    pub fn empty_tmp(&self) -> io::Result<usize> {
        let mut removed = 0;
        for entry in fs::read_dir(self.tmp_root())? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The uploads in flight's holds under their accounts' quotas.
    pub fn reservations(&self) -> &Arc<Reservations> {
        &self.reservations
    }

    /// Starts receiving an upload into a new temp file. `limit` bounds its size; the
    /// `allowance`, if any, must hold every byte as it arrives (an account's quota).
    pub async fn start_upload(
        &self,
        limit: Option<u64>,
        allowance: Option<Allowance>,
    ) -> Result<Upload> {
        let path = self
            .tmp_root()
            .join(format!("{}.part", uuid::Uuid::new_v4()));
        // The file exists before the guard does, so dropping the guard always removes it.
        let create_path = path.clone();
        let file = blocking(move || {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&create_path)
        })
        .await?;
        let temp = TempFile { path: Some(path) };
        Ok(Upload {
            temp,
            pipe: Pipe::start(file, 0, BUFFERS, WRITE_CHUNK),
            size: 0,
            limit,
            allowance,
        })
    }

    /// Moves a finished upload to `files/<owner>/<file>` durably: rename, then fsync the
    /// folder (and its parent when the folder is new), so the name survives power loss.
    /// Puts the blob in place; the returned hold keeps its room under the quota until the
    /// caller has committed its row.
    pub async fn commit_file(
        &self,
        mut upload: Finished,
        owner: UserId,
        blob: BlobId,
    ) -> Result<Held> {
        let target = self.file_path(owner, blob);
        let allowance = upload.allowance.take();
        self.commit(upload, target).await?;
        let committing = match &allowance {
            Some(allowance) => Some(allowance.committing().await),
            None => None,
        };
        Ok(Held {
            allowance,
            _committing: committing,
        })
    }

    pub async fn commit_avatar(&self, upload: Finished, owner: UserId, name: &str) -> Result<()> {
        let target = self.avatar_path(owner, name);
        self.commit(upload, target).await
    }

    async fn commit(&self, mut upload: Finished, target: PathBuf) -> Result<()> {
        let Some(temp) = upload.temp.path.clone() else {
            return Err(Error::Internal("upload committed twice".into()));
        };
        blocking(move || move_into_place(&temp, &target)).await?;
        upload.temp.path = None;
        Ok(())
    }

    /// Removes a file's bytes after its row is gone; a missing file is fine.
    pub async fn remove_file(&self, owner: UserId, blob: BlobId) {
        let path = self.file_path(owner, blob);
        remove_quietly(path).await;
    }

    pub async fn remove_avatar(&self, owner: UserId, name: &str) {
        let path = self.avatar_path(owner, name);
        remove_quietly(path).await;
    }

    /// Removes a deleted user's folders with everything in them.
    pub async fn remove_user(&self, owner: UserId) {
        for root in [self.files_root(), self.avatars_root()] {
            let dir = root.join(owner.to_string());
            let result = tokio::task::spawn_blocking(move || match fs::remove_dir_all(&dir) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err((dir, e)),
                _ => Ok(()),
            })
            .await;
            if let Ok(Err((dir, e))) = result {
                log::warn!(
                    "could not remove {}: {e} (the reaper will retry)",
                    dir.display()
                );
            }
        }
    }

    /// Opens a blob for reading; `None` when its bytes are gone.
    /// A file's blob for reading on a blocking thread (a zip of many files reads them all
    /// from one); `None` when it is not a regular file.
    pub fn open_file_blocking(&self, owner: UserId, blob: BlobId) -> io::Result<Option<File>> {
        match File::open(self.file_path(owner, blob)) {
            Ok(f) if f.metadata()?.is_file() => Ok(Some(f)),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn open_blob(&self, path: PathBuf) -> Result<Option<File>> {
        blocking(move || match File::open(&path) {
            Ok(f) if f.metadata()?.is_file() => Ok(Some(f)),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }
}

async fn remove_quietly(path: PathBuf) {
    let result = tokio::task::spawn_blocking(move || match fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err((path, e)),
        _ => Ok(()),
    })
    .await;
    if let Ok(Err((path, e))) = result {
        log::warn!(
            "could not remove {}: {e} (the reaper will retry)",
            path.display()
        );
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal("disk task", e))?
        .map_err(disk_error)
}

/// ENOSPC and EDQUOT become 507; anything else is an internal error.
pub fn disk_error(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Error::InsufficientStorage,
        _ => Error::internal("disk", e),
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Renames `temp` to `target` durably: the folder made if need be (and its parent
/// fsynced), then the rename, then the folder fsynced, so the name survives power loss.
fn move_into_place(temp: &Path, target: &Path) -> io::Result<()> {
    let dir = target
        .parent()
        .ok_or_else(|| io::Error::other("target has no folder"))?;
    if !dir.exists() {
        fs::DirBuilder::new().mode(0o700).create(dir).or_else(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                Ok(())
            } else {
                Err(e)
            }
        })?;
        sync_dir(
            dir.parent()
                .ok_or_else(|| io::Error::other("folder has no parent"))?,
        )?;
    }
    crash_point("before_rename");
    fs::rename(temp, target)?;
    crash_point("after_rename");
    sync_dir(dir)
}

/// A temp file removed when dropped unless it was committed: every early return, error
/// or hang-up cleans up after itself.
struct TempFile {
    path: Option<PathBuf>,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.path.take()
            && let Err(e) = fs::remove_file(&path)
            && e.kind() != io::ErrorKind::NotFound
        {
            log::warn!("could not remove {}: {e}", path.display());
        }
    }
}

/// An upload being received: bytes are batched into large chunks and handed to one
/// blocking task that writes them.
pub struct Upload {
    temp: TempFile,
    pipe: Pipe,
    size: u64,
    limit: Option<u64>,
    allowance: Option<Allowance>,
}

/// An upload written and fsynced in `tmp/`, waiting to be committed.
pub struct Finished {
    temp: TempFile,
    pub size: u64,
    allowance: Option<Allowance>,
}

/// A committed blob's hold under its account's quota: keep it until the blob's row is
/// committed, so that no other upload takes the room meanwhile. Then `landed`; dropping
/// it instead (the row was not written) gives the room back. It keeps uploads that start
/// meanwhile from reading the account's usage until then (see `quota.rs`).
#[must_use = "call `landed` once the row is committed"]
pub struct Held {
    allowance: Option<Allowance>,
    _committing: Option<OwnedRwLockReadGuard<()>>,
}

impl Held {
    /// The blob's row is committed: its bytes now count in the database's usage.
    pub fn landed(mut self) {
        if let Some(allowance) = &mut self.allowance {
            allowance.landed();
        }
    }
}

impl Upload {
    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        self.size += data.len() as u64;
        if let Some(limit) = self.limit
            && self.size > limit
        {
            return Err(Error::TooLarge(format!(
                "this upload is over the limit of {limit} bytes"
            )));
        }
        if let Some(allowance) = &mut self.allowance
            && !allowance.hold(self.size)
        {
            crash_point("quota_refused");
            return Err(Error::QuotaExceeded {
                quota: allowance.quota,
            });
        }
        self.pipe.write(data).await
    }

    /// The bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Writes what is left, fsyncs, and hands over the temp file.
    pub async fn finish(mut self) -> Result<Finished> {
        self.pipe.finish().await?;
        let path = self.temp.path.take();
        Ok(Finished {
            temp: TempFile { path },
            size: self.size,
            allowance: self.allowance.take(),
        })
    }
}

/// Streams `len` bytes of `file` from `start` as a response body, read in large chunks by
/// one blocking task; it stops as soon as the client goes away.
pub fn stream_file(mut file: File, start: u64, len: u64) -> Body {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(QUEUE);
    tokio::task::spawn_blocking(move || {
        if let Err(e) = file.seek(SeekFrom::Start(start)) {
            let _ = tx.blocking_send(Err(e));
            return;
        }
        let mut left = len;
        let mut buffers = ChunkBuffers::new(BUFFERS, left.min(READ_CHUNK as u64) as usize);
        while left > 0 {
            let want = left.min(READ_CHUNK as u64) as usize;
            let buf = buffers.current();
            buf.resize(want, 0);
            let chunk = match read_full(&mut file, buf) {
                Ok(0) => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shrank while sending",
                )),
                Ok(n) => {
                    buf.truncate(n);
                    left -= n as u64;
                    Ok(buffers.take())
                }
                Err(e) => Err(e),
            };
            let failed = chunk.is_err();
            if tx.blocking_send(chunk).is_err() || failed {
                return;
            }
        }
    });
    let frames = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk.map(Frame::data), rx))
    });
    StreamBody::new(frames).boxed()
}

fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
