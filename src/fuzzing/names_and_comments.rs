//! The `names_and_comments` fuzz target: the validators of what users type (file names,
//! comments, usernames, emails, full names, passwords) and the `Content-Disposition` value
//! a stored file name ends up in.

use super::{
    Disposition, FileName, comment, content_disposition, email, full_name, password, username,
};

/// Input: the text (invalid UTF-8 replaced, as any `&str` can reach the validators).
///
/// Checks: whatever a validator accepts has the shape its rule promises (a file name has no
/// `/`, `\` or control character and at most 255 bytes, …); no error message echoes input
/// that holds a control character; any name gives a header value of visible ASCII only, with
/// a fallback that cannot end its quotes and a `filename*` that decodes to the exact name.
pub fn check(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();

    check_message(s, FileName::parse(s).map(|name| check_file_name(s, &name)));
    check_message(s, username(s).map(|()| check_username(s)));
    check_message(s, email(s).map(|()| check_email(s)));
    check_message(s, full_name(s).map(|()| check_full_name(s)));
    check_message(s, comment(s).map(|()| check_comment(s)));
    check_message(s, password(s).map(|()| check_password(s)));
    for kind in [Disposition::Attachment, Disposition::Inline] {
        check_disposition(kind, s);
    }
}

/// A refusal never repeats the input: shown when the input holds a control character,
/// which no fixed message does.
fn check_message(s: &str, result: Result<(), String>) {
    if let Err(message) = result {
        assert!(!message.is_empty());
        if s.chars().any(char::is_control) {
            assert!(!message.contains(s), "{message:?} echoes the input");
        }
    }
}

fn check_file_name(s: &str, name: &FileName) {
    assert_eq!(name.as_str(), s, "kept exactly as given");
    assert!((1..=255).contains(&s.len()));
    assert!(!s.contains(['/', '\\']));
    assert!(!s.chars().any(char::is_control));
    assert!(s != "." && s != "..");
    assert!(!s.trim().is_empty());
}

fn check_username(s: &str) {
    assert!((4..=20).contains(&s.len()));
    assert!(s.starts_with(|c: char| c.is_ascii_alphabetic()));
    assert!(s.chars().all(|c| c.is_ascii_alphanumeric()));
}

fn check_email(s: &str) {
    assert!(s.len() <= 254);
    assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()));
    let (local, domain) = s.split_once('@').expect("an @");
    assert!(!domain.contains('@'));
    assert!((1..=64).contains(&local.len()));
    assert!(domain.contains('.'));
    assert!(domain.split('.').all(|l| (1..=63).contains(&l.len())));
}

fn check_full_name(s: &str) {
    assert!(!s.chars().any(char::is_control));
    assert!((1..=150).contains(&s.trim().chars().count()));
}

fn check_comment(s: &str) {
    assert!(s.chars().count() <= 1000);
    assert!(
        !s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    );
}

fn check_password(s: &str) {
    assert!((8..=1024).contains(&s.chars().count()));
    assert!(s.chars().any(char::is_uppercase));
    assert!(s.chars().any(|c| c.is_ascii_digit()));
    assert!(s.chars().any(|c| !c.is_alphanumeric()));
}

fn check_disposition(kind: Disposition, name: &str) {
    let value = content_disposition(kind, name);
    assert!(
        value.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "{value:?} is not visible ASCII"
    );
    let word = match kind {
        Disposition::Attachment => "attachment",
        Disposition::Inline => "inline",
    };
    if name.is_empty() {
        assert_eq!(value, word);
        return;
    }
    let rest = value
        .strip_prefix(word)
        .and_then(|v| v.strip_prefix("; filename=\""))
        .expect("filename first");
    // The fallback holds no quote, so the first one closes it.
    let (fallback, encoded) = rest
        .split_once('"')
        .and_then(|(f, e)| Some((f, e.strip_prefix("; filename*=UTF-8''")?)))
        .expect("then filename*");
    assert!(!fallback.contains(['\\', '%']));
    assert_eq!(fallback.chars().count(), name.chars().count());
    assert!(!encoded.contains([';', ' ', '"', '\'', ',']));
    assert_eq!(
        percent_decode(encoded),
        name.as_bytes(),
        "filename* is the exact name"
    );
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("two hex digits");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
