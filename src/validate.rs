//! The rules for user input (file names, account fields, comments), each failing with a
//! message the user can act on. Messages are predicates ("must …") meant to follow the
//! field's name, and never echo the input back, so they are safe to log and display.

use std::fmt;

/// A file name that passed [`FileName::parse`]; the only way to build one, so a handler
/// cannot store a name it forgot to check. Kept exactly as given (no trimming or
/// normalisation): it is the user's name for their file, and it never touches the disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    const MAX_BYTES: usize = 255;

    /// 1–255 bytes, no `/`, `\` or control characters (NUL, C0, DEL, C1), not `.` or
    /// `..`, not only whitespace. 255 bytes is what common file systems allow, so a
    /// downloaded file can keep its name.
    pub fn parse(s: &str) -> Result<FileName, String> {
        if s.is_empty() {
            return Err("must not be empty".to_string());
        }
        if s.len() > Self::MAX_BYTES {
            return Err(format!(
                "must be at most {} bytes of UTF-8 (this one is {}; letters outside \
                 Latin take 2 to 4 bytes each)",
                Self::MAX_BYTES,
                s.len()
            ));
        }
        if s.contains(['/', '\\']) {
            return Err("must not contain / or \\".to_string());
        }
        if s.chars().any(char::is_control) {
            return Err(
                "must not contain control characters such as line breaks or tabs".to_string(),
            );
        }
        if s == "." || s == ".." {
            return Err("must not be . or ..".to_string());
        }
        if s.chars().all(char::is_whitespace) {
            return Err("must contain something other than spaces".to_string());
        }
        Ok(FileName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `^[A-Za-z][A-Za-z0-9]{3,19}$`: ASCII only, so names cannot impersonate each other
/// with look-alike letters from other scripts.
pub fn username(s: &str) -> Result<(), String> {
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("must start with a Latin letter (A–Z or a–z)".to_string());
    }
    if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("must contain only Latin letters (A–Z, a–z) and digits (0–9)".to_string());
    }
    // All ASCII by now, so bytes are characters.
    if !(4..=20).contains(&s.len()) {
        return Err(format!(
            "must be 4 to 20 characters long (this one is {})",
            s.len()
        ));
    }
    Ok(())
}

/// A pragmatic address check: it catches typos, not every RFC 5321 corner. Whether the
/// address works can only be known by writing to it.
pub fn email(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".to_string());
    }
    // RFC 5321 caps a path at 256 bytes including the angle brackets.
    if s.len() > 254 {
        return Err("must be at most 254 characters".to_string());
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".to_string());
    }
    let Some((local, domain)) = s
        .split_once('@')
        .filter(|(_, domain)| !domain.contains('@'))
    else {
        return Err("must contain exactly one @, as in name@example.com".to_string());
    };
    if local.is_empty() {
        return Err("needs a name before the @, as in name@example.com".to_string());
    }
    if local.len() > 64 {
        return Err("must have at most 64 characters before the @".to_string());
    }
    if !domain.contains('.') {
        return Err("needs a domain with a dot after the @, as in name@example.com".to_string());
    }
    // Empty labels cover a leading, trailing or doubled dot (`a@.x`, `a@x.`, `a@x..y`).
    if domain.split('.').any(str::is_empty) {
        return Err(
            "must not have a dot at the start or end of the domain, or two dots in a row"
                .to_string(),
        );
    }
    if domain.split('.').any(|label| label.len() > 63) {
        return Err("must not have a domain part longer than 63 characters".to_string());
    }
    Ok(())
}

/// 8–1024 characters with an uppercase letter, an ASCII digit and a character that is
/// neither a letter nor a digit. The upper bound keeps hashing cost bounded; the message
/// lists everything missing at once so the user fixes it in one go.
pub fn password(s: &str) -> Result<(), String> {
    let count = s.chars().count();
    if count > 1024 {
        return Err("must be at most 1024 characters".to_string());
    }
    let mut missing = Vec::new();
    if count < 8 {
        missing.push("at least 8 characters");
    }
    if !s.chars().any(char::is_uppercase) {
        missing.push("an uppercase letter");
    }
    if !s.chars().any(|c| c.is_ascii_digit()) {
        missing.push("a digit (0–9)");
    }
    if !s.chars().any(|c| !c.is_alphanumeric()) {
        missing.push("a character that is not a letter or digit, such as ! or -");
    }
    match missing.split_last() {
        None => Ok(()),
        Some((last, [])) => Err(format!("needs {last}")),
        Some((last, rest)) => Err(format!("needs {} and {last}", rest.join(", "))),
    }
}

