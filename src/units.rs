//! Human units for settings: durations like `30m` or `1h30m` and sizes like `10MiB`,
//! parsed strictly (a typo in a config file must fail at start, not silently mean zero)
//! and printed back compactly so the effective configuration can be shown.

use std::time::Duration;

const DURATION_HELP: &str = "expected a number and a unit (ms, s, m, h, d, w), \
     several may follow each other, e.g. 30s, 10m, 1h30m, 7d";

const SIZE_HELP: &str = "expected a number of bytes, optionally with a unit \
     (B, K, M, G, T or KiB, MiB, GiB, TiB, powers of 1024), e.g. 1048576, 512K, 10MiB, 2G";

/// Duration units and their length in milliseconds, smallest first. A unit is read as
/// the whole run of letters, so `ms` is never taken for `m`.
const DURATION_UNITS: [(&str, u64); 6] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
    ("w", 604_800_000),
];

/// Parses `30s`, `10m`, `1h30m`, `250ms`, `7d`, `2w` (a sum of number–unit pairs).
///
/// A bare number is refused: `--session-idle 30` could mean seconds or minutes, and the
/// wrong guess either locks people out or keeps sessions alive for a month.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("empty duration; {DURATION_HELP}"));
    }
    let mut rest = s;
    let mut total_ms: u64 = 0;
    while !rest.is_empty() {
        let (number, after) = split_digits(rest);
        if number.is_empty() {
            return Err(format!("{s:?} is not a duration; {DURATION_HELP}"));
        }
        let (unit, after) = split_letters(after);
        if unit.is_empty() {
            let why = if after.is_empty() {
                "missing unit"
            } else {
                "unexpected character"
            };
            return Err(format!("{why} in {s:?}; {DURATION_HELP}"));
        }
        let Some(&(_, unit_ms)) = DURATION_UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(format!("unknown unit {unit:?} in {s:?}; {DURATION_HELP}"));
        };
        total_ms = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit_ms))
            .and_then(|ms| total_ms.checked_add(ms))
            .ok_or_else(|| format!("duration {s:?} is too large"))?;
        rest = after;
    }
    Ok(Duration::from_millis(total_ms))
}

/// Prints a duration so that [`parse_duration`] reads it back: `7d`, `1h30m`, `250ms`,
/// `0s`. Whole weeks print as weeks; otherwise days are the largest unit, because `30d`
/// reads better than `4w2d`. Precision below a millisecond is dropped.
pub fn format_duration(d: Duration) -> String {
    let mut ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return "0s".to_string();
    }
    const WEEK: u64 = 604_800_000;
    if ms % WEEK == 0 {
        return format!("{}w", ms / WEEK);
    }
    let mut out = String::new();
    // Largest first, skipping weeks.
    for &(name, unit_ms) in DURATION_UNITS.iter().rev().skip(1) {
        if ms >= unit_ms {
            out.push_str(&format!("{}{name}", ms / unit_ms));
            ms %= unit_ms;
        }
    }
    out
}

/// Parses a size in bytes: `1234`, `512K`, `10MiB`, `2 GB`, `1t` (units case-insensitive;
/// every K/M/G/T spelling means a power of 1024, as people mean it for upload limits).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("empty size; {SIZE_HELP}"));
    }
    let (number, after) = split_digits(s);
    if number.is_empty() {
        return Err(format!("{s:?} is not a size; {SIZE_HELP}"));
    }
    let unit = after.trim_start();
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("unknown unit {unit:?} in {s:?}; {SIZE_HELP}")),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("size {s:?} is too large"))
}

/// Splits off the leading ASCII digits. Only ASCII: `str::parse` would also take a `+`.
fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

