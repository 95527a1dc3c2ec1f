//! Pakasir webhook requests refused before authentication (a wrong or missing `X-Secret`, or
//! over a limit), recorded as summaries (issue 12, defect 10).
//!
//! Each refusal is counted in the metrics at once. The security events table and the append-only
//! audit log get at most ONE row per reason and minute, carrying how many refusals it stands for:
//! the first refusal of a reason in a minute writes its row immediately (a lone forged webhook
//! is visible at once); further ones in that minute only add to a counter, which a periodic
//! flush (or the next refusal in a later minute) writes as the next row. So junk costs memory for
//! a handful of counters, not a row per request. Refusals after the secret matched (body too
//! large or late, malformed JSON) come from whoever holds the secret, are bounded by the
//! per-caller limit, and keep a row each ([`RejectionLog::reject_each`]).

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::json;
use tokio::sync::watch;

use crate::{
    domain::audit::{ActorType, AuditAction},
    security::audit::{entry, EntryExt},
    store::{security::SecurityEventError, Db},
};

/// How often pending counts are looked at; a summary is written at most this long after its
/// minute ended.
const FLUSH_EVERY: Duration = Duration::from_secs(10);

/// One row to write: `count` refusals for `reason` between `first_at` and `last_at` (Unix s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub reason: &'static str,
    pub count: u64,
    pub first_at: i64,
    pub last_at: i64,
}

#[derive(Default)]
struct Pending {
    count: u64,
    first_at: i64,
    last_at: i64,
    /// The minute (Unix s / 60) of the last row written for this reason.
    written_in: Option<i64>,
}

impl Pending {
    fn take(&mut self, minute: i64) -> Summary {
        self.written_in = Some(minute);
        let s = Summary { reason: "", count: self.count, first_at: self.first_at, last_at: self.last_at };
        self.count = 0;
        s
    }
}

/// The counting rule, without clocks or storage: at most one summary per reason and minute,
/// and every refusal counted in exactly one summary (once flushed).
#[derive(Default)]
pub struct Tally {
    reasons: BTreeMap<&'static str, Pending>,
}

impl Tally {
    /// Counts one refusal at `now` (Unix s); returns the row to write now, if this reason has
    /// no row in this minute yet.
    pub fn note(&mut self, reason: &'static str, now: i64) -> Option<Summary> {
        let minute = now.div_euclid(60);
        let p = self.reasons.entry(reason).or_default();
        if p.count == 0 {
            p.first_at = now;
        }
        p.count = p.count.saturating_add(1);
        p.last_at = now;
        (p.written_in != Some(minute)).then(|| Summary { reason, ..p.take(minute) })
    }

    /// Rows due at `now`: counts of reasons that have no row in this minute yet.
    pub fn due(&mut self, now: i64) -> Vec<Summary> {
        let minute = now.div_euclid(60);
        self.reasons
            .iter_mut()
            .filter(|(_, p)| p.count > 0 && p.written_in != Some(minute))
            .map(|(reason, p)| Summary { reason, ..p.take(minute) })
            .collect()
    }

    /// Everything still counted (at shutdown: better one extra row than lost counts).
    pub fn drain(&mut self, now: i64) -> Vec<Summary> {
        let minute = now.div_euclid(60);
        self.reasons
            .iter_mut()
            .filter(|(_, p)| p.count > 0)
            .map(|(reason, p)| Summary { reason, ..p.take(minute) })
            .collect()
    }
}

/// The tally plus where its rows go. Cheap to clone.
#[derive(Clone)]
pub struct RejectionLog {
    tally: Arc<Mutex<Tally>>,
    db: Db,
}

