//! The state every request sees, built once at start from the `Config`.

use std::net::IpAddr;

use uuid::Uuid;

use crate::auth::links::LinkSigner;
use crate::auth::ratelimit::Limits;
use crate::auth::{self, Caller, Hasher, SessionPolicy};
use crate::blobs::{Allowance, Blobs, Upload};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::{self, Request};
use crate::ids::UserId;
use crate::store::{ItemKind, Store};

pub struct App {
    pub config: Config,
    pub store: Store,
    pub blobs: Blobs,
    pub hasher: Hasher,
    pub limits: Limits,
    pub signer: LinkSigner,
}

impl App {
    /// Prepares the data dir (emptying `tmp/`), opens and migrates the database and loads
    /// the link-signing secret. Errors are one line for the operator.
    pub async fn open(config: Config) -> Result<App, String> {
        let blobs = Blobs::open(&config.data_dir)
            .map_err(|e| format!("cannot prepare data dir {}: {e}", config.data_dir.display()))?;
        let store = Store::open(&config.database)
            .await
            .map_err(|e| format!("cannot open the database: {}", e.detail()))?;
        let signer = LinkSigner::load_or_create(&config.data_dir)
            .map_err(|e| format!("cannot load the signing secret: {e}"))?;
        let limits = Limits::new(&config.limits);
        Ok(App {
            config,
            store,
            blobs,
            hasher: Hasher::new(),
            limits,
            signer,
        })
    }

    /// Starts an upload of a file's bytes into `owner`'s account: the one way in that every
    /// kind of upload takes, so that `--max-upload-size` and the account's quota hold for
    /// all. `declared` (a length the client announced) is held under the quota at once, so
    /// an upload that cannot fit is refused before its bytes are read. `limit` bounds
    /// this upload below `--max-upload-size` (a file request's bytes left).
    pub async fn start_file_upload(
        &self,
        owner: UserId,
        declared: Option<u64>,
        limit: Option<u64>,
    ) -> Result<Upload> {
        let allowance = self.allowance(owner, declared.unwrap_or(0)).await?;
        let limit = match (self.config.max_upload_size, limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.blobs.start_upload(limit, allowance).await
    }

    /// The account's room under its quota for one more upload, holding `declared` bytes
    /// at once (507 `quota_exceeded` when they do not fit); `None` for an account without
    /// a quota. The usage counts the stored files, the trash and the lengths that
    /// unfinished resumable uploads have announced.
    pub async fn allowance(&self, owner: UserId, declared: u64) -> Result<Option<Allowance>> {
        // Read together, no upload's commit in between: see `blobs/quota.rs`.
        let (committed, storage) = {
            let _reading = self.blobs.reservations().reading(owner).await;
            let committed = self.blobs.reservations().committed(owner);
            let storage = self.store.storage_of(owner).await?.ok_or(Error::NotFound)?;
            (committed, storage)
        };
        let Some(quota) = storage.quota_bytes else {
            return Ok(None);
        };
        let mut allowance =
            self.blobs
                .reservations()
                .allowance(owner, quota, storage.usage(), committed);
        if !allowance.hold(declared) {
            return Err(Error::QuotaExceeded { quota });
        }
        Ok(Some(allowance))
    }

    /// Whether deleting moves to the trash (`--trash-retention` above zero) or deletes
    /// for good.
    pub fn keeps_trash(&self) -> bool {
        !self.config.trash_retention.is_zero()
    }

    pub fn session_policy(&self) -> SessionPolicy {
        SessionPolicy {
            idle: self.config.session_idle,
            max_age: self.config.session_max_age,
        }
    }

    /// The account behind the request's token, or 401.
    pub async fn caller(&self, req: &Request) -> Result<Caller> {
        auth::authenticate(&self.store, req.headers(), self.session_policy()).await
    }

    pub fn client_ip(&self, req: &Request) -> IpAddr {
        http::client_ip(req, self.config.trust_proxy)
    }

    pub fn base_url(&self, req: &Request) -> String {
        http::base_url(
            req,
            self.config.public_url.as_deref(),
            self.config.trust_proxy,
            self.config.listen,
        )
    }
}

/// Purges one trash item for good, a batch of rows at a time: each batch's rows are
/// deleted and committed first, then their bytes removed, so a crash between the two
/// leaves only unreferenced blobs for the reaper, never a row without its bytes. Returns
/// how many files went. For the trash routes and the reaper alike.
pub async fn purge_trash_item(
    store: &Store,
    blobs: &Blobs,
    kind: ItemKind,
    id: Uuid,
) -> Result<u64> {
    let mut files = 0;
    loop {
        let step = store.purge_step(kind, id).await?;
        crate::crash_hook::crash_point("purge_after_commit");
        for (owner, blob) in &step.blobs {
            blobs.remove_file(*owner, *blob).await;
        }
        files += step.blobs.len() as u64;
        if step.done {
            return Ok(files);
        }
    }
}
