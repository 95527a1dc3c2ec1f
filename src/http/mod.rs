//! The axum server on `HTTP_BIND`: health, and the webhook paths Caddy forwards.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
    Json, Router,
};
use serde_json::json;

use crate::{
    bot::dispatch::Dispatcher,
    config::Secret,
    pakasir::WebhookBody,
    shop::{
        payment::{Rejection, Verdict},
        Shop,
    },
    store::Db,
};

/// Webhook bodies are small JSON documents; anything bigger is refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Pakasir's own, generous limit per source address (it retries failed notifications).
/// `PAKASIR_WEBHOOK_LIMIT_PER_MINUTE` overrides it (load tests post every webhook from 127.0.0.1).
const WEBHOOK_LIMIT_PER_MINUTE: u32 = 300;

#[derive(Clone)]
pub struct HttpState {
    /// Per-caller limit for the webhook endpoints.
    pub limiter: crate::security::throttle::HttpLimiter,
    pub db: Db,
    pub dispatcher: Dispatcher,
    pub shop: Shop,
    /// Set in webhook mode: the `X-Telegram-Bot-Api-Secret-Token` Telegram must send.
    pub telegram_secret: Option<Arc<Secret<String>>>,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/webhook/telegram", post(telegram_webhook))
        // The Pakasir webhook reads its body itself so that an oversized one is a security event.
        .route("/webhook/pakasir", post(pakasir_webhook).layer(DefaultBodyLimit::disable()))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

async fn healthz(State(s): State<HttpState>) -> (StatusCode, Json<serde_json::Value>) {
    if s.db.healthy().await {
        (StatusCode::OK, Json(json!({"status": "ok"})))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})))
    }
}

/// Constant-time comparison of a presented secret with the configured one.
pub fn secret_matches(presented: Option<&str>, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    presented.is_some_and(|p| p.as_bytes().ct_eq(expected.as_bytes()).into())
}

