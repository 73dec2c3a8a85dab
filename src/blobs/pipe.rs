//! Bytes on their way to a file: gathered into chunks in a few reused buffers
//! (`chunks.rs`) and handed, a chunk at a time, to one blocking task that writes them and
//! fsyncs at the end. Uploads (`mod.rs`) and resumable uploads' appends (`partial.rs`)
//! both write through one.

use std::fs::File;
use std::io::{self, Write};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::chunks::ChunkBuffers;
use super::disk_error;
use crate::error::{Error, Result};

/// Chunks queued between the network and the disk task.
const QUEUE: usize = 2;
/// Written bytes are handed to the disk in steps of this size (see `start_writeback`).
const WRITEBACK_STEP: u64 = 8 * 1024 * 1024;

pub struct Pipe {
    tx: Option<mpsc::Sender<Bytes>>,
    writer: Option<JoinHandle<io::Result<()>>>,
    buffers: ChunkBuffers,
    chunk: usize,
}

impl Pipe {
    /// Starts writing to `file`, positioned at `start`, in chunks of `chunk` bytes held in
    /// at most `buffers` buffers.
    pub fn start(file: File, start: u64, buffers: usize, chunk: usize) -> Pipe {
        let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
        let writer = tokio::task::spawn_blocking(move || write_all_then_sync(file, rx, start));
        Pipe {
            tx: Some(tx),
            writer: Some(writer),
            buffers: ChunkBuffers::new(buffers, chunk),
            chunk,
        }
    }

    pub async fn write(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            // Fill the current buffer exactly: a chunk never outgrows its buffer, so the
            // buffers are reused rather than reallocated.
            let buf = self.buffers.current();
            let n = data.len().min(self.chunk - buf.len());
            buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.buffers.current().len() == self.chunk {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        if self.buffers.current().is_empty() {
            return Ok(());
        }
        let chunk = self.buffers.take();
        let sent = match &self.tx {
            Some(tx) => tx.send(chunk).await.is_ok(),
            None => false,
        };
        if !sent {
            // The writer stopped early: its error says why (disk full, most likely).
            return Err(self
                .stop()
                .await
                .err()
                .unwrap_or_else(|| Error::Internal("writer stopped".into())));
        }
        Ok(())
    }

    /// Writes what is left and fsyncs: the bytes are on disk when this returns `Ok`.
    pub async fn finish(&mut self) -> Result<()> {
        self.flush().await?;
        self.stop().await
    }

    /// Sends nothing more and waits for the writer: its result.
    pub async fn stop(&mut self) -> Result<()> {
        self.tx = None;
        match self.writer.take() {
            Some(writer) => writer
                .await
                .map_err(|e| Error::internal("writer task", e))?
                .map_err(disk_error),
            None => Ok(()),
        }
    }

    /// The writer, if it still runs, for a caller dropped mid-write that must wait for it
    /// elsewhere; nothing more is sent to it.
    pub fn detach(&mut self) -> Option<JoinHandle<io::Result<()>>> {
        self.tx = None;
        self.writer.take()
    }
}

/// Writes what `rx` brings to `file` (positioned at `start`), then fsyncs it.
fn write_all_then_sync(
    mut file: File,
    mut rx: mpsc::Receiver<Bytes>,
    start: u64,
) -> io::Result<()> {
    let mut written = start;
    let mut flushed = start;
    while let Some(chunk) = rx.blocking_recv() {
        file.write_all(&chunk)?;
        written += chunk.len() as u64;
        if written - flushed >= WRITEBACK_STEP {
            start_writeback(&file, flushed, written - flushed);
            flushed = written;
        }
    }
    // A failed fsync fails the upload: the bytes may not be on disk.
    file.sync_all()
}

/// Asks the kernel to start writing `len` bytes at `offset` to disk now, without waiting.
/// A big upload's bytes then go to disk while the rest still arrives, and the fsync at
/// the end finds little left to do, instead of the whole file waiting for it. Only a
/// hint: `sync_all` is what makes the upload durable, so a failure here is ignored.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: plain integers and a descriptor `file` keeps open for the whole call.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}
