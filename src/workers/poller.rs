//! Checks pending QRIS orders at Pakasir, so a lost webhook never loses a sale. Each order is
//! asked at most every `PAKASIR_POLL_SECONDS` (and never more than once per 4 s).

use std::time::Duration;

use moka::sync::Cache;
use tokio::sync::watch;

use crate::{shop::Shop, store};

pub async fn run(shop: Shop, mut shutdown: watch::Receiver<bool>) {
    if shop.gateway().is_none() {
        return;
    }
    let interval = Duration::from_secs(shop_poll_seconds(&shop));
    let recently: Cache<i64, ()> = Cache::builder().time_to_live(interval).build();
    loop {
        match shop.db().call(|c| store::orders::pending_qris(c, 200)).await {
            Ok(orders) => {
                for order in orders {
                    if recently.contains_key(&order.id) {
                        continue;
                    }
                    recently.insert(order.id, ());
                    match shop.query_status(&order).await {
                        Ok(Some(status)) if status.completed() => {
                            if let Err(e) = shop.apply_status(&order, &status).await {
                                tracing::error!(order = order.id, error = %e, "poller: applying payment failed");
                            }
                        }
                        Ok(_) => {}
                        Err(e) => tracing::debug!(order = order.id, error = %e, "poller: status unavailable"),
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "poller: database error"),
        }
        if super::pause(&mut shutdown, Duration::from_secs(1)).await {
            return;
        }
    }
}

fn shop_poll_seconds(shop: &Shop) -> u64 {
    shop.config().pakasir_poll_seconds
}