async fn telegram_webhook(State(s): State<HttpState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Some(secret) = &s.telegram_secret else { return StatusCode::NOT_FOUND };
    let presented = headers.get("x-telegram-bot-api-secret-token").and_then(|v| v.to_str().ok());
    if !secret_matches(presented, secret.expose()) {
        tracing::warn!(event = "webhook_rejected", source = "telegram", reason = "bad_secret");
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(update) = serde_json::from_slice::<teloxide::types::Update>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if let Some(inc) = crate::bot::updates::convert(&update) {
        s.dispatcher.submit(inc, "webhook");
    }
    StatusCode::OK
}

fn reply(status: StatusCode, code: &str) -> (StatusCode, Json<serde_json::Value>) {
    (status, Json(json!({ "code": code })))
}

/// SPEC §4: secret (401), JSON (400), then the shop verifies against Pakasir's status endpoint.
pub fn webhook_limiter() -> crate::security::throttle::HttpLimiter {
    let per_minute = std::env::var("PAKASIR_WEBHOOK_LIMIT_PER_MINUTE")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(WEBHOOK_LIMIT_PER_MINUTE);
    crate::security::throttle::HttpLimiter::new(per_minute, std::time::Duration::from_secs(60))
}

/// The caller: the first `X-Forwarded-For` address when the peer is the local proxy (Caddy),
/// else the peer itself.
fn caller(peer: Option<std::net::SocketAddr>, headers: &HeaderMap) -> String {
    let peer_ip = peer.map(|p| p.ip());
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    match (peer_ip, forwarded) {
        (Some(ip), Some(f)) if ip.is_loopback() => f,
        (Some(ip), _) => ip.to_string(),
        (None, f) => f.unwrap_or_else(|| "unknown".into()),
    }
}

fn throttled(retry_after: u64) -> (StatusCode, Json<serde_json::Value>) {
    (StatusCode::TOO_MANY_REQUESTS, Json(json!({"code": "throttled", "retry_after_seconds": retry_after})))
}

async fn pakasir_webhook(
    State(s): State<HttpState>,
    req: axum::extract::Request,
) -> (StatusCode, Json<serde_json::Value>) {
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    if let Err(retry_after) = s.limiter.check(&caller(peer, &headers)) {
        crate::metrics::global().inc("webhook_outcomes_total", &[("source", "pakasir"), ("reason", "throttled")]);
        return throttled(retry_after);
    }
    let Some(expected) = s.shop.config().pakasir.as_ref().map(|p| p.webhook_secret.clone()) else {
        return reply(StatusCode::NOT_FOUND, "not_configured");
    };
    let presented = headers.get("x-secret").and_then(|v| v.to_str().ok());
    if !secret_matches(presented, expected.expose()) {
        webhook_event(&s, "bad_secret").await;
        return reply(StatusCode::UNAUTHORIZED, "bad_secret");
    }
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        webhook_event(&s, "body_too_large").await;
        return reply(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    };
    let Ok(body) = serde_json::from_slice::<WebhookBody>(&body) else {
        webhook_event(&s, "malformed_body").await;
        return reply(StatusCode::BAD_REQUEST, "malformed_body");
    };
    let verdict = s.shop.pakasir_webhook(body).await;
    let reason = match &verdict {
        Ok(Verdict::Applied(_)) => "applied",
        Ok(Verdict::Unavailable) => "status_unavailable",
        Ok(Verdict::Rejected(r)) => r.reason(),
        Err(_) => "error",
    };
    crate::metrics::global().inc("webhook_outcomes_total", &[("source", "pakasir"), ("reason", reason)]);
    match verdict {
        Ok(Verdict::Applied(_)) => reply(StatusCode::OK, "ok"),
        Ok(Verdict::Unavailable) => reply(StatusCode::SERVICE_UNAVAILABLE, "status_unavailable"),
        Ok(Verdict::Rejected(r)) => {
            let status = match r {
                Rejection::UnknownOrder | Rejection::NoTransaction => StatusCode::NOT_FOUND,
                Rejection::NotCompleted => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            };
            reply(status, r.reason())
        }
        Err(e) => {
            tracing::error!(error = %e, "pakasir webhook failed");
            reply(StatusCode::SERVICE_UNAVAILABLE, "retry")
        }
    }
}

/// A refused Pakasir webhook: a security event and an audit entry with the reason.
async fn webhook_event(s: &HttpState, reason: &'static str) {
    use crate::security::audit::{entry, EntryExt};
    crate::metrics::global().inc("webhook_outcomes_total", &[("source", "pakasir"), ("reason", reason)]);
    tracing::warn!(event = "webhook_rejected", source = "pakasir", reason);
    let detail = json!({ "reason": reason });
    let meta = detail.clone();
    if let Err(e) = s.db.write(move |c| crate::store::security::record(c, None, "webhook_rejected", &detail)).await {
        tracing::error!(error = %e, "security event not recorded");
    }
    if let Err(e) =
        s.db.append_audit(entry(None, "pakasir", "webhook_rejected").entity("webhook", "pakasir").meta(meta)).await
    {
        tracing::error!(error = %e, "audit: webhook rejection not recorded");
    }
}

/// The metrics listener's router (bound to `METRICS_BIND`, never behind Caddy).
pub fn metrics_router(db: Db) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(db)
}

async fn metrics(State(db): State<Db>) -> (StatusCode, [(axum::http::header::HeaderName, &'static str); 1], String) {
    let gauges = db
        .call(|c| {
            let one = |sql: &str| -> Result<i64, crate::store::StoreError> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
            Ok(vec![
                ("quickcart_outbox_backlog", "messages waiting to be sent", crate::store::outbox::backlog(c)?),
                (
                    "quickcart_broadcast_pending",
                    "broadcast recipients still to send to",
                    one("SELECT count(*) FROM broadcast_recipients WHERE status IN ('pending','sending')")?,
                ),
                (
                    "quickcart_orders_pending",
                    "orders waiting for payment",
                    one("SELECT count(*) FROM orders WHERE status = 'pending'")?,
                ),
                ("quickcart_users", "known users", one("SELECT count(*) FROM users")?),
            ])
        })
        .await;
    let gauges = match gauges {
        Ok(g) => g,
        Err(_) => {
            crate::metrics::global().inc("quickcart_db_errors_total", &[("db", "shop")]);
            Vec::new()
        }
    };
    let body = crate::metrics::global().render(&gauges);
    (StatusCode::OK, [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
