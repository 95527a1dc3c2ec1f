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

use crate::{bot::dispatch::Dispatcher, config::Secret, store::Db};

/// Webhook bodies are small JSON documents; anything bigger is refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

#[derive(Clone)]
pub struct HttpState {
    pub db: Db,
    pub dispatcher: Dispatcher,
    /// Set in webhook mode: the `X-Telegram-Bot-Api-Secret-Token` Telegram must send.
    pub telegram_secret: Option<Arc<Secret<String>>>,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/webhook/telegram", post(telegram_webhook))
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
        s.dispatcher.submit(inc);
    }
    StatusCode::OK
}
