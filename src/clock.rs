//! Timestamps: UTC milliseconds since the Unix epoch, the one time type the store keeps,
//! rendered as RFC 3339 in JSON and as an HTTP date in headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

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

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-25T08:00:00.123Z`.
    pub fn rfc3339(self) -> String {
        // Always three fraction digits: clients may compare these as strings.
        let nanos = i128::from(self.0) * 1_000_000;
        let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
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

    /// IMF-fixdate for `Last-Modified` (whole seconds, as HTTP dates are).
    pub fn http_date(self) -> String {
        let t = UNIX_EPOCH + Duration::from_secs(self.secs().max(0) as u64);
        httpdate::fmt_http_date(t)
    }
}

#[cfg(test)]
mod tests {
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
