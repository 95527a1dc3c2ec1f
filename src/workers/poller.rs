//! Checks pending QRIS orders at Pakasir, so a lost webhook never loses a sale. Each order is
//! asked at most every `PAKASIR_POLL_SECONDS` (and never more than once per 4 s). Every pending
//! order is looked at: each pass takes the next page of them (by id, starting over after the
//! last), and asks about the page several orders at once (issue 17).
//!
//! Reconciliation: a QR can stay payable at Pakasir after our expiry (its cancel may fail, or not
//! exist), so orders closed in the last 24 hours whose transaction is not known to be canceled
//! are asked about too, less often the older they are; a payment found there is credited.

use std::time::Duration;

use moka::sync::Cache;
use tokio::sync::watch;

use crate::{
    shop::{payment::Settled, Shop},
    store,
};

/// Closed orders are watched this long (a QR stays payable at most a day).
const RECONCILE_WINDOW: i64 = 24 * 3600;
/// Closed orders asked about per pass (one pass a second).
const RECONCILE_BATCH: i64 = 10;
/// Pending orders loaded per pass.
const PAGE: i64 = 200;

pub async fn run(shop: Shop, mut shutdown: watch::Receiver<bool>) {
    if shop.gateway().is_none() {
        return;
    }
    let interval = Duration::from_secs(shop_poll_seconds(&shop));
    let recently: Cache<i64, ()> = Cache::builder().time_to_live(interval).build();
    // The last order id of the previous page; 0 = start from the oldest.
    let mut after = 0;
    loop {
        match shop.db().call(move |c| store::orders::pending_qris(c, after, PAGE)).await {
            Ok(orders) => {
                let full = i64::try_from(orders.len()).unwrap_or(PAGE) >= PAGE;
                after = if full { orders.last().map_or(0, |o| o.id) } else { 0 };
                let due: Vec<_> = orders.into_iter().filter(|o| !recently.contains_key(&o.id)).collect();
                for order in &due {
                    recently.insert(order.id, ());
                }
                super::each_bounded(due, super::CONCURRENT_CHECKS, |order| {
                    let shop = shop.clone();
                    async move { check(&shop, &order).await }
                })
                .await;
            }
            Err(e) => tracing::error!(error = %e, "poller: database error"),
        }
        if let Err(e) = reconcile(&shop).await {
            tracing::error!(error = %e, "reconciliation: database error");
        }
        if super::pause(&mut shutdown, Duration::from_secs(1)).await {
            return;
        }
    }
}

/// Asks Pakasir about one pending order and applies a completed payment.
async fn check(shop: &Shop, order: &store::orders::Order) {
    match shop.query_status(order).await {
        Ok(Some(status)) if status.state == crate::domain::payment::PaymentState::Completed => {
            if let Err(e) = shop.apply_status(order, &status).await {
                tracing::error!(order = order.id, error = %e, "poller: applying payment failed");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::debug!(order = order.id, error = %e, "poller: status unavailable"),
    }
}

fn shop_poll_seconds(shop: &Shop) -> u64 {
    shop.config().pakasir_poll_seconds
}

/// One reconciliation pass over closed orders that may still be paid at Pakasir.
async fn reconcile(shop: &Shop) -> Result<(), crate::shop::ShopError> {
    let orders = shop.db().call(|c| store::orders::to_reconcile(c, RECONCILE_WINDOW, RECONCILE_BATCH)).await?;
    super::each_bounded(orders, super::CONCURRENT_CHECKS, |order| {
        let shop = shop.clone();
        async move {
            if let Err(e) = reconcile_one(&shop, &order).await {
                tracing::error!(order = order.id, error = %e, "reconciliation error");
            }
        }
    })
    .await;
    Ok(())
}

async fn reconcile_one(shop: &Shop, order: &store::orders::Order) -> Result<(), crate::shop::ShopError> {
    let settled = shop.check_payment(order).await?;
    let final_state = match settled {
        Settled::Applied => {
            tracing::warn!(order = order.id, invoice = %order.invoice_id, "reconciliation found a payment");
            Some("completed")
        }
        Settled::Closed => Some("canceled"),
        Settled::Open | Settled::Unknown => None,
    };
    let id = order.id;
    shop.db().write(move |c| store::orders::mark_checked(c, id, final_state)).await?;
    Ok(())
}
