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

#[cfg(test)]
mod tests {
    #[test]
    fn shows_wib() {
        // 2026-11-23 03:15:00 UTC = 10:15 WIB
        assert_eq!(super::wib(1_795_403_700), "23/11/2026 10:15");
        assert_eq!(super::wib_time(1_795_403_700), "10:15");
    }
}
