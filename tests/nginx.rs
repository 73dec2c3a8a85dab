//! The shipped nginx site, `packaging/nginx/mycloud.conf`, in front of a real mycloud
//! started with `--trust-proxy`, talked to over TLS with curl: what a VPS install does,
//! on high ports with a throwaway certificate (see `nginx/proxy.rs` for exactly what is
//! rewritten and why). Each test checks one promise of the site in a way that fails when
//! the directive that keeps it is removed.
//!
//! Without nginx, openssl or curl the tests pass after a loud SKIPPED line (so `cargo test`
//! works on any machine); with `CI=true` they fail instead.

mod common;
#[path = "nginx/proxy.rs"]
mod proxy;

use proxy::*;

/// Plain HTTP only redirects, to the same path on HTTPS at the configured name, except
/// certbot's challenge files: a renewal over HTTP must find them.
#[test]
fn plain_http_redirects_to_https_except_acme_challenges() {
    let Some(proxy) = Proxy::start() else { return };

    let reply = proxy.run(&[&proxy.http("/api/files?x=1")]).expect(301);
    assert_eq!(
        reply.header("location"),
        Some(format!("https://{DOMAIN}/api/files?x=1").as_str()),
        "{reply:?}"
    );
    // Whatever host the client claims, it is sent to the configured name only.
    let reply = proxy
        .run(&["-H", "Host: evil.example", &proxy.http("/")])
        .expect(301);
    assert_eq!(
        reply.header("location"),
        Some(format!("https://{DOMAIN}/").as_str()),
        "{reply:?}"
    );
    // Nothing reaches mycloud over plain HTTP, where a token would travel in clear.
    assert!(
        !proxy.server.log().contains("GET /api/files "),
        "the plain HTTP request reached mycloud:\n{}",
        proxy.server.log()
    );

    let challenge = proxy.webroot.join(".well-known/acme-challenge");
    std::fs::create_dir_all(&challenge).expect("challenge dir");
    std::fs::write(challenge.join("Xy-12_token"), "Xy-12_token.key-auth").expect("token file");
    let reply = proxy
        .run(&[&proxy.http("/.well-known/acme-challenge/Xy-12_token")])
        .expect(200);
    assert_eq!(reply.body, b"Xy-12_token.key-auth", "{reply:?}");
}

/// A 256 MiB upload needs `client_max_body_size 0` to be accepted at all, reaches mycloud
/// while the client is still sending (`proxy_request_buffering off`), and comes back byte
/// for byte while mycloud sends no faster than the client reads (`proxy_buffering off`).
#[test]
fn a_big_file_streams_up_and_down_unbuffered_and_unchanged() {
    let Some(proxy) = Proxy::start() else { return };
    let token = proxy.account("alice");
    let mib = 256;

    let file = proxy.upload_holding_back(&token, "big.bin", mib, Framing::Length);
    assert_eq!(file["size"], (mib * MIB) as u64, "{file}");

    let id = file["id"].as_str().expect("file id");
    proxy.download_pausing(&token, id, mib);
}

/// A body without a length (curl or a script piping into it) streams too: nginx passes
/// chunks on unbuffered only to an HTTP/1.1 upstream (`proxy_http_version 1.1`).
#[test]
fn a_chunked_upload_streams_through_too() {
    let Some(proxy) = Proxy::start() else { return };
    let token = proxy.account("bobby");
    let mib = 32;

    let file = proxy.upload_holding_back(&token, "piped.bin", mib, Framing::Chunked);
    let owner = file["owner_id"].as_str().expect("owner id");
    let id = file["id"].as_str().expect("file id");
    assert_pattern_file(&proxy.server.blob_path(owner, id), mib);
}

/// An upload mycloud refuses before reading it (no token here) gets mycloud's own answer
/// through nginx, over HTTP/2 and HTTP/1.1, not a 502 from mycloud closing early.
#[test]
fn a_refused_upload_gets_mycloud_s_answer() {
    let Some(proxy) = Proxy::start() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let body = dir.path().join("body");
    // Sparse: 64 MiB on the wire, nothing on disk.
    std::fs::File::create(&body)
        .and_then(|f| f.set_len(64 * MIB as u64))
        .expect("make the body");
    let body = body.to_str().expect("UTF-8 path");
    let url = proxy.https("/api/files?name=refused.bin");
    for version in ["--http2", "--http1.1"] {
        let reply = proxy
            .run(&[version, "-T", body, "-H", "Authorization: Token nope", &url])
            .expect(401);
        assert_eq!(
            reply.json()["error"]["code"],
            "unauthorized",
            "{version}: {reply:?}"
        );
    }
    proxy.server.assert_tmp_empty();
}

/// With `--trust-proxy` mycloud takes the client IP from `X-Forwarded-For`, so nginx must
/// set it to the peer it sees and drop what the client sent. The client connects from
/// 127.0.0.2 while nginx reaches mycloud from 127.0.0.1, so the IP mycloud stores with the
/// session tells which one it got: the peer (right), nginx (header not set or not
/// honoured) or the client's forgery (header passed through).
#[test]
fn mycloud_sees_the_client_address_not_a_forged_forwarded_for() {
    let Some(proxy) = Proxy::start() else { return };
    proxy.register("carol");
    proxy.login(
        "carol",
        &[
            "--interface",
            "127.0.0.2",
            "-H",
            "X-Forwarded-For: 203.0.113.9",
        ],
    );

    assert_eq!(
        proxy.server.query("SELECT ip FROM sessions"),
        "127.0.0.2",
        "the IP mycloud recorded for the login"
    );
}

