//! The `range` fuzz target: the `Range` request header against a file size.

use super::{ByteRange, content_range, parse_range, unsatisfied};

/// Input: the file size in decimal on the first line (any other first line: its length is
/// the size), the header value after it.
///
/// Checks: a partial range lies inside the file (`start <= end < size`) and reads back the
/// same from its canonical `bytes=start-end`; whether a header is understood at all does
/// not depend on the file's size; no header means the whole file.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (first, header) = text.split_once('\n').unwrap_or(("", &text));
    let size = first.parse().unwrap_or(first.len() as u64);

    assert_eq!(parse_range(None, size), ByteRange::Full);
    let range = parse_range(Some(header), size);
    match range {
        ByteRange::Full => {}
        ByteRange::Partial { start, end } => {
            assert!(
                start <= end && end < size,
                "{range:?} outside a file of {size}"
            );
            let canonical = format!("bytes={start}-{end}");
            assert_eq!(parse_range(Some(&canonical), size), range);
            assert_eq!(
                content_range(start, end, size),
                format!("bytes {start}-{end}/{size}")
            );
        }
        ByteRange::Unsatisfiable => {
            assert_eq!(unsatisfied(size), format!("bytes */{size}"));
        }
    }
    // Malformed is malformed at any size; only satisfiable or not may change with it.
    for other in [0, 1, size / 2, size.saturating_add(1), u64::MAX] {
        let again = parse_range(Some(header), other);
        assert_eq!(
            range == ByteRange::Full,
            again == ByteRange::Full,
            "{header:?}: {range:?} at {size} but {again:?} at {other}"
        );
    }
}
