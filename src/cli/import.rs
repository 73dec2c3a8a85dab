//! `mycloud import --user NAME [--folder PATH] [--on-conflict fail|rename|replace] DIR`:
//! copies a directory tree of this machine into an account (DESIGN §10).
//!
//! It works in two steps. A walk of DIR makes a plan (the folders, the files, and what is
//! skipped and why) without following a single symlink, so no link can lead it out of DIR
//! or round in a loop. Then the folders are created (or reused, so that a second run adds
//! only what is missing) and each file's bytes go through the blob store exactly as an
//! upload's do: `tmp/` → fsync → rename → the row. A file that cannot be read is listed
//! and the others still go; an error of the store or the data dir stops the run, since it
//! would repeat for every file (running it again continues where it stopped).

mod plan;
mod report;

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tokio::io::AsyncReadExt;

use crate::api::files::content_type_for;
use crate::app::App;
use crate::clock::Timestamp;
use crate::config::ImportConflict;
use crate::error::{Error, Result};
use crate::ids::{BlobId, FileId, FolderId, UserId};
use crate::store::{
    After, FileRow, OnConflict, Order, Sort, SortValue, Stored, fold, is_name_taken,
};
use crate::validate::FileName;
use plan::{Plan, PlannedFile};
use report::{Outcome, Progress, Report};

/// Files are read this much at a time: one buffer for the whole run.
const READ_CHUNK: usize = 1024 * 1024;

/// What the command line asked for.
pub struct Request {
    pub user: String,
    pub folder: Option<String>,
    pub on_conflict: ImportConflict,
    pub dir: PathBuf,
}

pub async fn run(app: &App, request: Request) -> std::result::Result<ExitCode, String> {
    let dir = request.dir;
    match fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(format!("{} is not a directory", dir.display())),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    }
    let (user, _) = app
        .store
        .user_by_name(&request.user)
        .await
        .map_err(|e| e.detail())?
        .ok_or_else(|| format!("no user named {:?}", request.user))?;
    let mut import = Import {
        app,
        owner: user.id,
        on_conflict: match request.on_conflict {
            ImportConflict::Fail => OnConflict::Fail,
            ImportConflict::Rename => OnConflict::Rename,
            ImportConflict::Replace => OnConflict::Replace,
        },
        report: Report::default(),
    };
    let target = import.target(request.folder.as_deref()).await?;
    let data_dir = fs::metadata(&app.config.data_dir)
        .ok()
        .map(|m| (m.dev(), m.ino()));
    let walk_dir = dir.clone();
    let mut plan = tokio::task::spawn_blocking(move || Plan::walk(&walk_dir, data_dir))
        .await
        .map_err(|e| format!("walking {}: {e}", dir.display()))?;
    import.report.failed.append(&mut plan.unreadable);
    import.report.skipped.append(&mut plan.skipped);

    let stopped = import.copy(&plan, target).await.err();
    let into = match request.folder.as_deref() {
        Some(path) => format!("{}:/{}", user.username, path.trim_matches('/')),
        None => format!("{}:/", user.username),
    };
    import.report.print(&dir, &into);
    if let Some(e) = stopped {
        return Err(format!(
            "stopped: {}; what was imported stays, run the same command again to continue",
            e.detail()
        ));
    }
    match import.report.failed.len() {
        0 => Ok(ExitCode::SUCCESS),
        n => Err(format!(
            "{n} file(s) or folder(s) could not be read (listed above); run it again to retry them"
        )),
    }
}

/// One run: the account, the policy for taken names, and what happened so far.
struct Import<'a> {
    app: &'a App,
    owner: UserId,
    on_conflict: OnConflict,
    report: Report,
}

