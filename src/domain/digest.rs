//! Admin notices that scale (issue 14): a notice about money coming in carries a [`Tally`], and
//! notices to one chat that are due together go out as one [`Digest`] instead of a queue that
//! Telegram's per-chat limit (about one message a second, 20 a minute in a group) spreads over
//! minutes. A notice that is alone still goes out as it is.

use serde::{Deserialize, Serialize};

/// What a notice counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TallyKind {
    /// A paid order (its goods delivered).
    Order,
    /// A deposit credited to a balance.
    Deposit,
}

/// The countable part of one notice: what came in, how much, and its one line in a digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub kind: TallyKind,
    pub amount: i64,
    /// One line of HTML (already escaped) naming the order: invoice, product, buyer, total.
    pub line: String,
}

/// Lines a digest lists before "… dan N lainnya" (a Telegram message holds 4,096 characters).
pub const MAX_LINES: usize = 15;

/// The line of a single new-order notice that names the buyer, and of a deposit notice that
/// names the depositor: the texts write them, erasure (`store::privacy`) keeps only the id there.
pub const BUYER_LABEL: &str = "Pembeli: ";
pub const DEPOSITOR_LABEL: &str = "Pengguna: ";

/// Several notices summed up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Digest {
    pub orders: usize,
    pub order_total: i64,
    pub deposits: usize,
    pub deposit_total: i64,
    /// Seconds between the first and the last notice.
    pub span_seconds: i64,
    /// The first [`MAX_LINES`] lines, in order.
    pub lines: Vec<String>,
    /// Notices not listed line by line.
    pub more: usize,
}

impl Digest {
    /// Sums `(tally, created_at)` pairs, in the order the notices were written.
    pub fn of<'a>(notices: impl IntoIterator<Item = (&'a Tally, i64)>) -> Self {
        let mut d = Self::default();
        let mut span: Option<(i64, i64)> = None;
        for (tally, at) in notices {
            match tally.kind {
                TallyKind::Order => {
                    d.orders += 1;
                    d.order_total = d.order_total.saturating_add(tally.amount);
                }
                TallyKind::Deposit => {
                    d.deposits += 1;
                    d.deposit_total = d.deposit_total.saturating_add(tally.amount);
                }
            }
            span = Some(span.map_or((at, at), |(first, last)| (first.min(at), last.max(at))));
            if d.lines.len() < MAX_LINES {
                d.lines.push(tally.line.clone());
            } else {
                d.more += 1;
            }
        }
        d.span_seconds = span.map_or(0, |(first, last)| last - first);
        d
    }

    pub fn count(&self) -> usize {
        self.orders + self.deposits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tally(kind: TallyKind, amount: i64) -> Tally {
        Tally { kind, amount, line: format!("{amount}") }
    }

    #[test]
    fn orders_and_deposits_are_summed_apart_and_lines_stop_at_the_limit() {
        let mut notices: Vec<(Tally, i64)> = (0..20).map(|i| (tally(TallyKind::Order, 10_000), 100 + i)).collect();
        notices.push((tally(TallyKind::Deposit, 50_000), 160));
        let d = Digest::of(notices.iter().map(|(t, at)| (t, *at)));
        assert_eq!((d.orders, d.order_total), (20, 200_000));
        assert_eq!((d.deposits, d.deposit_total), (1, 50_000));
        assert_eq!((d.lines.len(), d.more), (MAX_LINES, 21 - MAX_LINES));
        assert_eq!(d.span_seconds, 60);
    }

    proptest! {
        #[test]
        fn a_digest_counts_every_notice_and_every_rupiah(
            notices in proptest::collection::vec((any::<bool>(), 0_i64..10_000_000, 0_i64..1_000), 0..60)
        ) {
            let tallies: Vec<(Tally, i64)> = notices
                .iter()
                .map(|(order, amount, at)| {
                    (tally(if *order { TallyKind::Order } else { TallyKind::Deposit }, *amount), *at)
                })
                .collect();
            let d = Digest::of(tallies.iter().map(|(t, at)| (t, *at)));
            prop_assert_eq!(d.count(), notices.len());
            prop_assert_eq!(d.lines.len() + d.more, notices.len());
            prop_assert_eq!(d.order_total + d.deposit_total, notices.iter().map(|n| n.1).sum::<i64>());
            prop_assert!(d.span_seconds >= 0);
        }
    }
}