fn split_letters(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(s.len());
    s.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn durations_in_every_unit_parse() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(secs(30)));
        assert_eq!(parse_duration("10m"), Ok(secs(600)));
        assert_eq!(parse_duration("12h"), Ok(secs(12 * 3600)));
        assert_eq!(parse_duration("7d"), Ok(secs(7 * 86_400)));
        assert_eq!(parse_duration("2w"), Ok(secs(14 * 86_400)));
    }

    #[test]
    fn duration_pairs_add_up() {
        assert_eq!(parse_duration("1h30m"), Ok(secs(5400)));
        assert_eq!(
            parse_duration("1d2h3m4s5ms"),
            Ok(Duration::from_millis(93_784_005))
        );
        assert_eq!(parse_duration("1m1m"), Ok(secs(120)));
    }

    #[test]
    fn duration_surrounding_whitespace_is_trimmed() {
        assert_eq!(parse_duration("  30m\n"), Ok(secs(1800)));
    }

    #[test]
    fn zero_duration_is_allowed() {
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0ms0h"), Ok(Duration::ZERO));
    }

    #[test]
    fn bare_number_is_missing_a_unit() {
        let err = parse_duration("30").unwrap_err();
        assert!(err.contains("missing unit"), "{err}");
        assert!(err.contains("ms, s, m, h, d, w"), "{err}");
        assert!(parse_duration("1h30").unwrap_err().contains("missing unit"));
    }

    #[test]
    fn malformed_durations_are_refused_with_help() {
        for bad in [
            "", "   ", "h", "m30", "-5s", "+5s", "5 s", "1h 30m", "1.5h", "5x", "5sec", "5S", "5M",
            "1h-", "½h", "5s\0", "٣s",
        ] {
            let err = parse_duration(bad).expect_err(bad);
            assert!(
                err.contains("expected a number and a unit"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn duration_overflow_is_refused() {
        assert!(
            parse_duration("99999999999999999999999s")
                .unwrap_err()
                .contains("too large")
        );
        assert!(
            parse_duration("18446744073709551615w")
                .unwrap_err()
                .contains("too large")
        );
        // Each pair fits alone; their sum does not.
        let half = u64::MAX / 2 + 1;
        assert!(
            parse_duration(&format!("{half}ms{half}ms"))
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn durations_format_compactly() {
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(secs(30)), "30s");
        assert_eq!(format_duration(secs(600)), "10m");
        assert_eq!(format_duration(secs(5400)), "1h30m");
        assert_eq!(format_duration(secs(7 * 86_400)), "1w");
        assert_eq!(format_duration(secs(30 * 86_400)), "30d");
        assert_eq!(
            format_duration(Duration::from_millis(90_061_001)),
            "1d1h1m1s1ms"
        );
        assert_eq!(format_duration(Duration::from_nanos(1_500_000)), "1ms");
    }

    #[test]
    fn formatted_durations_parse_back() {
        for text in [
            "0s",
            "1ms",
            "59s",
            "1h30m",
            "7d",
            "12h",
            "30d",
            "3w",
            "1d23h59m59s999ms",
        ] {
            let d = parse_duration(text).expect(text);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{text}");
        }
        let huge = Duration::from_millis(u64::MAX);
        assert_eq!(parse_duration(&format_duration(huge)), Ok(huge));
    }

    #[test]
    fn sizes_parse_in_every_spelling() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1234"), Ok(1234));
        assert_eq!(parse_size("1234B"), Ok(1234));
        assert_eq!(parse_size("2K"), Ok(2048));
        assert_eq!(parse_size("2kb"), Ok(2048));
        assert_eq!(parse_size("2KiB"), Ok(2048));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("10mib"), Ok(10 << 20));
        assert_eq!(parse_size("3GB"), Ok(3 << 30));
        assert_eq!(parse_size("3gIb"), Ok(3 << 30));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("1TiB"), Ok(1 << 40));
        assert_eq!(parse_size(" 10 MiB "), Ok(10 << 20));
    }

    #[test]
    fn malformed_sizes_are_refused_with_help() {
        for bad in [
            "", " ", "K", "-1", "+1", "1.5G", "1 0", "10Mb/s", "10P", "10KiBs", "ten", "1e6", "١٠",
        ] {
            let err = parse_size(bad).expect_err(bad);
            assert!(err.contains("expected a number of bytes"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn size_overflow_is_refused() {
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
        assert!(
            parse_size("18446744073709551616")
                .unwrap_err()
                .contains("too large")
        );
        assert!(parse_size("16777216T").unwrap_err().contains("too large"));
        assert_eq!(parse_size("16777215T"), Ok(16_777_215 << 40));
    }
}
