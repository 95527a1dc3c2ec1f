//! The sales report (`quickcart report`, issue 16): what the orders and the ledger say about the
//! last N days, counted in WIB days. The store gathers the rows (`store::report`); the rules of
//! putting them together live here.

use super::time::{wib_day, wib_day_start};

/// The last `days` WIB days, today included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub first_day: i64,
    pub days: i64,
}

impl Window {
    /// Reports cover a day to a year.
    pub const MAX_DAYS: i64 = 366;

    pub fn last(days: i64, now: i64) -> Self {
        let days = days.clamp(1, Self::MAX_DAYS);
        Self { first_day: wib_day(now) - (days - 1), days }
    }

    /// The first second of the window (unix).
    pub fn since(&self) -> i64 {
        wib_day_start(self.first_day)
    }

    /// The first second after the window (unix).
    pub fn until(&self) -> i64 {
        wib_day_start(self.first_day + self.days)
    }

    pub fn last_day(&self) -> i64 {
        self.first_day + self.days - 1
    }
}

/// Paid orders of one WIB day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Day {
    pub day: i64,
    pub orders: i64,
    pub revenue: i64,
}

/// A line of a top list: a product (`count` = items sold) or a buyer (`count` = orders).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranked {
    pub label: String,
    pub count: i64,
    pub amount: i64,
}

/// How long a product's stock lasts at the pace it sold in the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Runway {
    pub product: String,
    pub stock: i64,
    pub sold: i64,
    /// Whole days left (0: sold out or gone within a day).
    pub days_left: i64,
}

/// A count and its rupiah.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: i64,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub window: Window,
    /// Every day of the window, oldest first, days without sales included.
    pub days: Vec<Day>,
    /// Paid orders (refunded ones included: they were sales; refunds are listed apart).
    pub sales: Tally,
    pub deposits: Tally,
    pub refunds: Tally,
    pub top_products: Vec<Ranked>,
    pub top_buyers: Vec<Ranked>,
    pub running_out: Vec<Runway>,
}

/// Every day of `window`, with the sales of the days that had any.
pub fn every_day(window: Window, sold: &[Day]) -> Vec<Day> {
    (window.first_day..=window.last_day())
        .map(|day| {
            sold.iter().filter(|d| d.day == day).fold(Day { day, ..Day::default() }, |acc, d| Day {
                day,
                orders: acc.orders + d.orders,
                revenue: acc.revenue + d.revenue,
            })
        })
        .collect()
}

/// The products whose stock runs out soonest at the pace they sold in the window: those that
/// sold at all, soonest first, at most `limit`. `(product, stock available, items sold)`.
pub fn running_out(window: Window, products: Vec<(String, i64, i64)>, limit: usize) -> Vec<Runway> {
    let mut out: Vec<Runway> = products
        .into_iter()
        .filter(|(_, _, sold)| *sold > 0)
        .map(|(product, stock, sold)| Runway { days_left: stock.max(0) * window.days / sold, product, stock, sold })
        .collect();
    out.sort_by(|a, b| a.days_left.cmp(&b.days_left).then(b.sold.cmp(&a.sold)));
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_window_is_whole_wib_days_ending_today() {
        // 2026-11-25 18:00 UTC is already the 26th in WIB.
        let now = 1_795_629_600;
        let w = Window::last(7, now);
        assert_eq!(super::super::time::wib_day_label(w.last_day()), "26/11/2026");
        assert_eq!(super::super::time::wib_day_label(w.first_day), "20/11/2026");
        assert_eq!(w.until() - w.since(), 7 * 86_400);
        assert!(w.since() <= now && now < w.until());
        assert_eq!(Window::last(0, now).days, 1);
        assert_eq!(Window::last(10_000, now).days, Window::MAX_DAYS);
    }

    #[test]
    fn stock_that_sells_fastest_for_what_is_left_comes_first() {
        let w = Window { first_day: 0, days: 7 };
        let list =
            running_out(w, vec![("A".into(), 10, 7), ("B".into(), 0, 3), ("C".into(), 50, 0), ("D".into(), 2, 14)], 3);
        let names: Vec<(&str, i64)> = list.iter().map(|r| (r.product.as_str(), r.days_left)).collect();
        assert_eq!(names, vec![("B", 0), ("D", 1), ("A", 10)], "C never sold: no runway to tell");
    }

    proptest! {
        #[test]
        fn every_day_is_listed_once_and_no_sale_is_lost(
            days in 1i64..40,
            sales in proptest::collection::vec((0i64..40, 1i64..5, 1i64..1_000_000), 0..60),
        ) {
            let w = Window { first_day: 100, days };
            let sold: Vec<Day> = sales.iter().map(|(d, n, rp)| Day { day: 100 + d, orders: *n, revenue: *rp }).collect();
            let all = every_day(w, &sold);
            prop_assert_eq!(all.len() as i64, days);
            prop_assert!(all.windows(2).all(|p| p[0].day + 1 == p[1].day));
            let inside = |d: &&Day| d.day <= w.last_day();
            prop_assert_eq!(all.iter().map(|d| d.revenue).sum::<i64>(), sold.iter().filter(inside).map(|d| d.revenue).sum::<i64>());
            prop_assert_eq!(all.iter().map(|d| d.orders).sum::<i64>(), sold.iter().filter(inside).map(|d| d.orders).sum::<i64>());
        }
    }
}
