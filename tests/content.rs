//! Sending a file's bytes: whole, HEAD, ranges, conditional requests, download names,
//! the inline policy for types a browser would run, and `last_downloaded_at`.

mod common;

use common::*;
use serde_json::Value;

/// 100 bytes that differ from each other, so ranges are easy to check.
fn sample() -> Vec<u8> {
    (0..100u8).collect()
}

/// A server, a user and one uploaded file: (server, client, file, content path).
fn with_file(name: &str, bytes: &[u8]) -> (Server, Client, Value, String) {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let file = upload_put(&alice, name, bytes);
    let path = format!("/api/files/{}/content", id(&file));
    (server, alice, file, path)
}

fn last_downloaded(client: &Client, file: &Value) -> Value {
    client
        .get(&format!("/api/files/{}", id(file)))
        .go()
        .expect(200)
        .json()["file"]["last_downloaded_at"]
        .clone()
}

both_backends!(get_content_returns_the_exact_bytes_with_download_headers);
fn get_content_returns_the_exact_bytes_with_download_headers() {
    let bytes = sample();
    let (_server, alice, _file, path) = with_file("data.bin", &bytes);
    let reply = alice.get(&path).go().expect(200);
    assert_eq!(reply.body, bytes);
    assert_eq!(reply.header("content-length").as_deref(), Some("100"));
    assert_eq!(reply.header("accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(
        reply.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(
        reply.header("etag").is_some_and(|e| !e.is_empty()),
        "{reply:?}"
    );
    let modified = reply.header("last-modified").expect("Last-Modified");
    assert!(
        httpdate::parse_http_date(&modified).is_ok(),
        "bad Last-Modified {modified}"
    );
    let disposition = reply.disposition();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("data.bin"), "{disposition}");
}

both_backends!(large_content_round_trips);
fn large_content_round_trips() {
    let bytes: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
    let (_server, alice, file, path) = with_file("big.bin", &bytes);
    assert_eq!(file["size"], 5_000_000);
    let reply = alice.get(&path).go().expect(200);
    assert!(reply.body == bytes, "5 MB download differs from the upload");
}

both_backends!(head_content_has_the_length_and_no_body_and_does_not_count_as_a_download);
fn head_content_has_the_length_and_no_body_and_does_not_count_as_a_download() {
    let (_server, alice, file, path) = with_file("data.bin", &sample());
    let reply = alice.head(&path).go().expect(200);
    assert_eq!(reply.header("content-length").as_deref(), Some("100"));
    assert!(reply.header("etag").is_some());
    assert!(reply.body.is_empty());
    assert_eq!(last_downloaded(&alice, &file), Value::Null);
}

both_backends!(last_downloaded_at_is_null_until_the_first_get);
fn last_downloaded_at_is_null_until_the_first_get() {
    let (_server, alice, file, path) = with_file("data.bin", &sample());
    assert_eq!(file["last_downloaded_at"], Value::Null);
    assert_eq!(last_downloaded(&alice, &file), Value::Null);
    alice.get(&path).go().expect(200);
    let when = last_downloaded(&alice, &file);
    assert_time(&when);
    assert!(
        when.as_str() >= file["uploaded_at"].as_str(),
        "downloaded {when} before upload {}",
        file["uploaded_at"]
    );
}

both_backends!(last_downloaded_at_follows_downloads_to_the_second);
fn last_downloaded_at_follows_downloads_to_the_second() {
    let (_server, alice, file, path) = with_file("data.bin", &sample());
    let started = std::time::Instant::now();
    alice.get(&path).go().expect(200);
    let first = last_downloaded(&alice, &file);
    assert_time(&first);
    // Within the second: the recorded time stands (no write per download of a busy file).
    alice.get(&path).go().expect(200);
    let again = last_downloaded(&alice, &file);
    if started.elapsed() < std::time::Duration::from_millis(900) {
        assert_eq!(again, first);
    }
    // After it, a download moves it on.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    alice.get(&path).go().expect(200);
    let later = last_downloaded(&alice, &file);
    assert_time(&later);
    assert!(
        later.as_str() > first.as_str(),
        "{later} is not after {first}"
    );
}

both_backends!(range_first_ten_bytes_is_206_with_content_range);
fn range_first_ten_bytes_is_206_with_content_range() {
    let bytes = sample();
    let (_server, alice, file, path) = with_file("data.bin", &bytes);
    let reply = alice
        .get(&path)
        .header("range", "bytes=0-9")
        .go()
        .expect(206);
    assert_eq!(reply.body, &bytes[0..10]);
    assert_eq!(
        reply.header("content-range").as_deref(),
        Some("bytes 0-9/100")
    );
    assert_eq!(reply.header("content-length").as_deref(), Some("10"));
    // A partial GET is a download too.
    assert_time(&last_downloaded(&alice, &file));
}

both_backends!(range_suffix_returns_the_last_bytes);
fn range_suffix_returns_the_last_bytes() {
    let bytes = sample();
    let (_server, alice, _file, path) = with_file("data.bin", &bytes);
    let reply = alice
        .get(&path)
        .header("range", "bytes=-5")
        .go()
        .expect(206);
    assert_eq!(reply.body, &bytes[95..]);
    assert_eq!(
        reply.header("content-range").as_deref(),
        Some("bytes 95-99/100")
    );
}

both_backends!(range_open_ended_returns_the_rest);
fn range_open_ended_returns_the_rest() {
    let bytes = sample();
    let (_server, alice, _file, path) = with_file("data.bin", &bytes);
    let reply = alice
        .get(&path)
        .header("range", "bytes=5-")
        .go()
        .expect(206);
    assert_eq!(reply.body, &bytes[5..]);
    assert_eq!(
        reply.header("content-range").as_deref(),
        Some("bytes 5-99/100")
    );
    // An end past the size is clamped, not refused.
    let reply = alice
        .get(&path)
        .header("range", "bytes=90-500")
        .go()
        .expect(206);
    assert_eq!(reply.body, &bytes[90..]);
    assert_eq!(
        reply.header("content-range").as_deref(),
        Some("bytes 90-99/100")
    );
}

both_backends!(range_beyond_the_size_is_416_with_the_size);
fn range_beyond_the_size_is_416_with_the_size() {
    let (_server, alice, _file, path) = with_file("data.bin", &sample());
    for range in ["bytes=100-", "bytes=1000-2000"] {
        let reply = alice.get(&path).header("range", range).go();
        reply.expect_error(416, "range_not_satisfiable");
        assert_eq!(
            reply.header("content-range").as_deref(),
            Some("bytes */100"),
            "{range}"
        );
        assert_eq!(
            reply.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
    }
}

both_backends!(if_none_match_with_the_etag_is_304_without_a_body);
fn if_none_match_with_the_etag_is_304_without_a_body() {
    let (_server, alice, file, path) = with_file("data.bin", &sample());
    let etag = alice
        .head(&path)
        .go()
        .expect(200)
        .header("etag")
        .expect("ETag");
    let reply = alice
        .get(&path)
        .header("if-none-match", &etag)
        .go()
        .expect(304);
    assert!(reply.body.is_empty());
    assert_eq!(reply.header("etag").as_deref(), Some(etag.as_str()));
    assert_eq!(
        last_downloaded(&alice, &file),
        Value::Null,
        "a 304 is not a download"
    );
    // Another tag gets the bytes.
    let reply = alice
        .get(&path)
        .header("if-none-match", "\"something-else\"")
        .go()
        .expect(200);
    assert_eq!(reply.body, sample());
}

both_backends!(cyrillic_name_gets_rfc6266_filename_star_and_an_ascii_fallback);
fn cyrillic_name_gets_rfc6266_filename_star_and_an_ascii_fallback() {
    let name = "Отчёт за май.txt";
    let (_server, alice, _file, path) = with_file(name, b"hello");
    let reply = alice.get(&path).go().expect(200);
    let disposition = reply.disposition();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let encoded = disposition
        .split("filename*=UTF-8''")
        .nth(1)
        .unwrap_or_else(|| panic!("no filename*=UTF-8'' in {disposition}"))
        .split(';')
        .next()
        .expect("value")
        .trim();
    let decoded = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .expect("utf-8");
    assert_eq!(decoded, name, "{disposition}");
    let fallback = disposition
        .split("filename=\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no ASCII filename=\"…\" fallback in {disposition}"));
    assert!(fallback.is_ascii(), "{disposition}");
}

both_backends!(inline_html_is_served_as_plain_text_in_a_sandbox);
fn inline_html_is_served_as_plain_text_in_a_sandbox() {
    let page = b"<html><script>alert(document.domain)</script></html>";
    let (_server, alice, _file, path) = with_file("page.html", page);
    let reply = alice.get(&format!("{path}?inline=1")).go().expect(200);
    assert_eq!(reply.body, page);
    let content_type = reply.header("content-type").expect("Content-Type");
    assert!(
        content_type.starts_with("text/plain"),
        "HTML served inline as {content_type}"
    );
    let csp = reply
        .header("content-security-policy")
        .expect("Content-Security-Policy");
    assert!(csp.contains("sandbox"), "{csp}");
    assert_eq!(
        reply.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
}

both_backends!(inline_svg_is_served_as_plain_text_in_a_sandbox);
fn inline_svg_is_served_as_plain_text_in_a_sandbox() {
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let (_server, alice, _file, path) = with_file("logo.svg", svg);
    let reply = alice.get(&format!("{path}?inline=1")).go().expect(200);
    assert_eq!(reply.body, svg);
    let content_type = reply.header("content-type").expect("Content-Type");
    assert!(
        content_type.starts_with("text/plain"),
        "SVG served inline as {content_type}"
    );
    let csp = reply
        .header("content-security-policy")
        .expect("Content-Security-Policy");
    assert!(csp.contains("sandbox"), "{csp}");
}

both_backends!(html_without_inline_is_an_attachment);
fn html_without_inline_is_an_attachment() {
    let (_server, alice, _file, path) = with_file("page.html", b"<p>hi</p>");
    let reply = alice.get(&path).go().expect(200);
    let disposition = reply.disposition();
    assert!(disposition.starts_with("attachment"), "{disposition}");
}

both_backends!(inline_png_is_served_inline_as_an_image);
fn inline_png_is_served_inline_as_an_image() {
    let (_server, alice, _file, path) = with_file("pixel.png", TINY_PNG);
    let reply = alice.get(&format!("{path}?inline=1")).go().expect(200);
    assert_eq!(reply.body, TINY_PNG);
    assert_eq!(reply.header("content-type").as_deref(), Some("image/png"));
    let disposition = reply.disposition();
    assert!(disposition.starts_with("inline"), "{disposition}");
}

both_backends!(nosniff_is_on_every_response_including_errors);
fn nosniff_is_on_every_response_including_errors() {
    let (server, alice, _file, path) = with_file("data.bin", &sample());
    let anon = server.anon();
    let replies = [
        alice.get(&path).go(),
        alice.head(&path).go(),
        alice.get(&path).header("range", "bytes=0-0").go(),
        alice.get(&path).header("range", "bytes=500-").go(),
        alice.get("/api/files").go(),
        alice
            .get(&format!("/api/files/{}/content", random_id()))
            .go(),
        anon.get(&path).go(),
        anon.get("/api/health").go(),
        anon.get("/").go(),
        anon.get("/api/nothing-here").go(),
        anon.delete("/api/health").go(),
        anon.get("/s/unknown").go(),
        anon.post("/api/auth/login").body("{").go(),
    ];
    for reply in replies {
        assert_eq!(
            reply.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{reply:?}"
        );
    }
}

both_backends!(content_whose_bytes_vanished_is_410_missing);
fn content_whose_bytes_vanished_is_410_missing() {
    let (server, alice, file, path) = with_file("data.bin", &sample());
    std::fs::remove_file(server.blob_path(file["owner_id"].as_str().expect("owner"), &id(&file)))
        .expect("rm");
    alice.get(&path).go().expect_error(410, "missing");
}
