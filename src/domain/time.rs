//! Time is UTC inside; people see Western Indonesia Time (WIB, UTC+7, no daylight saving).

use chrono::{DateTime, FixedOffset, Offset, Utc};

const WIB_OFFSET_SECONDS: i32 = 7 * 3600;

fn wib_zone() -> FixedOffset {
    // UTC+7 is within FixedOffset's ±24 h range; east_opt cannot fail for it.
    FixedOffset::east_opt(WIB_OFFSET_SECONDS).unwrap_or_else(|| Utc.fix())
}

/// `23/11/2026 10:15` in WIB for a unix timestamp.
pub fn wib(unix: i64) -> String {
    match DateTime::<Utc>::from_timestamp(unix, 0) {
        Some(t) => t.with_timezone(&wib_zone()).format("%d/%m/%Y %H:%M").to_string(),
        None => "-".into(),
    }
}

/// `10:15` in WIB.
pub fn wib_time(unix: i64) -> String {
    match DateTime::<Utc>::from_timestamp(unix, 0) {
        Some(t) => t.with_timezone(&wib_zone()).format("%H:%M").to_string(),
        None => "-".into(),
    }
}

/// The WIB calendar day of a unix timestamp, counted in days since 1970-01-01 (WIB).
pub fn wib_day(unix: i64) -> i64 {
    (unix + i64::from(WIB_OFFSET_SECONDS)).div_euclid(86_400)
}

/// When WIB day `day` (as [`wib_day`] counts) begins, as a unix timestamp.
pub fn wib_day_start(day: i64) -> i64 {
    day * 86_400 - i64::from(WIB_OFFSET_SECONDS)
}

/// `23/11/2026` for WIB day `day`.
pub fn wib_day_label(day: i64) -> String {
    wib(wib_day_start(day)).split(' ').next().unwrap_or("-").to_string()
}

/// The WIB calendar day of a unix timestamp (the day people see; it starts at 17:00 UTC).
pub fn wib_date(unix: i64) -> Option<chrono::NaiveDate> {
    DateTime::<Utc>::from_timestamp(unix, 0).map(|t| t.with_timezone(&wib_zone()).date_naive())
}

#[cfg(test)]
mod tests {
    #[test]
    fn wib_day_starts_at_17_utc() {
        // 2026-11-23 16:59:59 UTC is still the 23rd in WIB; 17:00:00 UTC is the 24th.
        assert_eq!(super::wib_date(1_795_453_199).map(|d| d.to_string()).as_deref(), Some("2026-11-23"));
        assert_eq!(super::wib_date(1_795_453_200).map(|d| d.to_string()).as_deref(), Some("2026-11-24"));
    }

    #[test]
    fn shows_wib() {
        // 2026-11-23 03:15:00 UTC = 10:15 WIB
        assert_eq!(super::wib(1_795_403_700), "23/11/2026 10:15");
        assert_eq!(super::wib_time(1_795_403_700), "10:15");
    }

    #[test]
    fn a_wib_day_begins_at_midnight_wib() {
        // 2026-11-22 17:00 UTC is midnight WIB on the 23rd; a second earlier is still the 22nd.
        let midnight = 1_795_366_800;
        assert_eq!(super::wib(midnight), "23/11/2026 00:00");
        let day = super::wib_day(midnight);
        assert_eq!(super::wib_day(midnight - 1), day - 1);
        assert_eq!(super::wib_day_start(day), midnight);
        assert_eq!(super::wib_day_label(day), "23/11/2026");
    }
}
