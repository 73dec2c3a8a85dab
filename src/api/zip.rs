//! `GET /api/folders/{id|root}/zip`: a folder and everything below it as one zip,
//! streamed as it is read: no temp file, memory flat whatever the size (a few chunk
//! buffers, plus the central directory's few hundred bytes per entry that the format
//! needs at the end). Entries are stored, not compressed: photos and videos do not shrink,
//! and storing keeps the download at disk speed. Names are UTF-8 with their paths below
//! the folder; empty folders are kept; ZIP64 takes over past 4 GiB.
//!
//! A file whose bytes are gone is not silently left out: it is listed in a last entry,
//! `MISSING FILES.txt`. Bytes that fail while being read (a file removed mid-download)
//! end the response with an error, so the client sees an incomplete download rather
//! than an archive that looks whole.

use std::fs::File;
use std::io::{self, Read, Write};

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, StreamBody};
use hyper::StatusCode;
use hyper::body::Frame;
use hyper::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue};
use tokio::sync::mpsc;
use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::api::folders::{folder_or_root, zip_link_message};
use crate::app::App;
use crate::blobs::Blobs;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::http::disposition::{self, Disposition};
use crate::http::{Body, Request, Response, query};
use crate::ids::{FolderId, UserId};
use crate::store::TreeEntry;

/// Bytes handed to the socket at a time, and how many may wait in the queue.
const CHUNK: usize = 256 * 1024;
const QUEUE: usize = 2;

/// What a zip link or a token grants: whose tree, and which folder of it.
async fn target(app: &App, req: &Request, id: &str) -> Result<(UserId, Option<FolderId>, String)> {
    let params = query(req);
    if let (Some(owner), Some(expires), Some(sig)) = (
        params.get("owner"),
        params.get("expires"),
        params.get("sig"),
    ) {
        let invalid = || Error::Forbidden("invalid_link");
        let owner: UserId = owner.parse().map_err(|_| invalid())?;
        let expires: i64 = expires.parse().map_err(|_| invalid())?;
        let message = zip_link_message(owner, id, expires);
        if !app.signer.verify_message("folder-zip", &message, sig) {
            return Err(invalid());
        }
        if expires < Timestamp::now().secs() {
            return Err(Error::Forbidden("link_expired"));
        }
        if id == "root" {
            return Ok((owner, None, String::new()));
        }
        let folder_id: FolderId = id.parse().map_err(|_| invalid())?;
        let folder = app
            .store
            .folder(folder_id)
            .await?
            .filter(|f| f.owner_id == owner)
            .ok_or(Error::NotFound)?;
        return Ok((owner, Some(folder.id), folder.name));
    }
    let caller = app.caller(req).await?;
    let (owner, folder) = folder_or_root(app, &caller, req, id).await?;
    Ok(match folder {
        Some(f) => (owner, Some(f.id), f.name),
        None => (owner, None, String::new()),
    })
}

/// `GET /api/folders/{id|root}/zip`, with a token or a link from `POST …/link`.
pub async fn download(app: &App, req: Request, id: &str) -> Result<Response> {
    let (owner, folder, name) = target(app, &req, id).await?;
    respond(app, owner, folder, &name).await
}

/// The zip of `folder` (`None`: the whole account) of `owner`, named after `name`.
pub async fn respond(
    app: &App,
    owner: UserId,
    folder: Option<FolderId>,
    name: &str,
) -> Result<Response> {
    let entries = app.store.subtree(owner, folder).await?;
    let name = if name.is_empty() {
        "files.zip".to_string()
    } else {
        format!("{name}.zip")
    };
    let body = stream(app.blobs.clone(), owner, entries);
    let mut response = hyper::Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) =
        HeaderValue::from_str(&disposition::header_value(Disposition::Attachment, &name))
    {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The zip of `entries` as a body, written on a blocking thread that waits whenever the
/// client is slower than the disk.
fn stream(blobs: Blobs, owner: UserId, entries: Vec<TreeEntry>) -> Body {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(QUEUE);
    tokio::task::spawn_blocking(move || {
        let out = Channel {
            tx: tx.clone(),
            buf: BytesMut::with_capacity(CHUNK),
        };
        let mut zip = ZipWriter::new_stream(out);
        let written = write_entries(&blobs, owner, entries, &mut zip).and_then(|()| {
            let mut out = zip.finish().map_err(io::Error::other)?.into_inner();
            out.flush()
        });
        if let Err(e) = written {
            log::warn!("a zip download stopped: {e}");
            // Queued before anything else: the client sees the body fail here, and never
            // the central directory that dropping the writer appends to what came before.
            let _ = tx.blocking_send(Err(e));
        }
    });
    let frames = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk.map(Frame::data), rx))
    });
    StreamBody::new(frames).boxed()
}

fn write_entries(
    blobs: &Blobs,
    owner: UserId,
    entries: Vec<TreeEntry>,
    zip: &mut ZipWriter<StreamWriter<Channel>>,
) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    for entry in entries {
        match entry {
            TreeEntry::Folder { path } => {
                zip.add_directory(format!("{path}/"), options(None, 0))
                    .map_err(io::Error::other)?;
            }
            TreeEntry::File { path, file } => {
                let blob = if file.missing_since.is_some() {
                    None
                } else {
                    blobs.open_file_blocking(owner, file.blob_id)?
                };
                let Some(mut blob) = blob else {
                    missing.push(path);
                    continue;
                };
                zip.start_file(path.clone(), options(Some(file.uploaded_at), file.size))
                    .map_err(io::Error::other)?;
                copy_exactly(&mut blob, zip, file.size, &mut buf, &path)?;
            }
        }
    }
    if !missing.is_empty() {
        let mut note = String::from(
            "These files are in mycloud's list but their bytes are missing from the \
             server's disk, so this archive does not hold them:\n\n",
        );
        for path in &missing {
            note.push_str(path);
            note.push('\n');
        }
        zip.start_file("MISSING FILES.txt", options(None, note.len() as u64))
            .map_err(io::Error::other)?;
        zip.write_all(note.as_bytes())?;
    }
    Ok(())
}

fn options(modified: Option<Timestamp>, size: u64) -> SimpleFileOptions {
    let mut options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(size >= u64::from(u32::MAX));
    if let Some(time) = modified.and_then(zip_time) {
        options = options.last_modified_time(time);
    }
    options
}

/// A zip time (1980 to 2107, two-second steps), or none outside that range.
fn zip_time(t: Timestamp) -> Option<DateTime> {
    let (year, month, day, hour, minute, second) = t.utc_parts();
    let year = u16::try_from(year).ok()?;
    DateTime::from_date_and_time(
        year,
        month as u8,
        day as u8,
        hour as u8,
        minute as u8,
        second as u8,
    )
    .ok()
}

/// Copies exactly `size` bytes: a file that grew or shrank on disk since its row was
/// written would make the entry disagree with its header.
fn copy_exactly(
    from: &mut File,
    to: &mut impl Write,
    size: u64,
    buf: &mut [u8],
    path: &str,
) -> io::Result<()> {
    let mut left = size;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = from.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{path} is shorter on disk than its row says"),
            ));
        }
        to.write_all(&buf[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// A `Write` that hands the zip's bytes to the response in chunks, blocking while the
/// queue is full; a client that went away is a write error that stops the zip.
struct Channel {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: BytesMut,
}

impl Channel {
    fn send(&mut self) -> io::Result<()> {
        let chunk = self.buf.split().freeze();
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))?;
        self.buf.reserve(CHUNK);
        Ok(())
    }
}

impl Write for Channel {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len().min(CHUNK);
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.send()?;
        }
        Ok(())
    }
}