impl Import<'_> {
    /// The folder `--folder` names, each level created if missing; `None` is the root.
    async fn target(
        &mut self,
        path: Option<&str>,
    ) -> std::result::Result<Option<FolderId>, String> {
        let mut folder = None;
        for part in path.unwrap_or("").split('/').filter(|p| !p.is_empty()) {
            let name = FileName::parse(part).map_err(|m| format!("--folder: {part:?} {m}"))?;
            folder = match self.folder(folder, &name).await.map_err(|e| e.detail())? {
                Some(id) => Some(id),
                None => return Err(format!("--folder: {part:?} is a file in this account")),
            };
        }
        Ok(folder)
    }

    /// The folder `name` in `parent`: created, or the one already there; `None` when a
    /// file has that name.
    async fn folder(
        &mut self,
        parent: Option<FolderId>,
        name: &FileName,
    ) -> Result<Option<FolderId>> {
        let created = self
            .app
            .store
            .create_folder(self.owner, parent, name.to_string(), Timestamp::now())
            .await;
        match created {
            Ok(folder) => {
                self.report.folders_created += 1;
                Ok(Some(folder.id))
            }
            Err(e) if is_name_taken(&e) => {
                let found = self.existing_folder(parent, name.as_str()).await?;
                self.report.folders_reused += usize::from(found.is_some());
                Ok(found)
            }
            Err(e) => Err(e),
        }
    }

    /// The folder of `parent` called exactly `name`: a page of folders by name, starting
    /// at the name's fold (names that differ only in case sort together there).
    async fn existing_folder(
        &self,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<Option<FolderId>> {
        let key = fold(name);
        let mut after = After::Folder {
            key: SortValue::Text(key.clone()),
            id: uuid::Uuid::nil(),
        };
        loop {
            let page = self
                .app
                .store
                .folder_page(self.owner, parent, Sort::Name, Order::Asc, Some(after), 16)
                .await?;
            for folder in &page.folders {
                if folder.name == name {
                    return Ok(Some(folder.id));
                }
                if fold(&folder.name) != key {
                    return Ok(None);
                }
            }
            match page.next {
                Some(next @ After::Folder { .. }) => after = next,
                _ => return Ok(None),
            }
        }
    }

    /// Creates the plan's folders, then copies its files. Stops at the first error of the
    /// store or the data dir.
    async fn copy(&mut self, plan: &Plan, target: Option<FolderId>) -> Result<()> {
        // The account's folder for each planned one; `None` when it could not be made.
        let mut ids: Vec<Option<FolderId>> = Vec::with_capacity(plan.folders.len());
        for planned in &plan.folders {
            let id = match destination(target, &ids, planned.parent) {
                // Below a folder that could not be made: that one is listed already.
                None => None,
                Some(parent) => {
                    let id = self.folder(parent, &planned.name).await?;
                    if id.is_none() {
                        self.report.skip(
                            &planned.shown,
                            "a file of this name is already there; nothing below it was imported",
                        );
                    }
                    id
                }
            };
            ids.push(id);
        }
        let mut progress = Progress::new(plan.files.len(), plan.total_bytes);
        let mut buffer = vec![0; READ_CHUNK];
        for file in &plan.files {
            progress.start(&file.shown);
            if let Some(folder) = destination(target, &ids, file.folder) {
                let outcome = self.file(file, folder, &mut buffer, &mut progress).await;
                let outcome = match outcome {
                    Ok(outcome) => outcome,
                    Err(e) => {
                        progress.clear();
                        return Err(e);
                    }
                };
                self.report.record(file, outcome);
            }
            progress.finish(file.size);
        }
        progress.clear();
        Ok(())
    }

    /// Copies one file into `folder`. `Err` only for an error of the store or the data
    /// dir; what is wrong with the file itself is an `Outcome`.
    async fn file(
        &self,
        file: &PlannedFile,
        folder: Option<FolderId>,
        buffer: &mut [u8],
        progress: &mut Progress,
    ) -> Result<Outcome> {
        let app = self.app;
        let name = file.name.as_str();
        // As an upload with on_conflict=fail does: a taken name is refused before a byte
        // is read. This is what makes a second run cheap.
        if self.on_conflict == OnConflict::Fail
            && app.store.name_in_use(self.owner, folder, name).await?
        {
            return Ok(Outcome::AlreadyThere);
        }
        if let Some(limit) = app.config.max_upload_size
            && file.size > limit
        {
            return Ok(Outcome::Skipped(format!(
                "larger than --max-upload-size ({limit} bytes)"
            )));
        }
        let mut source = match open_regular(&file.path).await {
            Ok(source) => source,
            Err(e) => return Ok(Outcome::Failed(e.to_string())),
        };
        // The account's quota holds for an import too (the same way in as an upload).
        let mut upload = match app
            .start_file_upload(self.owner, Some(file.size), None)
            .await
        {
            Ok(upload) => upload,
            Err(e @ Error::QuotaExceeded { .. }) => return Ok(Outcome::Skipped(e.detail())),
            Err(e) => return Err(e),
        };
        loop {
            let n = match source.read(buffer).await {
                Ok(0) => break,
                Ok(n) => n,
                // Dropping `upload` removes its temp file.
                Err(e) => return Ok(Outcome::Failed(e.to_string())),
            };
            match upload.write(&buffer[..n]).await {
                Ok(()) => progress.advance(n as u64),
                Err(Error::TooLarge(m)) => return Ok(Outcome::Skipped(m)),
                Err(e @ Error::QuotaExceeded { .. }) => return Ok(Outcome::Skipped(e.detail())),
                Err(e) => return Err(e),
            }
        }
        // From here on exactly `store_upload` in api/files.rs: the bytes are durable in
        // place before the row names them, and leave again if the row cannot be written.
        let finished = upload.finish().await?;
        let id = FileId::new();
        let blob = BlobId::from(id);
        let size = finished.size;
        // Held until the row is written, like an upload's.
        let held = app.blobs.commit_file(finished, self.owner, blob).await?;
        let row = FileRow {
            id,
            owner_id: self.owner,
            folder_id: folder,
            blob_id: blob,
            content_type: content_type_for(name, None),
            name: name.to_string(),
            size,
            comment: String::new(),
            uploaded_at: Timestamp::now(),
            last_downloaded_at: None,
            share: None,
            missing_since: None,
            trash: None,
        };
        let stored = app.store.store_file(row, self.on_conflict).await;
        if stored.is_ok() {
            held.landed();
        }
        match stored {
            Ok(Stored::New(row)) if row.name != name => Ok(Outcome::Renamed(size, row.name)),
            Ok(Stored::New(_)) => Ok(Outcome::New(size)),
            Ok(Stored::Replaced { old_blob, .. }) => {
                app.blobs.remove_file(self.owner, old_blob).await;
                Ok(Outcome::Replaced(size))
            }
            Err(e) => {
                app.blobs.remove_file(self.owner, blob).await;
                if !is_name_taken(&e) {
                    return Err(e);
                }
                Ok(match self.on_conflict {
                    // Taken since the check above, by someone else.
                    OnConflict::Fail => Outcome::AlreadyThere,
                    // A folder has the name: there is no file to replace.
                    _ => Outcome::Skipped("a folder of this name is already there".into()),
                })
            }
        }
    }
}

/// Where an entry of the plan goes: `Some(folder)` (`Some(None)`: the account's root), or
/// `None` when its folder in the plan (`planned`, an index into `made`) could not be made.
fn destination(
    target: Option<FolderId>,
    made: &[Option<FolderId>],
    planned: Option<usize>,
) -> Option<Option<FolderId>> {
    match planned {
        None => Some(target),
        Some(i) => made[i].map(Some),
    }
}

/// Opens `path` only if it is still a regular file: a symlink put there since the walk
/// fails (`O_NOFOLLOW`), and a fifo neither blocks the open (`O_NONBLOCK`) nor is read.
async fn open_regular(path: &Path) -> io::Result<tokio::fs::File> {
    let file = tokio::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .await?;
    if !file.metadata().await?.is_file() {
        return Err(io::Error::other("is no longer a regular file"));
    }
    Ok(file)
}