impl RejectionLog {
    pub fn new(db: Db) -> Self {
        Self { tally: Arc::default(), db }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One refused request: counted now, written as part of a summary (see the module doc).
    pub async fn reject(&self, reason: &'static str) {
        crate::metrics::global().inc("webhook_outcomes_total", &[("source", "pakasir"), ("reason", reason)]);
        tracing::debug!(event = "webhook_rejected", source = "pakasir", reason);
        let row = self.lock().note(reason, crate::store::now());
        if let Some(row) = row {
            self.write(row).await;
        }
    }

    /// A refusal after authentication: counted and written as its own row (`count` 1).
    pub async fn reject_each(&self, reason: &'static str) {
        crate::metrics::global().inc("webhook_outcomes_total", &[("source", "pakasir"), ("reason", reason)]);
        let now = crate::store::now();
        self.write(Summary { reason, count: 1, first_at: now, last_at: now }).await;
    }

    /// Writes the summaries that are due.
    pub async fn flush_due(&self) {
        let rows = self.lock().due(crate::store::now());
        for row in rows {
            self.write(row).await;
        }
    }

    async fn flush_all(&self) {
        let rows = self.lock().drain(crate::store::now());
        for row in rows {
            self.write(row).await;
        }
    }

    async fn write(&self, row: Summary) {
        tracing::warn!(
            event = "webhook_rejected",
            source = "pakasir",
            reason = row.reason,
            count = row.count,
            "pakasir webhook requests refused"
        );
        let detail =
            json!({ "reason": row.reason, "count": row.count, "first_at": row.first_at, "last_at": row.last_at });
        let rejected = entry(None, ActorType::Pakasir, AuditAction::WebhookRejected).entity("webhook", "pakasir");
        match self.db.security_event(rejected.meta(detail)).await {
            Ok(()) => {}
            Err(SecurityEventError::Event(e)) => tracing::error!(error = %e, "security event not recorded"),
            Err(SecurityEventError::Audit(e)) => tracing::error!(error = %e, "audit: webhook rejections not recorded"),
        }
    }

    /// Writes due summaries every few seconds; at shutdown, whatever is still counted.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(FLUSH_EVERY) => self.flush_due().await,
                _ = shutdown.changed() => break,
            }
        }
        self.flush_all().await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn first_refusal_of_a_minute_is_written_at_once_the_rest_as_one_summary() {
        let mut t = Tally::default();
        let m = 1_000 * 60;
        assert_eq!(
            t.note("bad_secret", m + 1),
            Some(Summary { reason: "bad_secret", count: 1, first_at: m + 1, last_at: m + 1 })
        );
        for s in 2..50 {
            assert_eq!(t.note("bad_secret", m + s), None);
        }
        assert_eq!(t.note("throttled", m + 50).map(|s| s.count), Some(1), "reasons are separate");
        assert!(t.due(m + 59).is_empty(), "nothing more in the same minute");
        let rows = t.due(m + 61);
        assert_eq!(rows, vec![Summary { reason: "bad_secret", count: 48, first_at: m + 2, last_at: m + 49 }]);
        assert_eq!(t.note("bad_secret", m + 62), None, "the summary was this minute's row");
        assert_eq!(t.drain(m + 63).iter().map(|s| s.count).sum::<u64>(), 1);
        assert!(t.drain(m + 64).is_empty());
    }

    proptest! {
        /// For any refusals and flush times: no reason gets two rows in one minute (before
        /// shutdown), and the rows' counts add up to the number of refusals.
        #[test]
        fn one_row_per_reason_and_minute_and_nothing_lost(
            events in proptest::collection::vec((0usize..3, 0i64..600, any::<bool>()), 0..300),
        ) {
            const REASONS: [&str; 3] = ["bad_secret", "malformed_body", "throttled"];
            let mut events = events;
            events.sort_by_key(|e| e.1);
            let mut t = Tally::default();
            let mut rows: Vec<(i64, Summary)> = Vec::new();
            let mut noted = 0u64;
            for (r, at, flush) in &events {
                if *flush {
                    rows.extend(t.due(*at).into_iter().map(|s| (*at, s)));
                }
                noted += 1;
                rows.extend(t.note(REASONS[*r], *at).map(|s| (*at, s)));
            }
            let mut per: HashMap<(&str, i64), u32> = HashMap::new();
            for (at, s) in &rows {
                let n = per.entry((s.reason, at.div_euclid(60))).or_default();
                *n += 1;
                prop_assert!(*n <= 1, "two rows for {} in minute {}", s.reason, at / 60);
                prop_assert!(s.count >= 1 && s.first_at <= s.last_at && s.last_at <= *at);
            }
            let end = events.last().map_or(0, |e| e.1) + 60;
            rows.extend(t.due(end).into_iter().map(|s| (end, s)));
            rows.extend(t.drain(end).into_iter().map(|s| (end, s)));
            prop_assert_eq!(rows.iter().map(|(_, s)| s.count).sum::<u64>(), noted);
        }
    }
}
