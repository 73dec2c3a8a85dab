//! The `Range` request header (RFC 9110 §14), single ranges only: what part of a file of
//! known size to send, and the `Content-Range` values that describe it.
//!
//! Anything we do not understand is ignored and the whole file sent, as the RFC asks: a
//! 200 with every byte is always a correct answer to a range request. Only a well-formed
//! range that lies wholly outside the file earns a 416.

/// What to send in answer to a `Range` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// No usable range: send the whole file with 200.
    Full,
    /// Send bytes `start..=end` with 206; always `start <= end < size`.
    Partial { start: u64, end: u64 },
    /// The range starts past the end of the file: 416 with [`unsatisfied`].
    Unsatisfiable,
}

/// Reads a `Range` header for a file of `size` bytes: `bytes=a-b`, `bytes=a-` or
/// `bytes=-n` (the last `n` bytes).
///
/// Several ranges are answered with the whole file: multipart/byteranges responses are
/// rarely needed (players and download managers ask for one range) and are a known way
/// to make a server do much work for little request.
pub fn parse(header: Option<&str>, size: u64) -> ByteRange {
    let Some((unit, spec)) = header.and_then(|h| h.split_once('=')) else {
        return ByteRange::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return ByteRange::Full;
    }
    let spec = spec.trim();
    if spec.contains(',') {
        return ByteRange::Full;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return ByteRange::Full;
    };
    if first.is_empty() {
        return match number(last) {
            None => ByteRange::Full,
            // RFC 9110 §14.1.2: a zero-length suffix cannot be satisfied, nor can any
            // range of an empty file (there is no byte to send).
            Some(0) => ByteRange::Unsatisfiable,
            Some(_) if size == 0 => ByteRange::Unsatisfiable,
            // A suffix longer than the file means the whole file.
            Some(n) => ByteRange::Partial {
                start: size.saturating_sub(n),
                end: size - 1,
            },
        };
    }
    let Some(start) = number(first) else {
        return ByteRange::Full;
    };
    let end = if last.is_empty() {
        None
    } else {
        match number(last) {
            // `last < first` makes the range invalid, not unsatisfiable (§14.1.1).
            Some(end) if end >= start => Some(end),
            _ => return ByteRange::Full,
        }
    };
    if start >= size {
        return ByteRange::Unsatisfiable;
    }
    // A last position past the end means "to the end" (§14.1.2).
    let end = end.map_or(size - 1, |end| end.min(size - 1));
    ByteRange::Partial { start, end }
}

/// `Content-Range` of a 206: `bytes start-end/size` (`end` inclusive).
pub fn content_range(start: u64, end: u64, size: u64) -> String {
    format!("bytes {start}-{end}/{size}")
}

/// `Content-Range` of a 416: `bytes */size`, so the client learns the real size.
pub fn unsatisfied(size: u64) -> String {
    format!("bytes */{size}")
}