/// 1–150 characters once surrounding whitespace is trimmed, no control characters
/// anywhere (a line break in a name would break every table it is shown in).
pub fn full_name(s: &str) -> Result<(), String> {
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters such as line breaks or tabs".to_string());
    }
    match s.trim().chars().count() {
        0 => Err("must not be empty".to_string()),
        1..=150 => Ok(()),
        n => Err(format!("must be at most 150 characters (this one is {n})")),
    }
}

/// Up to 1,000 characters, may be empty; line breaks and tabs are allowed (comments are
/// free text), other control characters are not.
pub fn comment(s: &str) -> Result<(), String> {
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(
            "must not contain control characters other than line breaks and tabs".to_string(),
        );
    }
    let count = s.chars().count();
    if count > 1000 {
        return Err(format!(
            "must be at most 1000 characters (this one is {count})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_kept_exactly_as_given() {
        for good in [
            "a",
            "report.pdf",
            "отчёт.pdf",
            " leading and trailing ",
            ".hidden",
            "...",
            "a..b",
            "日本語 🎉.txt",
        ] {
            let name = FileName::parse(good).expect(good);
            assert_eq!(name.as_str(), good);
            assert_eq!(name.to_string(), good);
            assert_eq!(name.into_string(), good);
        }
    }

    #[test]
    fn file_name_length_is_counted_in_bytes() {
        assert!(FileName::parse(&"a".repeat(255)).is_ok());
        assert!(
            FileName::parse(&"a".repeat(256))
                .unwrap_err()
                .contains("255 bytes")
        );
        // 128 two-byte letters are 256 bytes although only 128 characters.
        assert!(FileName::parse(&"ё".repeat(127)).is_ok());
        assert!(FileName::parse(&"ё".repeat(128)).is_err());
        assert!(FileName::parse("").unwrap_err().contains("empty"));
    }

    #[test]
    fn file_names_that_could_be_paths_are_refused() {
        for bad in [
            ".",
            "..",
            "/",
            "a/b",
            "../etc/passwd",
            "a\\b",
            "..\\x",
            "/etc/passwd",
        ] {
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn file_names_with_control_characters_are_refused() {
        for bad in [
            "a\0b",
            "a\nb",
            "a\rb",
            "a\tb",
            "x\u{1b}[31m",
            "del\u{7f}",
            "c1\u{85}",
            "c1\u{9b}",
        ] {
            let err = FileName::parse(bad).expect_err(bad);
            assert!(err.contains("control"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn file_names_of_only_whitespace_are_refused() {
        for bad in [" ", "   ", "\u{a0}", "\u{3000}", "\u{2028}"] {
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn usernames_follow_the_pattern() {
        for good in ["abcd", "Abc1", "a123", "Z".repeat(20).as_str(), "user2024"] {
            assert_eq!(username(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "abc",
            "1abc",
            "_abc",
            "ab_cd",
            "ab-cd",
            "ab cd",
            "abcd ",
            "a".repeat(21).as_str(),
        ] {
            assert!(username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn usernames_are_ascii_only() {
        // Cyrillic а and Unicode digits would pass a naive is_alphanumeric check.
        for bad in ["аdmin", "admіn", "admin١", "admin\u{0}", "ａdmin", "admın"] {
            assert!(username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn username_messages_say_what_to_fix() {
        assert!(
            username("1abc")
                .unwrap_err()
                .contains("start with a Latin letter")
        );
        assert!(
            username("ab_cd")
                .unwrap_err()
                .contains("only Latin letters")
        );
        assert!(username("abc").unwrap_err().contains("4 to 20"));
    }

    #[test]
    fn reasonable_emails_pass() {
        for good in [
            "a@b.co",
            "first.last+tag@mail.example.org",
            "user@xn--e1afmkfd.xn--p1ai",
            "имя@пример.рф",
        ] {
            assert_eq!(email(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@@b.com",
            "a@b@c.com",
            "a@.b.com",
            "a@b.com.",
            "a@b..com",
            "a b@c.com",
            "a@b.com\n",
            "a@b.com\r\nBcc: x@y.z",
            "a\0@b.com",
            "a\u{85}@b.com",
            "a@b\u{a0}.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn email_length_limits_hold() {
        let local64 = "a".repeat(64);
        assert_eq!(email(&format!("{local64}@b.com")), Ok(()));
        assert!(
            email(&format!("a{local64}@b.com"))
                .unwrap_err()
                .contains("64")
        );
        assert!(
            email(&format!("a@{}.com", "b".repeat(64)))
                .unwrap_err()
                .contains("63")
        );
        let label = "b".repeat(60);
        let domain = format!("{}.com", [label.as_str(); 4].join("."));
        let at_limit = format!("{}@{domain}", "a".repeat(254 - 1 - domain.len()));
        assert_eq!(at_limit.len(), 254);
        assert_eq!(email(&at_limit), Ok(()));
        assert!(email(&format!("a{at_limit}")).unwrap_err().contains("254"));
    }

    #[test]
    fn good_passwords_pass() {
        for good in [
            "Passw0rd!",
            "ЗАМОК-1-ключ",
            "Aa1 aaaa",
            "Abcdefg1_",
            &format!("A1!{}", "x".repeat(1021)),
        ] {
            assert_eq!(password(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn password_message_lists_everything_missing() {
        assert_eq!(
            password("Passw0rd"),
            Err("needs a character that is not a letter or digit, such as ! or -".to_string())
        );
        assert_eq!(
            password("abc"),
            Err("needs at least 8 characters, an uppercase letter, a digit (0–9) and a character that \
                 is not a letter or digit, such as ! or -"
                .to_string())
        );
        assert_eq!(
            password("password1!"),
            Err("needs an uppercase letter".to_string())
        );
        assert_eq!(
            password("Password!"),
            Err("needs a digit (0–9)".to_string())
        );
        assert_eq!(password(""), password("abc"));
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        // Seven two-byte characters plus one: 8 characters, 15 bytes.
        assert!(password("Ж1!жжжж").unwrap_err().contains("at least 8"));
        assert_eq!(password("Ж1!жжжжж"), Ok(()));
        assert_eq!(password(&format!("A1!{}", "ж".repeat(1021))), Ok(()));
        assert!(
            password(&format!("A1!{}", "ж".repeat(1022)))
                .unwrap_err()
                .contains("at most 1024")
        );
    }

    #[test]
    fn password_digit_must_be_ascii() {
        // Arabic-Indic three is numeric but not what "a digit" means to the user.
        assert_eq!(
            password("Password!٣"),
            Err("needs a digit (0–9)".to_string())
        );
    }

    #[test]
    fn full_names_are_checked_after_trimming() {
        assert_eq!(full_name("Ада Лавлейс"), Ok(()));
        assert_eq!(full_name("  X  "), Ok(()));
        assert_eq!(full_name(&format!("  {}  ", "ё".repeat(150))), Ok(()));
        assert!(full_name(&"ё".repeat(151)).unwrap_err().contains("150"));
        assert!(full_name("").unwrap_err().contains("empty"));
        assert!(full_name("   ").unwrap_err().contains("empty"));
    }

    #[test]
    fn full_names_with_control_characters_are_refused() {
        for bad in [
            "Ann\nLee",
            "Ann\tLee",
            "Ann\0",
            "\u{1b}[2J",
            "Ann\u{9c}",
            "Ann\n",
        ] {
            assert!(full_name(bad).unwrap_err().contains("control"), "{bad:?}");
        }
    }

    #[test]
    fn comments_may_be_empty_or_multiline() {
        assert_eq!(comment(""), Ok(()));
        assert_eq!(comment("line one\r\nline two\n\tindented"), Ok(()));
        assert_eq!(comment(&"ж".repeat(1000)), Ok(()));
        assert!(comment(&"ж".repeat(1001)).unwrap_err().contains("1000"));
    }

    #[test]
    fn comments_with_other_control_characters_are_refused() {
        for bad in [
            "a\0b",
            "\u{1b}[31mred",
            "bell\u{7}",
            "del\u{7f}",
            "c1\u{85}",
            "\u{b}",
        ] {
            assert!(comment(bad).unwrap_err().contains("control"), "{bad:?}");
        }
    }
}
