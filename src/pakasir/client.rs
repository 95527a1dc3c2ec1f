//! HTTP client for Pakasir v2 with timeouts and retries. The API key travels only in the
//! `X-Api-Key` header; URLs (which name the project) and keys never reach an error text.

use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use super::{parse_fees, Created, Transaction};
use crate::{
    config::PakasirConfig,
    domain::payment::{Fees, Invoice, PayMethod, PaymentReport},
    shop::ports::{GatewayError, PaymentGateway},
};

/// How one kind of call is tried: the customer waits for `create` (a few tries, each long
/// enough for a slow answer); `status` and `cancel` come from workers that try again on their
/// next pass, so one hanging Pakasir costs them seconds, not half a minute (issue 17).
#[derive(Clone, Copy)]
struct Policy {
    attempts: u32,
    timeout: Duration,
    /// No new try starts this long after the first one began: a hanging Pakasir costs about
    /// `timeout` plus this, while quick failures (5xx, resets) still get every try.
    tries_within: Duration,
    /// Paced at `PAKASIR_CALLS_PER_SECOND`, and a 429 is waited out and tried again.
    paced: bool,
}

const CREATE: Policy =
    Policy { attempts: 3, timeout: Duration::from_secs(6), tries_within: Duration::from_secs(7), paced: true };
const STATUS: Policy =
    Policy { attempts: 2, timeout: Duration::from_secs(3), tries_within: Duration::from_secs(2), paced: false };
const CANCEL: Policy =
    Policy { attempts: 2, timeout: Duration::from_secs(3), tries_within: Duration::from_secs(2), paced: true };

/// 429s from a paced call waited out (1 s each) before the call counts as failed.
const RATE_LIMIT_RETRIES: u32 = 8;

/// Most requests to Pakasir in flight at once (issue 14): each holds its own connection and
/// buffers, which stay pooled after a burst (500 QRIS presses at once opened ~80). The rest wait
/// their turn, which at Pakasir's round trip is a fraction of a second.
const IN_FLIGHT: usize = 32;

pub struct PakasirClient {
    http: reqwest::Client,
    config: PakasirConfig,
    slots: tokio::sync::Semaphore,
    /// Create and cancel calls wait here for their turn (Pakasir allows about 2 per second).
    pace: governor::DefaultDirectRateLimiter,
    /// Fee answers per amount, kept briefly: every summary shows one, and the fee of an amount
    /// rarely changes.
    fees: moka::sync::Cache<i64, Fees>,
    /// Until when (ms after `started`) the fee endpoint is not asked, after it failed: while
    /// Pakasir is down every summary would otherwise wait [`FEE_TIMEOUT`] for nothing.
    fees_down_until: std::sync::atomic::AtomicU64,
    started: std::time::Instant,
}

/// How long a failed fee call keeps the fee lines away.
const FEE_BACKOFF: Duration = Duration::from_secs(30);

/// How long a fee answer is reused.
const FEE_TTL: Duration = Duration::from_secs(300);
/// A fee line is a nicety: the summary does not wait long for it.
const FEE_TIMEOUT: Duration = Duration::from_secs(3);

/// The header that carries `PAKASIR_API_KEY`.
pub const API_KEY_HEADER: &str = "X-Api-Key";

/// A Pakasir v2 endpoint about one transaction or order (`path`: `transaction-status`, …).
pub fn endpoint(base_url: &str, project: &str, path: &str, id: &str) -> String {
    format!("{base_url}/api/v2/{path}/{project}/{id}")
}