/// A position: ASCII digits only (`str::parse` would take a sign), `None` on overflow.
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::ByteRange::{Full, Partial, Unsatisfiable};
    use super::*;

    fn p(header: &str, size: u64) -> ByteRange {
        parse(Some(header), size)
    }

    #[test]
    fn no_header_means_full() {
        assert_eq!(parse(None, 100), Full);
        assert_eq!(parse(None, 0), Full);
    }

    #[test]
    fn closed_ranges_are_partial() {
        assert_eq!(p("bytes=0-0", 100), Partial { start: 0, end: 0 });
        assert_eq!(p("bytes=0-99", 100), Partial { start: 0, end: 99 });
        assert_eq!(p("bytes=10-19", 100), Partial { start: 10, end: 19 });
        assert_eq!(p("bytes=99-99", 100), Partial { start: 99, end: 99 });
    }

    #[test]
    fn open_ranges_run_to_the_end() {
        assert_eq!(p("bytes=0-", 100), Partial { start: 0, end: 99 });
        assert_eq!(p("bytes=42-", 100), Partial { start: 42, end: 99 });
        assert_eq!(p("bytes=99-", 100), Partial { start: 99, end: 99 });
    }

    #[test]
    fn last_position_past_the_end_is_clamped() {
        assert_eq!(p("bytes=10-1000", 100), Partial { start: 10, end: 99 });
        assert_eq!(
            p("bytes=0-18446744073709551615", 100),
            Partial { start: 0, end: 99 }
        );
    }

    #[test]
    fn suffix_ranges_take_the_last_bytes() {
        assert_eq!(p("bytes=-1", 100), Partial { start: 99, end: 99 });
        assert_eq!(p("bytes=-10", 100), Partial { start: 90, end: 99 });
        assert_eq!(p("bytes=-100", 100), Partial { start: 0, end: 99 });
        assert_eq!(p("bytes=-5000", 100), Partial { start: 0, end: 99 });
        assert_eq!(
            p("bytes=-18446744073709551615", 100),
            Partial { start: 0, end: 99 }
        );
    }

    #[test]
    fn ranges_starting_past_the_end_are_unsatisfiable() {
        assert_eq!(p("bytes=100-", 100), Unsatisfiable);
        assert_eq!(p("bytes=100-200", 100), Unsatisfiable);
        assert_eq!(p("bytes=18446744073709551615-", 100), Unsatisfiable);
    }

    #[test]
    fn zero_suffix_is_unsatisfiable() {
        assert_eq!(p("bytes=-0", 100), Unsatisfiable);
        assert_eq!(p("bytes=-000", 100), Unsatisfiable);
    }

    #[test]
    fn every_range_of_an_empty_file_is_unsatisfiable() {
        for header in [
            "bytes=0-",
            "bytes=0-0",
            "bytes=-1",
            "bytes=-0",
            "bytes=5-10",
        ] {
            assert_eq!(p(header, 0), Unsatisfiable, "{header}");
        }
        // ...but a header we ignore still gets the (empty) whole file.
        assert_eq!(p("items=0-1", 0), Full);
        assert_eq!(p("bytes=0-1,3-4", 0), Full);
    }

    #[test]
    fn unit_is_case_insensitive_and_whitespace_around_is_tolerated() {
        assert_eq!(p("BYTES=1-2", 10), Partial { start: 1, end: 2 });
        assert_eq!(p("Bytes=1-2", 10), Partial { start: 1, end: 2 });
        assert_eq!(p("  bytes = 1-2  ", 10), Partial { start: 1, end: 2 });
        assert_eq!(p("bytes=\t1-\t", 10), Partial { start: 1, end: 9 });
    }

    #[test]
    fn other_units_are_ignored() {
        for header in [
            "items=0-5",
            "byte=0-5",
            "bits=0-5",
            "=0-5",
            "bytesx=0-5",
            "0-5",
            "",
        ] {
            assert_eq!(p(header, 100), Full, "{header:?}");
        }
    }

    #[test]
    fn multiple_ranges_are_ignored() {
        for header in [
            "bytes=0-1,5-6",
            "bytes=0-1, 5-6",
            "bytes=-1,0-",
            "bytes=0-5,",
            "bytes=,0-5",
            "bytes=200-300,0-1",
        ] {
            assert_eq!(p(header, 100), Full, "{header:?}");
        }
    }

    #[test]
    fn backwards_ranges_are_ignored() {
        assert_eq!(p("bytes=5-4", 100), Full);
        // Invalid beats unsatisfiable: the range is ignored before its position matters.
        assert_eq!(p("bytes=500-400", 100), Full);
    }

    #[test]
    fn malformed_ranges_are_ignored() {
        for header in [
            "bytes=",
            "bytes=-",
            "bytes=--5",
            "bytes=5",
            "bytes=a-b",
            "bytes=1-b",
            "bytes=+1-5",
            "bytes=1-+5",
            "bytes=-+5",
            "bytes=-1-5",
            "bytes=1 -5",
            "bytes=1- 5",
            "bytes=1 0-20",
            "bytes=0x10-20",
            "bytes=1.5-2",
            "bytes=1-2-3",
            "bytes=١-٢",
            "bytes==0-5",
            "bytes=0-5\r\nX-Evil: 1",
        ] {
            assert_eq!(p(header, 100), Full, "{header:?}");
        }
    }

    #[test]
    fn overflowing_numbers_are_ignored() {
        assert_eq!(p("bytes=18446744073709551616-", 100), Full);
        assert_eq!(p("bytes=0-18446744073709551616", 100), Full);
        assert_eq!(p("bytes=-99999999999999999999999999", 100), Full);
    }

    #[test]
    fn huge_files_are_handled_without_overflow() {
        let size = u64::MAX;
        assert_eq!(
            p("bytes=0-", size),
            Partial {
                start: 0,
                end: u64::MAX - 1
            }
        );
        assert_eq!(
            p("bytes=-1", size),
            Partial {
                start: u64::MAX - 1,
                end: u64::MAX - 1
            }
        );
        assert_eq!(p("bytes=18446744073709551615-", size), Unsatisfiable);
    }

    #[test]
    fn partial_is_always_inside_the_file() {
        let headers = [
            "bytes=0-",
            "bytes=3-",
            "bytes=-1",
            "bytes=-7",
            "bytes=2-5",
            "bytes=0-100",
            "bytes=6-6",
        ];
        for size in 1..=8 {
            for header in headers {
                if let Partial { start, end } = p(header, size) {
                    assert!(
                        start <= end && end < size,
                        "{header} of {size}: {start}-{end}"
                    );
                }
            }
        }
    }

    #[test]
    fn content_range_values_are_formatted() {
        assert_eq!(content_range(0, 99, 100), "bytes 0-99/100");
        assert_eq!(content_range(5, 5, 6), "bytes 5-5/6");
        assert_eq!(unsatisfied(100), "bytes */100");
        assert_eq!(unsatisfied(0), "bytes */0");
    }
}
