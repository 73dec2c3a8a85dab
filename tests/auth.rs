//! Registration, login, logout, tokens, password changes, sessions and login throttling.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

both_backends!(register_returns_201_with_exactly_the_user_fields_and_no_token);
fn register_returns_201_with_exactly_the_user_fields_and_no_token() {
    let server = Server::start();
    let reply = server
        .anon()
        .post("/api/auth/register")
        .json(&registration("alice"))
        .go()
        .expect(201);
    let body = reply.json();
    assert_keys(&body, &["user"]);
    let user = &body["user"];
    assert_user(user);
    assert_eq!(user["username"], "alice");
    assert_eq!(user["full_name"], "alice Example");
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["is_admin"], false);
    assert_eq!(user["avatar_url"], serde_json::Value::Null);
}

both_backends!(first_web_registration_does_not_make_an_admin);
fn first_web_registration_does_not_make_an_admin() {
    let server = Server::start();
    let (user, alice) = user(&server, "alice");
    assert_eq!(user["is_admin"], false);
    assert_eq!(alice.me()["is_admin"], false);
    alice
        .get("/api/admin/users")
        .go()
        .expect_error(403, "forbidden");
}

both_backends!(register_names_each_bad_field);
fn register_names_each_bad_field() {
    let server = Server::start();
    let cases: &[(&str, serde_json::Value)] = &[
        ("username", json!("1alice")),
        ("username", json!("abc")),
        ("username", json!("alice_b")),
        ("username", json!("a234567890123456789012")),
        ("username", json!("алиса")),
        ("full_name", json!("")),
        ("full_name", json!("x".repeat(151))),
        ("email", json!("not-an-email")),
        ("email", json!("")),
        ("password", json!("Sh-1")),
        ("password", json!("no-upper-case-1")),
        ("password", json!("No-digits-here")),
        ("password", json!("NoSpecial123")),
        ("password", json!("")),
    ];
    for (field, value) in cases {
        let mut body = registration("alice");
        body[*field] = value.clone();
        let reply = server.anon().post("/api/auth/register").json(&body).go();
        reply.expect_invalid(field);
    }
    // None of them created the account: the valid registration still works.
    register(&server, "alice");
}

both_backends!(register_with_several_bad_fields_names_them_all);
fn register_with_several_bad_fields_names_them_all() {
    let server = Server::start();
    let body = json!({"username": "x", "full_name": "X", "email": "nope", "password": "weak"});
    let reply = server.anon().post("/api/auth/register").json(&body).go();
    let error = reply.expect_error(400, "invalid");
    let fields = error["fields"]
        .as_object()
        .unwrap_or_else(|| panic!("no `fields` in {error}"));
    for name in ["username", "email", "password"] {
        assert!(
            fields[name].as_str().is_some_and(|m| !m.is_empty()),
            "{name} missing in {error}"
        );
    }
    assert!(
        !fields.contains_key("full_name"),
        "full_name was fine: {error}"
    );
    let first = error["field"].as_str().expect("field");
    assert!(
        fields.contains_key(first),
        "`field` {first} is not among `fields`: {error}"
    );
}

both_backends!(register_with_no_fields_names_all_four);
fn register_with_no_fields_names_all_four() {
    let server = Server::start();
    let reply = server
        .anon()
        .post("/api/auth/register")
        .json(&json!({}))
        .go();
    let error = reply.expect_error(400, "invalid");
    let fields = error["fields"]
        .as_object()
        .unwrap_or_else(|| panic!("no `fields` in {error}"));
    for name in ["username", "full_name", "email", "password"] {
        assert!(fields.contains_key(name), "{name} missing in {error}");
    }
}

both_backends!(duplicate_username_in_other_case_is_409_taken);
fn duplicate_username_in_other_case_is_409_taken() {
    let server = Server::start();
    register(&server, "alice");
    let mut body = registration("ALICE");
    body["email"] = json!("other@example.com");
    let reply = server.anon().post("/api/auth/register").json(&body).go();
    let error = reply.expect_error(409, "taken");
    assert_eq!(error["field"], "username");
}

both_backends!(duplicate_email_in_other_case_is_409_taken);
fn duplicate_email_in_other_case_is_409_taken() {
    let server = Server::start();
    register(&server, "alice");
    let mut body = registration("bobby");
    body["email"] = json!("Alice@Example.COM");
    let reply = server.anon().post("/api/auth/register").json(&body).go();
    let error = reply.expect_error(409, "taken");
    assert_eq!(error["field"], "email");
}

