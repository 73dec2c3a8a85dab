//! What is served outside the JSON API: the health check and the web interface's pages.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::*;

both_backends!(health_reports_ok_the_database_and_the_version);
fn health_reports_ok_the_database_and_the_version() {
    let server = Server::start();
    let reply = server.anon().get("/api/health").go().expect(200);
    let body = reply.json();
    assert_keys(&body, &["status", "database", "version"]);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], server.backend.name());
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{reply:?}"
    );
}

both_backends!(the_tables_live_in_the_database_the_url_names);
/// Guards the harness as much as the server: a postgres variant that quietly ran on SQLite
/// would pass every test while testing nothing.
fn the_tables_live_in_the_database_the_url_names() {
    let server = Server::start();
    register(&server, "alice");
    let sqlite_file = server.data_dir.join("mycloud.db");
    match &server.database {
        None => assert!(sqlite_file.is_file(), "no {}", sqlite_file.display()),
        Some(db) => {
            assert!(
                !sqlite_file.exists(),
                "a postgres server wrote {}",
                sqlite_file.display()
            );
            assert_eq!(db.query("SELECT username FROM users"), "alice");
        }
    }
}

both_backends!(pages_are_html_with_a_strict_csp_that_forbids_framing);
fn pages_are_html_with_a_strict_csp_that_forbids_framing() {
    let server = Server::start();
    for path in ["/", "/some/page", "/login", "/files/123"] {
        let reply = server.anon().get(path).go().expect(200);
        let content_type = reply.header("content-type").expect("Content-Type");
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        let csp = reply
            .header("content-security-policy")
            .expect("Content-Security-Policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(
            reply.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert!(
            reply.text().to_lowercase().contains("<html"),
            "{path} is not the app page"
        );
    }
}

both_backends!(every_page_path_serves_the_same_app);
fn every_page_path_serves_the_same_app() {
    let server = Server::start();
    let root = server.anon().get("/").go().expect(200);
    let deep = server.anon().get("/some/page").go().expect(200);
    assert_eq!(root.body, deep.body);
}

both_backends!(the_page_loads_nothing_from_other_hosts);
fn the_page_loads_nothing_from_other_hosts() {
    let server = Server::start();
    let page = server.anon().get("/").go().expect(200).text();
    for needle in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !page.contains(needle),
            "the page loads something from elsewhere ({needle})"
        );
    }
}

both_backends!(pages_are_gzipped_when_asked_with_their_own_etag);
fn pages_are_gzipped_when_asked_with_their_own_etag() {
    let server = Server::start();
    let plain = server.anon().get("/").go().expect(200);
    assert_eq!(plain.header("content-encoding"), None);
    let packed = server
        .anon()
        .get("/")
        .header("accept-encoding", "br, gzip;q=0.8")
        .go()
        .expect(200);
    assert_eq!(packed.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(packed.header("vary").as_deref(), Some("Accept-Encoding"));
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&packed.body[..])
        .read_to_end(&mut unpacked)
        .expect("valid gzip");
    assert_eq!(unpacked, plain.body);
    assert_ne!(packed.header("etag"), plain.header("etag"));

    let refused = server
        .anon()
        .get("/")
        .header("accept-encoding", "gzip;q=0")
        .go()
        .expect(200);
    assert_eq!(refused.header("content-encoding"), None);
}

both_backends!(unchanged_pages_revalidate_to_304);
fn unchanged_pages_revalidate_to_304() {
    let server = Server::start();
    let first = server.anon().get("/").go().expect(200);
    let etag = first.header("etag").expect("ETag");
    assert_eq!(first.header("cache-control").as_deref(), Some("no-cache"));
    let again = server
        .anon()
        .get("/")
        .header("if-none-match", &etag)
        .go()
        .expect(304);
    assert!(again.body.is_empty());
    server
        .anon()
        .get("/")
        .header("if-none-match", "\"something-else\"")
        .go()
        .expect(200);
}

both_backends!(every_asset_is_served_with_its_type);
fn every_asset_is_served_with_its_type() {
    let server = Server::start();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let mut checked = 0;
    for path in files_below(&root) {
        let rel = path.strip_prefix(&root).expect("below assets/");
        let url = format!("/{}", rel.to_str().expect("utf-8 name"));
        let reply = server.anon().get(&url).go().expect(200);
        assert_eq!(
            reply.body,
            std::fs::read(&path).expect("read asset"),
            "{url}"
        );
        let content_type = reply.header("content-type").expect("Content-Type");
        let expected: &[&str] = match path.extension().and_then(|e| e.to_str()) {
            Some("js") => &["text/javascript", "application/javascript"],
            Some("css") => &["text/css"],
            Some("html") => &["text/html"],
            Some("svg") => &["image/svg+xml"],
            Some("png") => &["image/png"],
            _ => continue,
        };
        assert!(
            expected.iter().any(|e| content_type.starts_with(e)),
            "{url}: {content_type}"
        );
        checked += 1;
    }
    assert!(checked > 0, "no assets found under {}", root.display());
}

both_backends!(a_missing_asset_is_a_404_not_the_page);
fn a_missing_asset_is_a_404_not_the_page() {
    let server = Server::start();
    server
        .anon()
        .get("/js/no-such-module.js")
        .go()
        .expect_error(404, "not_found");
    server.anon().get("/admin/users/0123").go().expect(200);
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read assets/").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_below(&path));
        } else {
            found.push(path);
        }
    }
    found
}
