//! Per-user throttle (SPEC §7): `limit` updates per `window`; over it the update is dropped, the
//! user hears "terlalu cepat" at most once per window, and ≥ 20 denials in 15 minutes escalate
//! to a temporary block.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use moka::sync::Cache;

pub const ESCALATE_DENIES: usize = 20;
pub const ESCALATE_WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Dropped. `notify`: the first denial of this window (tell the user once).
    /// `escalate`: this denial crossed the escalation threshold.
    Deny {
        notify: bool,
        escalate: bool,
    },
}

#[derive(Default)]
struct UserState {
    hits: VecDeque<Instant>,
    denies: VecDeque<Instant>,
    notified_at: Option<Instant>,
    escalated_at: Option<Instant>,
}

#[derive(Clone)]
pub struct Throttle {
    limit: usize,
    window: Duration,
    users: Cache<i64, Arc<Mutex<UserState>>>,
}

impl Throttle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: usize::try_from(limit.max(1)).unwrap_or(usize::MAX),
            window,
            // Idle users are forgotten after the longest window that matters.
            users: Cache::builder().time_to_idle(ESCALATE_WINDOW.max(window)).max_capacity(1_000_000).build(),
        }
    }

    pub fn check(&self, user: i64) -> Verdict {
        self.check_at(user, Instant::now())
    }

    pub fn check_at(&self, user: i64, now: Instant) -> Verdict {
        let state = self.users.get_with(user, Arc::default);
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        while s.hits.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            s.hits.pop_front();
        }
        if s.hits.len() < self.limit {
            s.hits.push_back(now);
            return Verdict::Allow;
        }
        while s.denies.front().is_some_and(|t| now.duration_since(*t) >= ESCALATE_WINDOW) {
            s.denies.pop_front();
        }
        s.denies.push_back(now);
        let notify = s.notified_at.is_none_or(|t| now.duration_since(t) >= self.window);
        if notify {
            s.notified_at = Some(now);
        }
        let escalate = s.denies.len() >= ESCALATE_DENIES
            && s.escalated_at.is_none_or(|t| now.duration_since(t) >= ESCALATE_WINDOW);
        if escalate {
            s.escalated_at = Some(now);
        }
        Verdict::Deny { notify, escalate }
    }
}

/// Fixed-window limits for HTTP callers: one window per caller key (source address), plus one
/// window shared by all callers for the requests the caller asks [`HttpLimiter::check_global`]
/// about (the Pakasir webhook: those that failed authentication), so that many or spoofed
/// addresses cannot multiply the per-caller allowance.
#[derive(Clone)]
pub struct HttpLimiter {
    limit: u32,
    global_limit: u32,
    window: Duration,
    windows: Cache<String, Arc<Mutex<(Instant, u32)>>>,
    global: Arc<Mutex<Option<(Instant, u32)>>>,
}

/// One fixed window: `Err(retry_after_seconds)` once `limit` hits were counted in it.
fn hit(w: &mut (Instant, u32), limit: u32, window: Duration, now: Instant) -> Result<(), u64> {
    if now.saturating_duration_since(w.0) >= window {
        *w = (now, 0);
    }
    if w.1 >= limit {
        let left = window.saturating_sub(now.saturating_duration_since(w.0));
        return Err(left.as_secs().max(1));
    }
    w.1 += 1;
    Ok(())
}

impl HttpLimiter {
    pub fn new(limit: u32, global_limit: u32, window: Duration) -> Self {
        Self {
            limit,
            global_limit,
            window,
            windows: Cache::builder().time_to_idle(window * 2).max_capacity(100_000).build(),
            global: Arc::default(),
        }
    }

    /// Per caller. `Err(retry_after_seconds)` when over the limit.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    pub fn check_at(&self, key: &str, now: Instant) -> Result<(), u64> {
        let w = self.windows.get_with(key.to_string(), || Arc::new(Mutex::new((now, 0))));
        let mut w = w.lock().unwrap_or_else(|e| e.into_inner());
        hit(&mut w, self.limit, self.window, now)
    }

    /// Across all callers. `Err(retry_after_seconds)` when over the global cap.
    pub fn check_global(&self) -> Result<(), u64> {
        self.check_global_at(Instant::now())
    }

    pub fn check_global_at(&self, now: Instant) -> Result<(), u64> {
        let mut g = self.global.lock().unwrap_or_else(|e| e.into_inner());
        let w = g.get_or_insert((now, 0));
        hit(w, self.global_limit, self.window, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_notifies_once_per_window_and_escalates() {
        let t = Throttle::new(8, Duration::from_secs(10));
        let start = Instant::now();
        for i in 0..8 {
            assert_eq!(t.check_at(1, start + Duration::from_millis(i)), Verdict::Allow);
        }
        assert_eq!(t.check_at(1, start + Duration::from_millis(9)), Verdict::Deny { notify: true, escalate: false });
        assert_eq!(t.check_at(1, start + Duration::from_millis(10)), Verdict::Deny { notify: false, escalate: false });
        assert_eq!(t.check_at(2, start), Verdict::Allow, "users are independent");
        // After the window, allowed again.
        assert_eq!(t.check_at(1, start + Duration::from_secs(11)), Verdict::Allow);
        let mut escalations = 0;
        for i in 0..40 {
            if let Verdict::Deny { escalate: true, .. } =
                t.check_at(1, start + Duration::from_secs(11) + Duration::from_millis(i))
            {
                escalations += 1;
            }
        }
        assert_eq!(escalations, 1, "escalates once");
    }

    #[test]
    fn http_limiter() {
        let l = HttpLimiter::new(2, 10, Duration::from_secs(60));
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        assert!(matches!(l.check("a"), Err(s) if s >= 1));
        assert!(l.check("b").is_ok());
    }

    #[test]
    fn global_cap_is_shared_by_all_callers_and_reopens_after_the_window() {
        let l = HttpLimiter::new(300, 3, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(l.check_at(&format!("10.0.0.{i}"), t0).is_ok());
            assert!(l.check_global_at(t0).is_ok());
        }
        assert!(l.check_at("10.0.0.99", t0).is_ok(), "a new caller is under its own limit");
        assert_eq!(l.check_global_at(t0 + Duration::from_secs(20)), Err(40), "but not under the global cap");
        assert!(l.check_global_at(t0 + Duration::from_secs(60)).is_ok(), "next window");
    }

    proptest::proptest! {
        /// Whatever the callers and timing, within one window no more than `global` requests
        /// pass the global cap and no caller passes more than `limit`; a denial's retry hint is
        /// within the window.
        #[test]
        fn caps_hold_for_any_traffic(
            limit in 1u32..20,
            global in 1u32..50,
            hits in proptest::collection::vec((0u8..40, 0u64..59_000), 0..400),
        ) {
            let l = HttpLimiter::new(limit, global, Duration::from_secs(60));
            let t0 = Instant::now();
            let mut hits = hits;
            hits.sort_by_key(|h| h.1);
            let (mut passed, mut per) = (0u32, std::collections::HashMap::<u8, u32>::new());
            for (who, ms) in hits {
                let now = t0 + Duration::from_millis(ms);
                match l.check_at(&who.to_string(), now) {
                    Ok(()) => *per.entry(who).or_default() += 1,
                    Err(s) => proptest::prop_assert!((1..=60).contains(&s)),
                }
                match l.check_global_at(now) {
                    Ok(()) => passed += 1,
                    Err(s) => proptest::prop_assert!((1..=60).contains(&s)),
                }
            }
            proptest::prop_assert!(passed <= global);
            proptest::prop_assert!(per.values().all(|n| *n <= limit));
        }
    }
}
