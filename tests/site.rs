//! What is served outside the JSON API: the health check and the web interface's pages.

mod common;

use common::*;

#[test]
fn health_reports_ok_sqlite_and_the_version() {
    let server = Server::start();
    let reply = server.anon().get("/api/health").go().expect(200);
    let body = reply.json();
    assert_keys(&body, &["status", "database", "version"]);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "sqlite");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{reply:?}"
    );
}

#[test]
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

#[test]
fn every_page_path_serves_the_same_app() {
    let server = Server::start();
    let root = server.anon().get("/").go().expect(200);
    let deep = server.anon().get("/some/page").go().expect(200);
    assert_eq!(root.body, deep.body);
}

#[test]
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
