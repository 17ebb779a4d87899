//! Clock helpers (no date library needed).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The provider account's time zone for `created_datetime` and
/// `activated_datetime`: UTC+08:00 (the documented default).
pub const PROVIDER_UTC_OFFSET_SECS: i64 = 8 * 3600;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
}

pub fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

use crate::domain::time::civil_from_days;

/// `YYYY-MM-DD HH:MM:SS` of `ms` shifted by `offset_secs`.
pub fn format_at_offset(ms: i64, offset_secs: i64) -> String {
    let secs = ms.div_euclid(1000).saturating_add(offset_secs);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    format!("{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// The provider's datetime format, in UTC+08:00.
pub fn provider_datetime(ms: i64) -> String {
    format_at_offset(ms, PROVIDER_UTC_OFFSET_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(format_at_offset(0, 0), "1970-01-01 00:00:00");
        // 2023-08-25 02:47:40 UTC = 10:47:40 at UTC+08:00.
        assert_eq!(provider_datetime(1_692_931_660_000), "2023-08-25 10:47:40");
        // Leap day and a day change caused by the offset.
        assert_eq!(format_at_offset(1_709_164_800_000, 0), "2024-02-29 00:00:00");
        assert_eq!(provider_datetime(1_709_236_799_000), "2024-03-01 03:59:59");
        assert_eq!(format_at_offset(-1000, 0), "1969-12-31 23:59:59");
    }
}
