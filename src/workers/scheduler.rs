//! Runs due jobs: payment expiry and Pakasir cancellations. Jobs are rows, so one that came due
//! while the process was down runs at the next start. Also looks at the daily expiring-stock note.

use std::time::Duration;

use tokio::sync::watch;

use crate::{
    domain::order::{Event, Status},
    shop::{payment::Settled, ports::GatewayError, Shop},
    store::{self, jobs},
};

/// How often the daily expiring-stock note is looked at (it goes out once per WIB day).
const EXPIRY_NOTE_EVERY: Duration = Duration::from_secs(10);

pub async fn run(shop: Shop, mut shutdown: watch::Receiver<bool>) {
    let mut next_note = tokio::time::Instant::now();
    loop {
        if let Err(e) = tick(&shop).await {
            tracing::error!(error = %e, "scheduler error");
        }
        if tokio::time::Instant::now() >= next_note {
            next_note = tokio::time::Instant::now() + EXPIRY_NOTE_EVERY;
            if let Err(e) = shop.expiry_note().await {
                tracing::error!(error = %e, "expiring stock note error");
            }
            if let Err(e) = shop.expiry_reminders().await {
                tracing::error!(error = %e, "expiring stock reminder error");
            }
        }
        if super::pause(&mut shutdown, Duration::from_millis(500)).await {
            return;
        }
    }
}

/// Runs the due jobs, several at once (each may wait for Pakasir; issue 17).
async fn tick(shop: &Shop) -> Result<(), crate::shop::ShopError> {
    let due = shop.db().call(|c| jobs::due(c, 50)).await?;
    super::each_bounded(due, super::CONCURRENT_CHECKS, |job| {
        let shop = shop.clone();
        async move {
            if let Err(e) = run_job(&shop, &job).await {
                tracing::error!(error = %e, kind = %job.kind, order = job.ref_id, "scheduler job error");
            }
        }
    })
    .await;
    Ok(())
}

async fn run_job(shop: &Shop, job: &jobs::Job) -> Result<(), crate::shop::ShopError> {
    match job.kind.as_str() {
        jobs::EXPIRE_ORDER => expire(shop, job).await,
        jobs::CANCEL_AT_PAKASIR => cancel_at_pakasir(shop, job).await,
        other => {
            tracing::warn!(kind = other, "unknown job kind");
            let (kind, r) = (job.kind.clone(), job.ref_id);
            shop.db().write(move |c| jobs::finish(c, &kind, r)).await?;
            Ok(())
        }
    }
}

/// Seconds until a job whose answer from Pakasir is unknown runs again: just past Pakasir's 4 s
/// status limit for the first tries (an expiry holds stock and the customer's checkout), then
/// every 15 s, so an expiry resumes soon after a Pakasir outage ends.
fn retry_delay(attempts: i64) -> i64 {
    if attempts < 6 {
        5
    } else {
        15
    }
}

async fn postpone(shop: &Shop, job: &jobs::Job) -> Result<(), crate::shop::ShopError> {
    let (id, at) = (job.id, store::now() + retry_delay(job.attempts));
    shop.db().write(move |c| jobs::retry_later(c, id, at)).await?;
    Ok(())
}

/// Before expiring a QRIS order, asks Pakasir once more: a payment that just went through is
/// delivered instead of being turned into a late-payment credit. An order is never closed while
/// its payment state is unknown: if Pakasir cannot be asked, the expiry waits.
async fn expire(shop: &Shop, job: &jobs::Job) -> Result<(), crate::shop::ShopError> {
    let order_id = job.ref_id;
    let order = shop.db().lookup(move |c| store::orders::get(c, order_id)).await?;
    if let Some(order) = order.filter(|o| o.status == Status::Pending && o.txn_id.is_some()) {
        if shop.gateway().is_some() {
            match shop.check_payment(&order).await? {
                Settled::Applied => return Ok(()),
                Settled::Open | Settled::Closed => {}
                Settled::Unknown => {
                    tracing::info!(
                        order = order_id,
                        attempts = job.attempts,
                        "expiry postponed: payment state unknown"
                    );
                    return postpone(shop, job).await;
                }
            }
        }
    }
    shop.close_order(order_id, Event::Timer, None).await?;
    Ok(())
}

/// Cancels a closed order's transaction at Pakasir. A refusal ("already completed") is answered
/// by asking for the status, so a payment that raced the expiry is credited; reconciliation
/// keeps watching what stays open. A Pakasir without a cancel endpoint (404/405, issue 17) ends
/// the job at once: the order is closed on our side already, and reconciliation watches the
/// transaction until Pakasir cancels it by itself (after 24 hours) or a late payment shows up.
async fn cancel_at_pakasir(shop: &Shop, job: &jobs::Job) -> Result<(), crate::shop::ShopError> {
    let order_id = job.ref_id;
    let order = shop.db().lookup(move |c| store::orders::get(c, order_id)).await?;
    let (Some(pay), Some(order)) = (shop.gateway(), order) else { return finish(shop, order_id, None).await };
    let Some(txn) = order.txn_id.clone() else { return finish(shop, order_id, None).await };
    match pay.cancel(&txn).await {
        // Only the status call's "canceled" ends reconciliation: an answer to cancel that looked
        // fine but changed nothing (a proxy, a bug) must not hide a payment made afterwards.
        Ok(()) => finish(shop, order_id, None).await,
        Err(GatewayError::Refused { status: 404 | 405, .. }) => {
            tracing::info!(order = order_id, "pakasir has no cancel for this transaction; reconciliation watches it");
            finish(shop, order_id, None).await
        }
        Err(GatewayError::Refused { .. } | GatewayError::Invalid) => {
            match shop.check_payment(&order).await? {
                Settled::Applied => finish(shop, order_id, Some("completed")).await,
                Settled::Closed => finish(shop, order_id, Some("canceled")).await,
                // Still payable there: reconciliation watches it and credits a late payment.
                Settled::Open => finish(shop, order_id, None).await,
                Settled::Unknown if job.attempts >= 10 => finish(shop, order_id, None).await,
                Settled::Unknown => postpone(shop, job).await,
            }
        }
        Err(e) => {
            tracing::warn!(order = order_id, error = %e, "pakasir cancel failed, will retry");
            if job.attempts >= 10 {
                finish(shop, order_id, None).await
            } else {
                postpone(shop, job).await
            }
        }
    }
}

async fn finish(shop: &Shop, order_id: i64, state: Option<&'static str>) -> Result<(), crate::shop::ShopError> {
    shop.db()
        .write(move |c| {
            if state.is_some() {
                store::orders::mark_checked(c, order_id, state)?;
            }
            jobs::finish(c, jobs::CANCEL_AT_PAKASIR, order_id)
        })
        .await?;
    Ok(())
}