both_backends!(emails_differing_only_in_the_case_of_non_ascii_letters_are_different);
/// Case-insensitive means ASCII case, on every backend. SQLite's `NOCASE` folds only A–Z;
/// PostgreSQL's `lower()` folds by the database's locale, so on PostgreSQL the answer
/// would depend on how the cluster was created (409 under `C.UTF-8`, 201 under `C`). One
/// product, one answer: the one that needs no locale.
fn emails_differing_only_in_the_case_of_non_ascii_letters_are_different() {
    let server = Server::start();
    let mut first = registration("alice");
    first["email"] = json!("ÉLISE@example.com");
    server
        .anon()
        .post("/api/auth/register")
        .json(&first)
        .go()
        .expect(201);
    let mut second = registration("bobby");
    second["email"] = json!("élise@example.com");
    let reply = server.anon().post("/api/auth/register").json(&second).go();
    assert_eq!(reply.status, 201, "{reply:?}");
    // ASCII letters still fold.
    let mut third = registration("carol");
    third["email"] = json!("éLISE@EXAMPLE.COM");
    let reply = server.anon().post("/api/auth/register").json(&third).go();
    assert_eq!(reply.expect_error(409, "taken")["field"], "email");
}

both_backends!(usernames_keep_their_spelling_and_log_in_in_any_case);
fn usernames_keep_their_spelling_and_log_in_in_any_case() {
    let server = Server::start();
    let user = register(&server, "AliceB");
    assert_eq!(user["username"], "AliceB");
    let token = login(&server, "aliceb", PASSWORD);
    assert_eq!(server.client(&token).me()["username"], "AliceB");
}

both_backends!(closed_registration_is_403_registration_closed);
fn closed_registration_is_403_registration_closed() {
    let server = Server::start_with(&["--registration", "closed"]);
    let reply = server
        .anon()
        .post("/api/auth/register")
        .json(&registration("alice"))
        .go();
    reply.expect_error(403, "registration_closed");
    // Nobody was created: logging in as that name fails.
    let body = json!({"username": "alice", "password": PASSWORD});
    server
        .anon()
        .post("/api/auth/login")
        .json(&body)
        .go()
        .expect_error(401, "invalid_credentials");
}

both_backends!(closed_registration_still_lets_cli_created_users_log_in);
fn closed_registration_still_lets_cli_created_users_log_in() {
    let server = Server::start_with(&["--registration", "closed"]);
    server.cli_ok(
        &["user", "create", "carol", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    let token = login(&server, "carol", PASSWORD);
    assert_eq!(server.client(&token).me()["username"], "carol");
}

both_backends!(login_returns_a_token_and_the_user);
fn login_returns_a_token_and_the_user() {
    let server = Server::start();
    register(&server, "alice");
    let body = json!({"username": "alice", "password": PASSWORD});
    let reply = server
        .anon()
        .post("/api/auth/login")
        .json(&body)
        .go()
        .expect(200);
    let body = reply.json();
    assert_keys(&body, &["token", "user"]);
    let token = body["token"].as_str().expect("token");
    // 32 random bytes in base64url: at least 43 characters from that alphabet.
    assert!(token.len() >= 43, "token too short: {token}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token}"
    );
    assert_user(&body["user"]);
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(server.client(token).me()["username"], "alice");
}

both_backends!(two_logins_get_different_tokens);
fn two_logins_get_different_tokens() {
    let server = Server::start();
    register(&server, "alice");
    let a = login(&server, "alice", PASSWORD);
    let b = login(&server, "alice", PASSWORD);
    assert_ne!(a, b);
}

both_backends!(wrong_password_and_unknown_user_get_identical_401_invalid_credentials);
fn wrong_password_and_unknown_user_get_identical_401_invalid_credentials() {
    let server = Server::start();
    register(&server, "alice");
    let wrong = json!({"username": "alice", "password": "Wrong-pass-1"});
    let unknown = json!({"username": "nobody", "password": PASSWORD});
    let a = server.anon().post("/api/auth/login").json(&wrong).go();
    let b = server.anon().post("/api/auth/login").json(&unknown).go();
    a.expect_error(401, "invalid_credentials");
    b.expect_error(401, "invalid_credentials");
    assert_eq!(a.body, b.body, "the two failures must be indistinguishable");
}

both_backends!(token_and_bearer_schemes_both_work_and_others_do_not);
fn token_and_bearer_schemes_both_work_and_others_do_not() {
    let server = Server::start();
    register(&server, "alice");
    let token = login(&server, "alice", PASSWORD);
    let me = server
        .client_with_auth(&format!("Token {token}"))
        .get("/api/me")
        .go()
        .expect(200);
    assert_eq!(me.json()["user"]["username"], "alice");
    let me = server
        .client_with_auth(&format!("Bearer {token}"))
        .get("/api/me")
        .go()
        .expect(200);
    assert_eq!(me.json()["user"]["username"], "alice");
    for bad in [
        format!("Basic {token}"),
        token.clone(),
        "Token ".to_string(),
        "Token not-a-real-token".to_string(),
    ] {
        server
            .client_with_auth(&bad)
            .get("/api/me")
            .go()
            .expect_error(401, "unauthorized");
    }
}

both_backends!(logout_is_204_and_kills_the_token);
fn logout_is_204_and_kills_the_token() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    alice.post("/api/auth/logout").go().expect(204);
    alice.get("/api/me").go().expect_error(401, "unauthorized");
    alice
        .post("/api/auth/logout")
        .go()
        .expect_error(401, "unauthorized");
}

both_backends!(logout_ends_only_that_session);
fn logout_ends_only_that_session() {
    let server = Server::start();
    register(&server, "alice");
    let one = server.client(&login(&server, "alice", PASSWORD));
    let two = server.client(&login(&server, "alice", PASSWORD));
    one.post("/api/auth/logout").go().expect(204);
    one.get("/api/me").go().expect_error(401, "unauthorized");
    assert_eq!(two.me()["username"], "alice");
}

both_backends!(password_change_ends_other_sessions_keeps_this_one_and_the_new_password_works);
fn password_change_ends_other_sessions_keeps_this_one_and_the_new_password_works() {
    let server = Server::start();
    register(&server, "alice");
    let this = server.client(&login(&server, "alice", PASSWORD));
    let other = server.client(&login(&server, "alice", PASSWORD));
    let body = json!({"current_password": PASSWORD, "new_password": "Brand-new-pass-2"});
    this.post("/api/me/password").json(&body).go().expect(204);

    assert_eq!(this.me()["username"], "alice");
    other.get("/api/me").go().expect_error(401, "unauthorized");
    let old = json!({"username": "alice", "password": PASSWORD});
    server
        .anon()
        .post("/api/auth/login")
        .json(&old)
        .go()
        .expect_error(401, "invalid_credentials");
    login(&server, "alice", "Brand-new-pass-2");
}

both_backends!(wrong_current_password_is_400_naming_current_password);
fn wrong_current_password_is_400_naming_current_password() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let body = json!({"current_password": "Wrong-pass-1", "new_password": "Brand-new-pass-2"});
    alice
        .post("/api/me/password")
        .json(&body)
        .go()
        .expect_invalid("current_password");
    // Not a dead session: the token still works, and the password did not change.
    assert_eq!(alice.me()["username"], "alice");
    login(&server, "alice", PASSWORD);
}

