//! The axum server on `HTTP_BIND`: health, and the webhook paths Caddy forwards.

pub mod rejections;
pub mod server;

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
    Json, Router,
};
use serde_json::json;

use crate::{
    bot::dispatch::Dispatcher,
    config::Secret,
    domain::payment::Rejection,
    shop::{payment::NoticeOutcome, Shop},
    store::Db,
};

/// Webhook bodies are small JSON documents; anything bigger is refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Pakasir's own, generous limit per source address (it retries failed notifications).
/// `PAKASIR_WEBHOOK_LIMIT_PER_MINUTE` overrides it (load tests post every webhook from 127.0.0.1).
const WEBHOOK_LIMIT_PER_MINUTE: u32 = crate::config::DEFAULT_WEBHOOK_LIMIT_PER_MINUTE;

/// Webhook requests per minute that fail authentication, from all callers together: four
/// callers' worth. Addresses are cheap (IPv6, or anything on the proxy's host), so the
/// per-caller limit alone would let unlimited junk through. Requests with the right secret are
/// never counted here: a flood of junk must not starve Pakasir's genuine notifications.
pub const WEBHOOK_UNAUTHENTICATED_PER_MINUTE: u32 = 4 * WEBHOOK_LIMIT_PER_MINUTE;

#[derive(Clone)]
pub struct HttpState {
    /// Per-caller limit, and global cap for unauthenticated requests, for the Pakasir webhook.
    pub limiter: crate::security::throttle::HttpLimiter,
    /// Refused webhook requests, written as per-minute summaries.
    pub rejections: rejections::RejectionLog,
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

/// The Pakasir webhook's limits: `PAKASIR_WEBHOOK_LIMIT_PER_MINUTE` per caller, and
/// [`WEBHOOK_UNAUTHENTICATED_PER_MINUTE`] for wrong secrets from all callers together.
pub fn webhook_limiter(config: &crate::config::Config) -> crate::security::throttle::HttpLimiter {
    crate::security::throttle::HttpLimiter::new(
        config.pakasir_webhook_limit_per_minute,
        WEBHOOK_UNAUTHENTICATED_PER_MINUTE,
        std::time::Duration::from_secs(60),
    )
}

/// The caller a request is counted against. The peer's address, unless the peer is the trusted
/// proxy (Caddy, on loopback): then the LAST `X-Forwarded-For` entry, the address Caddy itself
/// saw. Earlier entries are whatever the client claimed and would let every request pick its own
/// bucket (Caddy keeps a client's list only when that client is in `trusted_proxies`, e.g. a CDN;
/// our Caddyfile trusts none, so Caddy sends exactly one entry). A forwarded value that is not an
/// address counts as the proxy itself. IPv6 callers are counted per /64, one host's usual block.
pub fn caller(peer: Option<SocketAddr>, headers: &HeaderMap) -> String {
    let Some(peer) = peer.map(|p| p.ip().to_canonical()) else { return "unknown".into() };
    let ip = if peer.is_loopback() {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
            .map_or(peer, |ip| ip.to_canonical())
    } else {
        peer
    };
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let block = u128::from(v6) & !(u128::MAX >> 64);
            format!("{}/64", std::net::Ipv6Addr::from(block))
        }
    }
}

fn throttled(retry_after: u64) -> (StatusCode, Json<serde_json::Value>) {
    (StatusCode::TOO_MANY_REQUESTS, Json(json!({"code": "throttled", "retry_after_seconds": retry_after})))
}

/// A refusal sent before the request body was read: the connection is closed after it. A proxy
/// (Caddy) that reused it would otherwise find the unread body there and answer the next request
/// with a 502.
fn unread(refusal: impl IntoResponse) -> axum::response::Response {
    let mut response = refusal.into_response();
    response.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
    response
}

/// Why a webhook body could not be used.
fn body_refusal(e: &axum::Error) -> (StatusCode, &'static str) {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<http_body_util::LengthLimitError>() {
            return (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
        }
        cur = err.source();
    }
    if server::is_body_timeout(e) {
        (StatusCode::REQUEST_TIMEOUT, "body_timeout")
    } else {
        // The client went away or sent a broken chunked body.
        (StatusCode::BAD_REQUEST, "body_unreadable")
    }
}

