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

const ATTEMPTS: u32 = 3;

/// Most requests to Pakasir in flight at once (issue 14): each holds its own connection and
/// buffers, which stay pooled after a burst (500 QRIS presses at once opened ~80). The rest wait
/// their turn, which at Pakasir's round trip is a fraction of a second.
const IN_FLIGHT: usize = 32;

pub struct PakasirClient {
    http: reqwest::Client,
    config: PakasirConfig,
    slots: tokio::sync::Semaphore,
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
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|_| GatewayError::Unavailable("client".into()))?;
        let fees = moka::sync::Cache::builder().max_capacity(10_000).time_to_live(FEE_TTL).build();
        Ok(Self {
            http,
            config,
            slots: tokio::sync::Semaphore::new(IN_FLIGHT),
            fees,
            fees_down_until: std::sync::atomic::AtomicU64::new(0),
            started: std::time::Instant::now(),
        })
    }

    fn url(&self, path: &str, id: &str) -> String {
        endpoint(&self.config.base_url, &self.config.project, path, id)
    }

    /// Sends with retries on timeouts, connection errors and 5xx (backoff 0.5 s, 1 s).
    async fn call<T: DeserializeOwned>(
        &self,
        what: &'static str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, GatewayError> {
        let mut last = GatewayError::Unavailable("no attempt".into());
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
            }
            // Held until the body has been read; never closed, so `None` does not happen.
            let _slot = self.slots.acquire().await.ok();
            let resp = match make().header(API_KEY_HEADER, self.config.api_key.expose()).send().await {
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
        let created: Created = self.call("create", || self.http.post(&url).json(&body)).await?;
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
        let transaction: Transaction = self.call("status", || self.http.get(&url)).await?;
        Ok(transaction.into())
    }

    async fn cancel(&self, txn_id: &str) -> Result<(), GatewayError> {
        let url = self.url("cancel-transaction", txn_id);
        let _: serde_json::Value = self.call("cancel", || self.http.post(&url)).await?;
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
