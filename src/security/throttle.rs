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

/// A fixed-window limiter for HTTP callers (keyed by source address).
#[derive(Clone)]
pub struct HttpLimiter {
    limit: u32,
    window: Duration,
    windows: Cache<String, Arc<Mutex<(Instant, u32)>>>,
}

impl HttpLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window, windows: Cache::builder().time_to_idle(window * 2).max_capacity(100_000).build() }
    }

    /// `Err(retry_after_seconds)` when over the limit.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let w = self.windows.get_with(key.to_string(), || Arc::new(Mutex::new((now, 0))));
        let mut w = w.lock().unwrap_or_else(|e| e.into_inner());
        if now.duration_since(w.0) >= self.window {
            *w = (now, 0);
        }
        if w.1 >= self.limit {
            let left = self.window.saturating_sub(now.duration_since(w.0));
            return Err(left.as_secs().max(1));
        }
        w.1 += 1;
        Ok(())
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
        let l = HttpLimiter::new(2, Duration::from_secs(60));
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        assert!(matches!(l.check("a"), Err(s) if s >= 1));
        assert!(l.check("b").is_ok());
    }
}
