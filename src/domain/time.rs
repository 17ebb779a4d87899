//! Calendar arithmetic shared by the portal's pages and the sandbox.

/// Days since 1970-01-01 -> (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (y, m as u32, d as u32)
}

/// (year, month, day) -> days since 1970-01-01, the inverse of `civil_from_days`.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// India Standard Time is UTC+05:30 all year (no daylight saving).
pub const IST_OFFSET_MS: i64 = 19_800_000;

/// `YYYY-MM-DD` (a date in IST, as an HTML date input sends it) -> the unix
/// milliseconds of its first instant; `None` for anything else, including
/// impossible dates like 2026-02-30.
pub fn ist_date_start_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d < 1 || y < 1970 {
        return None;
    }
    let days = days_from_civil(y, m as u32, d as u32);
    // Reject days that roll over into the next month.
    if civil_from_days(days) != (y, m as u32, d as u32) {
        return None;
    }
    Some(days * 86_400_000 - IST_OFFSET_MS)
}

/// The IST date (`YYYY-MM-DD`) of an instant.
pub fn ist_date(ms: i64) -> String {
    let (y, m, d) = civil_from_days((ms + IST_OFFSET_MS).div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_round_trip_and_refuse_nonsense() {
        for days in [-1, 0, 11_016, 20_727, 30_000] {
            let (y, m, d) = super::civil_from_days(days);
            assert_eq!(super::days_from_civil(y, m, d), days);
        }
        // 2026-10-01 00:00 IST = 2026-09-30 18:30 UTC
        assert_eq!(super::ist_date_start_ms("2026-10-01"), Some(20_727 * 86_400_000 - 19_800_000));
        assert_eq!(super::ist_date(20_727 * 86_400_000 - 19_800_000), "2026-10-01");
        for bad in ["2026-02-30", "2026-13-01", "2026-1-01", "26-10-01", "", "2026-10-0x", "+026-10-01"] {
            assert_eq!(super::ist_date_start_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_727), (2026, 10, 1));
        assert_eq!(super::civil_from_days(-1), (1969, 12, 31));
        assert_eq!(super::civil_from_days(11_016), (2000, 2, 29));
    }
}
