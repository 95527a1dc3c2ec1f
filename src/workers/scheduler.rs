//! Runs due jobs: payment expiry and Pakasir cancellations. Jobs are rows, so one that came due
//! while the process was down runs at the next start.

use std::time::Duration;

use tokio::sync::watch;

use crate::{
    domain::order::{Event, Status},
    shop::{payment::Verdict, Shop},
    store::{self, jobs},
};

pub async fn run(shop: Shop, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(e) = tick(&shop).await {
            tracing::error!(error = %e, "scheduler error");
        }
        if super::pause(&mut shutdown, Duration::from_millis(500)).await {
            return;
        }
    }
}

async fn tick(shop: &Shop) -> Result<(), crate::shop::ShopError> {
    let due = shop.db().call(|c| jobs::due(c, 50)).await?;
    for job in due {
        match job.kind.as_str() {
            jobs::EXPIRE_ORDER => expire(shop, job.ref_id).await?,
            jobs::CANCEL_AT_PAKASIR => cancel_at_pakasir(shop, &job).await?,
            other => {
                tracing::warn!(kind = other, "unknown job kind");
                let (kind, r) = (job.kind.clone(), job.ref_id);
                shop.db().write(move |c| jobs::finish(c, &kind, r)).await?;
            }
        }
    }
    Ok(())
}

/// Before expiring a QRIS order, asks Pakasir once more: a payment that just went through is
/// delivered instead of being turned into a late-payment credit.
async fn expire(shop: &Shop, order_id: i64) -> Result<(), crate::shop::ShopError> {
    let order = shop.db().lookup(move |c| store::orders::get(c, order_id)).await?;
    if let Some(order) = order.filter(|o| o.status == Status::Pending && o.txn_id.is_some()) {
        if let Ok(Some(status)) = shop.query_status(&order).await {
            if let Verdict::Applied(_) = shop.apply_status(&order, &status).await? {
                return Ok(());
            }
        }
    }
    shop.close_order(order_id, Event::Timer, None).await?;
    Ok(())
}

async fn cancel_at_pakasir(shop: &Shop, job: &jobs::Job) -> Result<(), crate::shop::ShopError> {
    let order_id = job.ref_id;
    let order = shop.db().lookup(move |c| store::orders::get(c, order_id)).await?;
    let done = match (shop.gateway(), order.and_then(|o| o.txn_id)) {
        (Some(pay), Some(txn)) => match pay.cancel(&txn).await {
            Ok(()) => true,
            // Refused (e.g. already completed or cancelled): nothing more to do there.
            Err(crate::pakasir::PakasirError::Refused { .. }) => true,
            Err(e) => {
                tracing::warn!(order = order_id, error = %e, "pakasir cancel failed, will retry");
                job.attempts >= 10
            }
        },
        _ => true,
    };
    let (id, attempts) = (job.id, job.attempts);
    if done {
        shop.db().write(move |c| jobs::finish(c, jobs::CANCEL_AT_PAKASIR, order_id)).await?;
    } else {
        let at = store::now() + 30 * (attempts + 1);
        shop.db().write(move |c| jobs::retry_later(c, id, at)).await?;
    }
    Ok(())
}