impl PakasirClient {
    pub fn new(config: PakasirConfig) -> Result<Self, GatewayError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|_| GatewayError::Unavailable("client".into()))?;
        let per_second = std::num::NonZeroU32::new(config.calls_per_second).unwrap_or(std::num::NonZeroU32::MIN);
        // No burst: evenly spaced, so no second holds more than `per_second` calls.
        let pace = governor::RateLimiter::direct(
            governor::Quota::per_second(per_second).allow_burst(std::num::NonZeroU32::MIN),
        );
        let fees = moka::sync::Cache::builder().max_capacity(10_000).time_to_live(FEE_TTL).build();
        Ok(Self {
            http,
            config,
            slots: tokio::sync::Semaphore::new(IN_FLIGHT),
            pace,
            fees,
            fees_down_until: std::sync::atomic::AtomicU64::new(0),
            started: std::time::Instant::now(),
        })
    }

    fn url(&self, path: &str, id: &str) -> String {
        endpoint(&self.config.base_url, &self.config.project, path, id)
    }

    /// Sends with retries on timeouts, connection errors and 5xx (backoff 0.25 s, 0.5 s) while
    /// within the policy's `tries_within`; a paced call waits its turn first and waits out a 429
    /// (1 s) instead of failing. A hanging Pakasir costs create about 12 s, status and cancel 3 s.
    async fn call<T: DeserializeOwned>(
        &self,
        what: &'static str,
        policy: Policy,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, GatewayError> {
        let mut last = GatewayError::Unavailable("no attempt".into());
        let (mut attempt, mut limited) = (0, 0);
        // When the first try was sent (after its turn in the pace queue).
        let mut started: Option<tokio::time::Instant> = None;
        while attempt < policy.attempts {
            if limited == 0 && started.is_some_and(|s| s.elapsed() >= policy.tries_within) {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt))).await;
            }
            attempt += 1;
            if policy.paced {
                self.pace.until_ready().await;
            }
            // Held until the body has been read; never closed, so `None` does not happen.
            let slot = self.slots.acquire().await.ok();
            started.get_or_insert_with(tokio::time::Instant::now);
            let sent = make().header(API_KEY_HEADER, self.config.api_key.expose()).timeout(policy.timeout).send().await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    let kind = if e.is_timeout() {
                        "timeout"
                    } else if e.is_connect() {
                        "connect"
                    } else {
                        "request"
                    };
                    tracing::warn!(call = what, attempt, kind, "pakasir request failed");
                    last = GatewayError::Unavailable(kind.into());
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let body = resp.bytes().await.unwrap_or_default();
            if (200..300).contains(&status) {
                return serde_json::from_slice(&body).map_err(|_| {
                    tracing::warn!(call = what, "pakasir answered invalid JSON");
                    GatewayError::Invalid
                });
            }
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("message").and_then(|m| m.as_str()).map(|m| m.chars().take(200).collect::<String>())
                })
                .unwrap_or_default();
            tracing::warn!(call = what, attempt, status, message = %message, "pakasir error answer");
            match status {
                429 if policy.paced && limited < RATE_LIMIT_RETRIES => {
                    // Over Pakasir's pace (another process, a clock apart): wait, and this try
                    // does not count.
                    limited += 1;
                    attempt -= 1;
                    drop(slot);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                429 => return Err(GatewayError::RateLimited),
                500..=599 => last = GatewayError::Unavailable(format!("http {status}")),
                _ => return Err(GatewayError::Refused { status, message }),
            }
        }
        Err(last)
    }
}

#[async_trait]
impl PaymentGateway for PakasirClient {
    async fn create(&self, order_id: &str, amount: i64, method: PayMethod) -> Result<Invoice, GatewayError> {
        let url = self.url("create-transaction", order_id);
        let body = serde_json::json!({"method": method.code(), "amount": amount});
        let created: Created = self.call("create", CREATE, || self.http.post(&url).json(&body)).await?;
        if created.order_id != order_id || created.amount != amount {
            tracing::warn!("pakasir create answer does not match the request");
            return Err(GatewayError::Invalid);
        }
        created.invoice(method).ok_or_else(|| {
            tracing::warn!(method = method.code(), "pakasir create answer lacks the payment instrument");
            GatewayError::Invalid
        })
    }

    async fn fees(&self, amount: i64) -> Result<Fees, GatewayError> {
        if let Some(known) = self.fees.get(&amount) {
            return Ok(known);
        }
        let now_ms = || u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if now_ms() < self.fees_down_until.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(GatewayError::Unavailable("fee endpoint failed recently".into()));
        }
        let fetched = self.fetch_fees(amount).await;
        match &fetched {
            Ok(fees) => self.fees.insert(amount, fees.clone()),
            Err(_) => {
                let until = now_ms().saturating_add(u64::try_from(FEE_BACKOFF.as_millis()).unwrap_or(0));
                self.fees_down_until.store(until, std::sync::atomic::Ordering::Relaxed);
            }
        }
        fetched
    }

    async fn status(&self, txn_id: &str) -> Result<PaymentReport, GatewayError> {
        let url = self.url("transaction-status", txn_id);
        let transaction: Transaction = self.call("status", STATUS, || self.http.get(&url)).await?;
        Ok(transaction.into())
    }

    async fn cancel(&self, txn_id: &str) -> Result<(), GatewayError> {
        let url = self.url("cancel-transaction", txn_id);
        let _: serde_json::Value = self.call("cancel", CANCEL, || self.http.post(&url)).await?;
        Ok(())
    }

    fn checkout_url(&self, txn_id: &str) -> String {
        format!("{}/pay-v2/{txn_id}", self.config.base_url)
    }
}

impl PakasirClient {
    /// One call of the public fee endpoint.
    async fn fetch_fees(&self, amount: i64) -> Result<Fees, GatewayError> {
        // A public endpoint: no API key, one attempt, a short wait.
        let url = format!("{}/api/v2/payment-fee/{amount}", self.config.base_url);
        let resp = self.http.get(&url).timeout(FEE_TIMEOUT).send().await.map_err(|e| {
            tracing::debug!(timeout = e.is_timeout(), "pakasir fee request failed");
            GatewayError::Unavailable("fee".into())
        })?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            tracing::debug!(status, "pakasir fee error answer");
            return Err(GatewayError::Refused { status, message: String::new() });
        }
        let body: serde_json::Value = resp.json().await.map_err(|_| GatewayError::Invalid)?;
        parse_fees(&body).ok_or(GatewayError::Invalid)
    }
}