/// SPEC §4: per-caller limit, secret (401; only refusals count against the global cap), body
/// (413/408/400), JSON (400), then the shop verifies against Pakasir's status endpoint.
/// Refusals before the secret matched are written as per-minute summaries ([`rejections`]).
async fn pakasir_webhook(State(s): State<HttpState>, req: axum::extract::Request) -> axum::response::Response {
    let peer = req.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0);
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    if let Err(retry_after) = s.limiter.check(&caller(peer, &headers)) {
        s.rejections.reject("throttled").await;
        return unread(throttled(retry_after));
    }
    let Some(expected) = s.shop.config().pakasir.as_ref().map(|p| p.webhook_secret.clone()) else {
        return unread(reply(StatusCode::NOT_FOUND, "not_configured"));
    };
    let presented = headers.get("x-secret").and_then(|v| v.to_str().ok());
    if !secret_matches(presented, expected.expose()) {
        if let Err(retry_after) = s.limiter.check_global() {
            s.rejections.reject("throttled").await;
            return unread(throttled(retry_after));
        }
        s.rejections.reject("bad_secret").await;
        return unread(reply(StatusCode::UNAUTHORIZED, "bad_secret"));
    }
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) => {
            let (status, reason) = body_refusal(&e);
            s.rejections.reject_each(reason).await;
            return unread(reply(status, reason));
        }
    };
    let Some(notice) = crate::pakasir::parse_notice(&body) else {
        s.rejections.reject_each("malformed_body").await;
        return reply(StatusCode::BAD_REQUEST, "malformed_body").into_response();
    };
    // (HTTP status, outcome for the metrics, answer body)
    let (status, outcome, answer) = match s.shop.payment_notice(notice).await {
        Ok(NoticeOutcome::Applied(_)) => (StatusCode::OK, "applied", "ok"),
        // Pakasir retries a notice it did not get a 2xx for.
        Ok(NoticeOutcome::Unavailable) => (StatusCode::SERVICE_UNAVAILABLE, "status_unavailable", "status_unavailable"),
        Ok(NoticeOutcome::Rejected(r)) => {
            let status = match r {
                Rejection::UnknownOrder | Rejection::NoTransaction => StatusCode::NOT_FOUND,
                Rejection::NotCompleted => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            };
            (status, r.reason(), r.reason())
        }
        Err(e) => {
            tracing::error!(error = %e, "pakasir webhook failed");
            (StatusCode::SERVICE_UNAVAILABLE, "error", "retry")
        }
    };
    crate::metrics::global().inc("webhook_outcomes_total", &[("source", "pakasir"), ("reason", outcome)]);
    reply(status, answer).into_response()
}

/// The metrics listener's router (bound to `METRICS_BIND`, never behind Caddy).
pub fn metrics_router(db: Db) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(db)
}

async fn metrics(State(db): State<Db>) -> (StatusCode, [(axum::http::header::HeaderName, &'static str); 1], String) {
    let gauges = match db.call(crate::store::stats::gauges).await {
        Ok(g) => g,
        Err(_) => {
            crate::metrics::global().inc("quickcart_db_errors_total", &[("db", "shop")]);
            Vec::new()
        }
    };
    let body = crate::metrics::global().render(&gauges);
    (StatusCode::OK, [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().unwrap(), 40_000))
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn forwarded_address_only_from_the_local_proxy_and_only_the_last_entry() {
        // Through Caddy: the entry Caddy appended, not what the client claimed before it.
        assert_eq!(caller(peer("127.0.0.1"), &xff(&["203.0.113.7"])), "203.0.113.7");
        assert_eq!(caller(peer("127.0.0.1"), &xff(&["1.1.1.1, 2.2.2.2, 203.0.113.7"])), "203.0.113.7");
        assert_eq!(caller(peer("127.0.0.1"), &xff(&["1.1.1.1", "203.0.113.7"])), "203.0.113.7");
        assert_eq!(caller(peer("::1"), &xff(&["198.51.100.2"])), "198.51.100.2");
        // Not from the proxy: the header is ignored.
        assert_eq!(caller(peer("198.51.100.9"), &xff(&["203.0.113.7"])), "198.51.100.9");
        // No header, or junk in it: the proxy itself.
        assert_eq!(caller(peer("127.0.0.1"), &HeaderMap::new()), "127.0.0.1");
        assert_eq!(caller(peer("127.0.0.1"), &xff(&["203.0.113.7, not-an-ip"])), "127.0.0.1");
        assert_eq!(caller(peer("127.0.0.1"), &xff(&["203.0.113.7:443"])), "127.0.0.1");
        assert_eq!(caller(None, &xff(&["203.0.113.7"])), "unknown");
        // IPv6 per /64; IPv4-mapped addresses as IPv4.
        assert_eq!(caller(peer("2001:db8:1:2:aaaa::1"), &HeaderMap::new()), "2001:db8:1:2::/64");
        assert_eq!(caller(peer("127.0.0.1"), &xff(&["2001:db8:1:2::99"])), "2001:db8:1:2::/64");
        assert_eq!(caller(peer("::ffff:198.51.100.9"), &HeaderMap::new()), "198.51.100.9");
    }

    proptest! {
        /// A caller outside the host can never choose its key with X-Forwarded-For.
        #[test]
        fn remote_peers_are_keyed_by_themselves(a in any::<u32>(), header in "[0-9a-f:., ]{0,60}") {
            let ip = Ipv4Addr::from(a);
            prop_assume!(!ip.is_loopback());
            let mut h = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&header) {
                h.insert("x-forwarded-for", v);
            }
            prop_assert_eq!(caller(Some(SocketAddr::new(IpAddr::V4(ip), 1)), &h), ip.to_string());
        }

        /// Through the proxy, whatever a client prepends, the key is the address Caddy appended.
        #[test]
        fn through_the_proxy_prepended_entries_do_not_matter(
            prepended in proptest::collection::vec("[0-9a-z.:]{1,20}", 0..5),
            real in any::<u32>(),
            v6 in any::<u128>(),
            use_v6 in any::<bool>(),
        ) {
            let real: IpAddr = if use_v6 { Ipv6Addr::from(v6).into() } else { Ipv4Addr::from(real).into() };
            let mut entries = prepended;
            entries.push(real.to_string());
            let h = xff(&[&entries.join(", ")]);
            let expected = caller(Some(SocketAddr::new(real, 1)), &HeaderMap::new());
            // Loopback "real" addresses are the proxy itself either way.
            prop_assert_eq!(caller(peer("127.0.0.1"), &h), expected);
        }
    }
}
