//! What the server writes to disk is for the service's user alone: folders 0700, the
//! signing secret, the database and every stored byte 0600. (That no secret reaches a log
//! is checked for every server of every test: see `common::secrets`.)

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn folders_are_0700_and_secrets_database_and_files_0600() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    let file = upload_put(&alice, "notes.txt", b"private");
    alice.put("/api/me/avatar").body(TINY_PNG.to_vec()).go();
    let owner = user["id"].as_str().expect("id");
    let data = &server.data_dir;

    for dir in [
        data.clone(),
        data.join("files"),
        data.join("files").join(owner),
        data.join("avatars"),
        data.join("avatars").join(owner),
        data.join("tmp"),
    ] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    let mut private = vec![
        data.join("secret.key"),
        server.blob_path(owner, &id(&file)),
        data.join("mycloud.db"),
    ];
    // SQLite creates these beside the database with its mode, when they exist.
    private.extend(
        ["mycloud.db-wal", "mycloud.db-shm"]
            .map(|name| data.join(name))
            .into_iter()
            .filter(|p| p.exists()),
    );
    let avatars = server.files_under("avatars");
    assert_eq!(avatars.len(), 1, "{avatars:?}");
    private.extend(avatars);
    for path in private {
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}