/// Share links say `https://` (`X-Forwarded-Proto`) and the host the client asked for
/// (`Host`), so the link mycloud hands out works exactly as given. This runs without
/// `--public-url`, so nothing but the forwarded headers can make it right.
#[test]
fn share_links_are_https_and_work_as_given() {
    let Some(proxy) = Proxy::start() else { return };
    let token = proxy.account("dave");
    let bytes = b"shared through nginx\n";
    let file = proxy.put_bytes(&token, "note.txt", bytes);
    let id = file["id"].as_str().expect("file id");

    let auth = format!("Authorization: Token {token}");
    let url = proxy.https(&format!("/api/files/{id}/share"));
    let reply = proxy.run(&["-X", "POST", "-H", &auth, &url]).expect(200);
    let share_url = reply.json()["file"]["share_url"]
        .as_str()
        .expect("share_url")
        .to_string();
    assert!(
        share_url.starts_with(&format!("https://{DOMAIN}/s/")),
        "share link {share_url}"
    );

    // Port 443, as the link says: the test's curl maps it to nginx's port.
    let reply = proxy.run(&[&share_url]).expect(200);
    assert_eq!(reply.body, bytes);
}

/// nginx keeps its connections to mycloud open and reuses them (`keepalive` in the
/// upstream, HTTP/1.1 and an empty `Connection` header): five requests, one connection,
/// none closed.
#[test]
fn connections_to_mycloud_are_reused() {
    let Some(proxy) = Proxy::start() else { return };
    let before = proxy.upstream_sockets();
    for _ in 0..5 {
        proxy.run(&[&proxy.https("/api/health")]).expect(200);
    }
    let after = proxy.upstream_sockets();
    let closed: Vec<_> = after.closed.difference(&before.closed).collect();
    assert_eq!(
        (after.open, closed.len()),
        (1, 0),
        "(open, closed) connections between nginx and mycloud after five requests: \
         {after:?}, closed before: {before:?}"
    );
}

/// HSTS on every HTTPS reply, errors included; HTTP/2; TLS 1.2 only with the listed
/// ECDHE-GCM/ChaCha suites (Debian's nginx.conf would also allow CBC suites and TLS 1.0).
#[test]
fn every_https_reply_has_hsts_and_tls_is_modern() {
    let Some(proxy) = Proxy::start() else { return };

    for (path, status) in [("/api/health", 200), ("/api/me", 401)] {
        let reply = proxy.run(&[&proxy.https(path)]).expect(status);
        assert_eq!(reply.status_line, format!("HTTP/2 {status}"), "{reply:?}");
        let hsts = reply
            .header("strict-transport-security")
            .unwrap_or_else(|| panic!("no HSTS on {path}: {reply:?}"));
        let max_age: u64 = hsts
            .strip_prefix("max-age=")
            .and_then(|v| v.split(';').next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("HSTS without max-age: {hsts}"));
        assert!(max_age >= 365 * 24 * 3600, "HSTS max-age {max_age}");
    }

    let health = proxy.https("/api/health");
    let handshake = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-o", "/dev/null", &health]);
        proxy.try_run(&[], &all).status.success()
    };
    assert!(handshake(&["--tlsv1.3"]), "TLS 1.3 refused");
    let tls12 = ["--tlsv1.2", "--tls-max", "1.2", "--ciphers"];
    assert!(
        handshake(&[&tls12[..], &["ECDHE-ECDSA-AES128-GCM-SHA256"]].concat()),
        "TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256 refused"
    );
    assert!(
        !handshake(&[&tls12[..], &["ECDHE-ECDSA-AES128-SHA"]].concat()),
        "TLS 1.2 with a CBC suite (ECDHE-ECDSA-AES128-SHA) accepted"
    );
    // SECLEVEL=0: this curl's OpenSSL would not even offer TLS 1.1 otherwise. OpenSSL 3 on
    // the server side refuses it as well at its default security level, so this guards
    // the outcome more than the ssl_protocols line.
    let tls11 = [
        "--tlsv1.1",
        "--tls-max",
        "1.1",
        "--ciphers",
        "DEFAULT@SECLEVEL=0",
    ];
    assert!(!handshake(&tls11), "TLS 1.1 accepted");
}

/// A file whose type nginx would compress (Debian turns gzip on for text/html) still comes
/// as mycloud sent it: same bytes, length and strong ETag, and ranges work. Compressed on
/// the way, the length would go and the ETag turn weak, and a resumed download break.
#[test]
fn file_bytes_pass_untouched() {
    let Some(proxy) = Proxy::start() else { return };
    let token = proxy.account("erin");
    let html = "<!doctype html><p>hello, hello, hello</p>\n".repeat(50);
    let file = proxy.put_bytes(&token, "page.html", html.as_bytes());
    let id = file["id"].as_str().expect("file id");
    let auth = format!("Authorization: Token {token}");
    let url = proxy.https(&format!("/api/files/{id}/content"));

    let reply = proxy
        .run(&["-H", &auth, "-H", "Accept-Encoding: gzip", &url])
        .expect(200);
    assert_eq!(reply.header("content-encoding"), None, "{reply:?}");
    assert_eq!(
        reply.header("content-length"),
        Some(html.len().to_string().as_str())
    );
    assert!(
        reply.header("etag").is_some_and(|e| e.starts_with('"')),
        "no strong ETag: {reply:?}"
    );
    assert_eq!(reply.body, html.as_bytes());

    let reply = proxy
        .run(&["-H", &auth, "-H", "Range: bytes=5-14", &url])
        .expect(206);
    assert_eq!(reply.body, &html.as_bytes()[5..15]);
    assert_eq!(
        reply.header("content-range"),
        Some(format!("bytes 5-14/{}", html.len()).as_str())
    );
}
