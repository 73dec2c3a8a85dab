//! The `Content-Disposition` response header (RFC 6266): whether the browser saves or
//! shows a file, and under which name. The name is the user's own, so it is treated as
//! hostile: it must not be able to end the header, add a parameter or inject a header.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Save the file, or show it in the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Attachment,
    Inline,
}

/// Bytes outside RFC 5987's `attr-char` (ALPHA, DIGIT and ``!#$&+-.^_`|~``), which
/// `filename*` must percent-encode. Non-ASCII bytes are always encoded.
const NOT_ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="fallback"; filename*=UTF-8''encoded`.
///
/// Browsers use `filename*` (exact UTF-8); `filename` is a printable-ASCII stand-in for
/// old clients and tools. Its unsafe characters become `_` instead of being escaped,
/// because clients disagree on backslash escapes and some percent-decode, so any
/// escape could be read as something else. An empty name (which a validated
/// [`crate::validate::FileName`] never is) leaves the name to the browser.
pub fn header_value(kind: Disposition, name: &str) -> String {
    let kind = match kind {
        Disposition::Attachment => "attachment",
        Disposition::Inline => "inline",
    };
    if name.is_empty() {
        return kind.to_string();
    }
    let fallback: String = name.chars().map(fallback_char).collect();
    let encoded = utf8_percent_encode(name, NOT_ATTR_CHAR);
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Keeps printable ASCII except `"` and `\` (they would end or escape the quoted string)
/// and `%` (some browsers percent-decode the fallback); everything else becomes `_`.
fn fallback_char(c: char) -> char {
    if c.is_ascii() && !c.is_ascii_control() && !matches!(c, '"' | '\\' | '%') {
        c
    } else {
        '_'
    }
}

#[cfg(test)]
mod tests {
    use super::Disposition::{Attachment, Inline};
    use super::*;

    /// The quoted `filename` parameter's content.
    fn fallback_of(value: &str) -> &str {
        let start = value.find("filename=\"").map(|i| i + 10).unwrap_or(0);
        let len = value[start..].find('"').unwrap_or(0);
        &value[start..start + len]
    }

    /// What follows `filename*=UTF-8''`.
    fn encoded_of(value: &str) -> &str {
        value.split("filename*=UTF-8''").nth(1).unwrap_or("")
    }

    /// Decodes `filename*` the way a browser does.
    fn decoded(value: &str) -> String {
        percent_encoding::percent_decode_str(encoded_of(value))
            .decode_utf8_lossy()
            .into_owned()
    }

    /// Visible ASCII and space only: what `HeaderValue::from_str` accepts without
    /// complaint, and no CR/LF to split the header.
    fn assert_safe(value: &str) {
        assert!(
            value.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "unsafe byte in {value:?}"
        );
        // Exactly the two quotes around the fallback.
        assert_eq!(value.matches('"').count(), 2, "{value}");
    }

    #[test]
    fn ascii_names_appear_in_both_parameters() {
        let value = header_value(Attachment, "report.pdf");
        assert_eq!(
            value,
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_safe(&value);
    }

    #[test]
    fn inline_is_spelled_inline() {
        assert_eq!(
            header_value(Inline, "a.png"),
            "inline; filename=\"a.png\"; filename*=UTF-8''a.png"
        );
    }

    #[test]
    fn unicode_names_are_percent_encoded_with_underscored_fallback() {
        let value = header_value(Attachment, "отчёт.pdf");
        assert_eq!(
            value,
            "attachment; filename=\"_____.pdf\"; \
             filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf"
        );
        assert_safe(&value);
        assert_eq!(decoded(&value), "отчёт.pdf");
    }

    #[test]
    fn astral_characters_become_one_underscore() {
        let value = header_value(Attachment, "🎉.txt");
        assert_eq!(fallback_of(&value), "_.txt");
        assert_eq!(encoded_of(&value), "%F0%9F%8E%89.txt");
    }

    #[test]
    fn quotes_and_backslashes_cannot_end_the_fallback() {
        let value = header_value(Attachment, "a\"; filename=\"evil.exe");
        assert_safe(&value);
        assert_eq!(fallback_of(&value), "a_; filename=_evil.exe");
        assert_eq!(decoded(&value), "a\"; filename=\"evil.exe");
        let value = header_value(Attachment, "a\\\"b");
        assert_safe(&value);
        assert_eq!(fallback_of(&value), "a__b");
    }

    #[test]
    fn semicolons_and_spaces_stay_inside_their_parameters() {
        let value = header_value(Attachment, "a; b=c.txt");
        assert_safe(&value);
        assert_eq!(fallback_of(&value), "a; b=c.txt");
        assert_eq!(encoded_of(&value), "a%3B%20b%3Dc.txt");
    }

    #[test]
    fn percent_signs_are_not_left_for_browsers_to_decode() {
        let value = header_value(Attachment, "100%41.txt");
        assert_eq!(fallback_of(&value), "100_41.txt");
        assert_eq!(encoded_of(&value), "100%2541.txt");
        assert_eq!(decoded(&value), "100%41.txt");
    }

    #[test]
    fn line_breaks_and_controls_cannot_inject_headers() {
        for name in [
            "a\r\nSet-Cookie: x=1",
            "a\nb",
            "a\rb",
            "a\0b",
            "a\tb",
            "a\u{7f}b",
            "a\u{85}b",
            "\u{2028}",
        ] {
            let value = header_value(Attachment, name);
            assert_safe(&value);
            assert_eq!(decoded(&value), name);
        }
        let value = header_value(Attachment, "a\r\nSet-Cookie: x=1");
        assert_eq!(fallback_of(&value), "a__Set-Cookie: x=1");
    }

    #[test]
    fn attr_chars_are_left_as_they_are() {
        let name = "AZaz09!#$&+-.^_`|~";
        assert_eq!(encoded_of(&header_value(Attachment, name)), name);
    }

    #[test]
    fn every_other_ascii_byte_is_encoded() {
        for b in (0u8..0x80).filter(|b| !b.is_ascii_alphanumeric() && !b"!#$&+-.^_`|~".contains(b))
        {
            let name = char::from(b).to_string();
            let value = header_value(Attachment, &name);
            assert_eq!(encoded_of(&value), format!("%{b:02X}"), "byte {b:#x}");
            assert_safe(&value);
        }
    }

    #[test]
    fn empty_name_gives_no_filename() {
        assert_eq!(header_value(Attachment, ""), "attachment");
        assert_eq!(header_value(Inline, ""), "inline");
    }
}