both_backends!(weak_new_password_is_400_naming_new_password);
fn weak_new_password_is_400_naming_new_password() {
    let server = Server::start();
    let (_, alice) = user(&server, "alice");
    let body = json!({"current_password": PASSWORD, "new_password": "weak"});
    alice
        .post("/api/me/password")
        .json(&body)
        .go()
        .expect_invalid("new_password");
    login(&server, "alice", PASSWORD);
}

both_backends!(login_backs_off_per_username_with_retry_after);
fn login_backs_off_per_username_with_retry_after() {
    let server = Server::start();
    register(&server, "alice");
    register(&server, "bobby");
    let wrong = json!({"username": "alice", "password": "Wrong-pass-1"});
    // Five free failures (the default), and a sixth that is judged but costs a wait.
    for attempt in 1..=6 {
        let reply = server.anon().post("/api/auth/login").json(&wrong).go();
        assert_eq!(
            reply.status, 401,
            "attempt {attempt} should still be judged: {reply:?}"
        );
    }
    let reply = server.anon().post("/api/auth/login").json(&wrong).go();
    reply.expect_error(429, "too_many_requests");
    let retry: u64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert_eq!(retry, 1, "the default first wait");
    // While throttled even the right password is refused, or guessing would go on.
    let right = json!({"username": "alice", "password": PASSWORD});
    server
        .anon()
        .post("/api/auth/login")
        .json(&right)
        .go()
        .expect_error(429, "too_many_requests");
    // Another account from the same address is not affected.
    login(&server, "bobby", PASSWORD);
}

both_backends!(idle_session_expires_after_session_idle);
fn idle_session_expires_after_session_idle() {
    let server = Server::start_with(&["--session-idle", "2s"]);
    let (_, alice) = user(&server, "alice");
    assert_eq!(alice.me()["username"], "alice");
    std::thread::sleep(Duration::from_millis(3500));
    alice.get("/api/me").go().expect_error(401, "unauthorized");
}

both_backends!(busy_session_still_ends_at_session_max_age);
fn busy_session_still_ends_at_session_max_age() {
    let server = Server::start_with(&["--session-max-age", "3s"]);
    let (_, alice) = user(&server, "alice");
    let started = Instant::now();
    // Busy all along, so idle expiry is not what ends it.
    while started.elapsed() < Duration::from_millis(2000) {
        alice.get("/api/me").go().expect(200);
        std::thread::sleep(Duration::from_millis(300));
    }
    while started.elapsed() < Duration::from_millis(4000) {
        let _ = alice.get("/api/me").go();
        std::thread::sleep(Duration::from_millis(300));
    }
    alice.get("/api/me").go().expect_error(401, "unauthorized");
}
