//! Timestamps: UTC milliseconds since the Unix epoch, the one time type the store keeps,
//! rendered as RFC 3339 in JSON and as an HTTP date in headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest `Timestamp::write_rfc3339`: `-9999-12-31T23:59:59.999Z`.
pub const RFC3339_MAX: usize = 25;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp::from_system(SystemTime::now())
    }

    pub fn from_system(t: SystemTime) -> Self {
        let ms = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_millis() as i64,
            Err(e) => -(e.duration().as_millis() as i64),
        };
        Timestamp(ms)
    }

    /// The exact instant: the inverse of `from_system` for whole milliseconds.
    pub fn to_system(self) -> SystemTime {
        let offset = Duration::from_millis(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH + offset
        } else {
            UNIX_EPOCH - offset
        }
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    pub fn plus(self, d: Duration) -> Self {
        Timestamp(
            self.0
                .saturating_add(d.as_millis().min(i64::MAX as u128) as i64),
        )
    }

    pub fn minus(self, d: Duration) -> Self {
        Timestamp(
            self.0
                .saturating_sub(d.as_millis().min(i64::MAX as u128) as i64),
        )
    }

    /// `(year, month, day, hour, minute, second)` in UTC, for formats with their own
    /// date fields (a zip entry's modification time).
    pub fn utc_parts(self) -> (i64, u32, u32, u32, u32, u32) {
        let secs = self.secs();
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let in_day = secs.rem_euclid(86_400) as u32;
        (
            year,
            month,
            day,
            in_day / 3600,
            in_day / 60 % 60,
            in_day % 60,
        )
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-25T08:00:00.123Z`.
    pub fn rfc3339(self) -> String {
        self.write_rfc3339(&mut [0; RFC3339_MAX]).to_owned()
    }

    /// `rfc3339` written into `buf`, without allocating: 24 bytes for years 0 to 9999.
    /// Always three fraction digits: clients may compare these as strings. Years before 0
    /// are written as `format!("{:04}")` writes them (`-001`, `-1000`); instants outside
    /// the years -9999 to 9999 give the empty string, as the `time` crate did before.
    pub fn write_rfc3339(self, buf: &mut [u8; RFC3339_MAX]) -> &str {
        const MS_PER_DAY: i64 = 86_400_000;
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        if !(-9999..=9999).contains(&year) {
            return "";
        }
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            buf[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        let abs = year.unsigned_abs() as u32;
        if year < 0 {
            // `{:04}` counts the sign in the width: -1 is `-001`.
            put(b"-");
            if abs >= 1000 {
                put(&[digit(abs / 1000)]);
            }
        } else {
            put(&[digit(abs / 1000)]);
        }
        let (hour, rest) = (ms / 3_600_000, ms % 3_600_000);
        let (minute, rest) = (rest / 60_000, rest % 60_000);
        let (second, milli) = (rest / 1000, rest % 1000);
        let milli = milli as u32;
        put(&[
            digit(abs / 100),
            digit(abs / 10),
            digit(abs),
            b'-',
            digit(month / 10),
            digit(month),
            b'-',
            digit(day / 10),
            digit(day),
            b'T',
            digit(hour as u32 / 10),
            digit(hour as u32),
            b':',
            digit(minute as u32 / 10),
            digit(minute as u32),
            b':',
            digit(second as u32 / 10),
            digit(second as u32),
            b'.',
            digit(milli / 100),
            digit(milli / 10),
            digit(milli),
            b'Z',
        ]);
        // Only ASCII digits and punctuation were written.
        std::str::from_utf8(&buf[..at]).unwrap_or_default()
    }

    /// IMF-fixdate for `Last-Modified` (whole seconds, as HTTP dates are).
    pub fn http_date(self) -> String {
        let t = UNIX_EPOCH + Duration::from_secs(self.secs().max(0) as u64);
        httpdate::fmt_http_date(t)
    }
}

/// The last decimal digit of `n`, as ASCII.
fn digit(n: u32) -> u8 {
    b'0' + (n % 10) as u8
}

/// The proleptic Gregorian `(year, month, day)` of a day counted from 1970-01-01 (day 0),
/// negative before it: Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the 400-year era, [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March-based year
    let mp = (5 * doy + 2) / 153; // month from March, [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a proleptic Gregorian date: the inverse of `civil_from_days`.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = year - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Timestamp {
    /// An RFC 3339 date-time with its offset (`2026-12-31T23:00:00Z`,
    /// `2026-12-31T23:00:00.5+03:00`), to the millisecond; `None` for anything else,
    /// impossible dates (February 30th) included.
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        let num = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = b.get(range)?;
            part.iter()
                .all(u8::is_ascii_digit)
                .then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
        };
        let sep = |at: usize, options: &[u8]| b.get(at).is_some_and(|c| options.contains(c));
        if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
            return None;
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in_month = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            1..=12 => 31,
            _ => return None,
        };
        if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let mut at = 19;
        let mut millis = 0;
        if b.get(at) == Some(&b'.') {
            let digits = b[at + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits == 0 {
                return None;
            }
            for (i, d) in b[at + 1..at + 1 + digits.min(3)].iter().enumerate() {
                millis += u32::from(d - b'0') * 10u32.pow(2 - i as u32);
            }
            at += 1 + digits;
        }
        let offset_minutes: i64 = match b.get(at..)? {
            b"Z" | b"z" => 0,
            [sign @ (b'+' | b'-'), ..] if b.len() == at + 6 && sep(at + 3, b":") => {
                let (h, m) = (num(at + 1..at + 3)?, num(at + 4..at + 6)?);
                if h > 23 || m > 59 {
                    return None;
                }
                let minutes = i64::from(h * 60 + m);
                if *sign == b'-' { -minutes } else { minutes }
            }
            _ => return None,
        };
        let days = days_from_civil(i64::from(year), month, day);
        let secs =
            days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_minutes * 60;
        Some(Timestamp(secs * 1000 + i64::from(millis)))
    }
}

/// A timestamp is a JSON string, `rfc3339`, written without an intermediate `String`.
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.write_rfc3339(&mut [0; RFC3339_MAX]))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn rfc3339_parses_what_it_writes_and_offsets() {
        for ms in [0, 1, 999, 86_399_999, 1_780_000_000_123, -1, -86_400_001] {
            let t = Timestamp(ms);
            assert_eq!(
                Timestamp::parse_rfc3339(&t.rfc3339()),
                Some(t),
                "{}",
                t.rfc3339()
            );
        }
        let utc = Timestamp::parse_rfc3339("2026-12-31T21:00:00Z").expect("utc");
        assert_eq!(
            Timestamp::parse_rfc3339("2027-01-01T00:00:00+03:00"),
            Some(utc)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2026-12-31T20:30:00.0-00:30"),
            Some(utc)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2024-02-29T00:00:00.12345Z").map(|t| t.millis() % 1000),
            Some(123)
        );
        for bad in [
            "",
            "2026-12-31",
            "2026-12-31T21:00:00",
            "2026-02-30T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-12-31T24:00:00Z",
            "2026-12-31T21:00:00.Z",
            "2026-12-31T21:00:00+0300",
            "2026-12-31T21:00:00Zjunk",
            "２026-12-31T21:00:00Z",
            "+2026-12-31T21:00:00Z",
            "tomorrow",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
    }
    use super::*;

    #[test]
    fn rfc3339_is_utc_with_milliseconds() {
        assert_eq!(
            Timestamp(1_700_000_000_123).rfc3339(),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            Timestamp(1_700_000_000_980).rfc3339(),
            "2023-11-14T22:13:20.980Z"
        );
        assert_eq!(
            Timestamp(1_700_000_000_000).rfc3339(),
            "2023-11-14T22:13:20.000Z"
        );
    }

    /// The formatter this module used before it wrote the bytes itself: the oracle.
    fn rfc3339_with_time_crate(t: Timestamp) -> String {
        let nanos = i128::from(t.0) * 1_000_000;
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
            return String::new();
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        )
    }

    fn millis_of(year: i32, month: u8, day: u8, ms_of_day: i64) -> i64 {
        let month = time::Month::try_from(month).expect("month");
        let date = time::Date::from_calendar_date(year, month, day).expect("date");
        let midnight = date.midnight().assume_utc().unix_timestamp();
        midnight * 1000 + ms_of_day
    }

    fn assert_like_oracle(ms: i64) {
        let t = Timestamp(ms);
        let expected = rfc3339_with_time_crate(t);
        assert_eq!(t.rfc3339(), expected, "millis {ms}");
        let json = serde_json::to_string(&t).expect("serialize");
        assert_eq!(json, format!("\"{expected}\""), "millis {ms}");
    }

    #[test]
    fn rfc3339_matches_the_time_crate_on_chosen_instants() {
        let last_ms = 86_400_000 - 1;
        let mut cases = vec![
            0,
            1,
            999,
            1000,
            -1,
            -999,
            -1000,
            -1001,
            -86_400_000,
            -86_400_001,
            1_700_000_000_123,
            i64::MAX,
            i64::MIN,
            i64::MAX / 1_000_000,
            i64::MIN / 1_000_000,
        ];
        let days = [
            (2000, 2, 28),
            (2000, 2, 29),
            (2000, 3, 1),
            (2024, 2, 29),
            (2023, 12, 31),
            (2100, 2, 28),
            (2100, 3, 1),
            (1900, 2, 28),
            (1900, 3, 1),
            (1969, 12, 31),
            (1970, 1, 1),
            (1600, 2, 29),
            (1, 1, 1),
            (0, 1, 1),
            (0, 2, 29),
            (0, 12, 31),
            (-1, 12, 31),
            (-1, 1, 1),
            (-4, 2, 29),
            (-999, 6, 15),
            (-1000, 1, 1),
            (-9999, 1, 1),
            (9999, 12, 31),
            (1000, 1, 1),
            (999, 12, 31),
            (99, 1, 1),
        ];
        for (y, m, d) in days {
            for ms_of_day in [0, 1, 59_999, 3_600_000, 43_200_500, last_ms] {
                cases.push(millis_of(y, m, d, ms_of_day));
            }
        }
        // Just outside the years the old formatter could render: empty, as it was.
        let first = millis_of(-9999, 1, 1, 0);
        let last = millis_of(9999, 12, 31, last_ms);
        cases.extend([first - 1, last + 1, first - 86_400_000, last + 86_400_000]);
        for ms in cases {
            assert_like_oracle(ms);
        }
        assert_eq!(Timestamp(last + 1).rfc3339(), "");
        assert_eq!(Timestamp(last).rfc3339(), "9999-12-31T23:59:59.999Z");
        assert_eq!(Timestamp(first).rfc3339(), "-9999-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp(millis_of(-1, 12, 31, 0)).rfc3339(),
            "-001-12-31T00:00:00.000Z"
        );
        assert_eq!(Timestamp(-1).rfc3339(), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn rfc3339_matches_the_time_crate_on_random_instants() {
        // xorshift64*: deterministic, no extra dependency.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        // ±12,675 years around 1970: past both ends of -9999..=9999.
        let span = 2 * 400_000_000_000_000_u64;
        for _ in 0..100_000 {
            let ms = (next() % span) as i64 - span as i64 / 2;
            assert_like_oracle(ms);
        }
        // The years clients actually see, 1970 to 2100, more densely.
        for _ in 0..100_000 {
            assert_like_oracle((next() % 4_102_444_800_000) as i64);
        }
    }

    #[test]
    fn system_time_round_trips_whole_milliseconds() {
        for ms in [0, 1, 999, 1_700_000_000_123, -1, -1_500] {
            assert_eq!(
                Timestamp::from_system(Timestamp(ms).to_system()),
                Timestamp(ms)
            );
        }
    }

    #[test]
    fn http_date_drops_milliseconds() {
        assert_eq!(
            Timestamp(1_700_000_000_999).http_date(),
            "Tue, 14 Nov 2023 22:13:20 GMT"
        );
    }
}
