//! Fakes of the external services QuickCart talks to (Telegram Bot API, Pakasir v2), speaking
//! their real HTTP/JSON. Used by end-to-end tests (SPEC §10) and by `quickcart demo`.

pub mod fake_pakasir;
pub mod fake_telegram;

pub use fake_pakasir::{FakePakasir, PakasirCall, PakasirFault, PakasirRoute, Txn};
pub use fake_telegram::{
    BotMessage, Button, Call, FakeInvoice, FakeTelegram, FakeUser, Fault, MsgKind, PreCheckoutAnswer, RateLimit,
    StarsPaymentOutcome,
};

/// An answer that breaks off after its status line, as when a connection is reset mid-response:
/// the client sees a network error, not an answer.
pub(crate) fn reset_response() -> axum::response::Response {
    let mut response = axum::response::Response::new(axum::body::Body::new(BrokenBody));
    response
        .headers_mut()
        .insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    response
}

/// `200 OK` with a body that is no JSON at all (a proxy's error page).
pub(crate) fn nonsense_response() -> axum::response::Response {
    use axum::response::IntoResponse;
    (axum::http::StatusCode::OK, axum::response::Html("<html><body>502 Bad Gateway (nginx)</body></html>"))
        .into_response()
}

struct BrokenBody;

impl http_body::Body for BrokenBody {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset"))))
    }
}
