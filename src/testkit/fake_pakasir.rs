//! Fake Pakasir API v2 server (SPEC §4) for end-to-end tests and `quickcart demo`.
//!
//! Fee rule of the fake (integer rupiah): QRIS `fee = 310 + amount * 7 / 1000`; every bank
//! transfer (virtual account, `bri_va`, `bni_va`, …) a flat `fee = 3500`. The same rule answers
//! `GET /api/v2/payment-fee/{amount}` (no API key), flat (`{"qris": 394, "bri_va": 3500, …}`)
//! or, after [`FakePakasir::set_fee_wrapped`], wrapped in `{"status": "success", "data": {…}}`.
//!
//! Methods: `qris` answers with a `qr_string` (and `va_number: null`); a VA method answers with a
//! `va_number` (and `qr_string: null`). Anything else is refused (400).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{SecondsFormat, Utc};
use serde_json::{json, Value};

/// One Pakasir transaction as the fake stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txn {
    pub txn_id: String,
    pub project: String,
    pub order_id: String,
    pub amount: i64,
    pub fee: i64,
    pub total_payment: i64,
    /// Empty for a bank transfer.
    pub qr_string: String,
    /// `qris`, `bri_va`, …
    pub payment_method: String,
    /// The virtual account number of a bank transfer.
    pub va_number: Option<String>,
    /// `pending`, `completed` or `canceled`.
    pub status: String,
    pub is_sandbox: bool,
    pub expired_at: String,
    pub completed_at: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PakasirRoute {
    Create,
    Status,
    Cancel,
    /// `payment-fee/{amount}`.
    Fee,
}

/// Scripted misbehaviour for the next calls of a route.
#[derive(Clone, Debug, PartialEq)]
pub enum PakasirFault {
    /// Answer this status with `{"message":"internal server error"}`.
    ServerError(u16),
    /// Sleep, then answer normally (to trip client timeouts).
    Delay(Duration),
    /// Answer exactly this status and body.
    Json(u16, Value),
    /// The connection breaks off before the answer (nothing is done).
    Reset,
    /// `200 OK` with an HTML page instead of JSON (nothing is done).
    Garbage,
}

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct PakasirCall {
    pub route: PakasirRoute,
    pub path: String,
    pub status: u16,
    pub at: Instant,
}

struct St {
    project: String,
    api_key: String,
    sandbox: bool,
    status_interval: Duration,
    /// Keyed by order_id (one project per fake).
    txns: Vec<Txn>,
    last_status: HashMap<String, Instant>,
    amount_override: HashMap<String, i64>,
    faults: HashMap<PakasirRoute, VecDeque<PakasirFault>>,
    calls: Vec<PakasirCall>,
    counter: u64,
    /// Answer `payment-fee` as `{status, data}`.
    fee_wrapped: bool,
    /// Issue 17 variants of Pakasir (see the test controls).
    variants: Variants,
}

/// Ways real Pakasir deployments are reported to differ (issue 17).
#[derive(Default)]
struct Variants {
    /// Cancel answers this (404 or 405) and changes nothing: "v2 has no cancel".
    cancel_missing: Option<u16>,
    /// The create answer has no `status` field.
    create_without_status: bool,
    /// The word the status call uses for a canceled transaction (`canceled` when `None`).
    closed_word: Option<String>,
    /// Create and cancel calls answered per second; beyond: 429.
    rate_limit: Option<usize>,
    /// When the create and cancel calls within the last second were answered.
    recent: VecDeque<Instant>,
}

struct Inner {
    st: Mutex<St>,
    addr: SocketAddr,
    http: reqwest::Client,
    /// While true, every call waits (an outage where Pakasir accepts connections and hangs).
    hang: tokio::sync::watch::Sender<bool>,
    /// Calls held by the hang right now, and the most held at once.
    held: std::sync::atomic::AtomicUsize,
    held_peak: std::sync::atomic::AtomicUsize,
}

/// Handle to a running fake Pakasir. Cheap to clone.
#[derive(Clone)]
pub struct FakePakasir(Arc<Inner>);

type Answer = (u16, Value);

fn msg(status: u16, message: &str) -> Answer {
    (status, json!({ "message": message }))
}

fn rfc3339(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The methods the fake knows: QRIS and the virtual accounts (issue 17).
pub const METHODS: [&str; 10] = [
    "qris",
    "bri_va",
    "bni_va",
    "cimb_niaga_va",
    "permata_va",
    "maybank_va",
    "bnc_va",
    "artha_graha_va",
    "atm_bersama_va",
    "sampoerna_va",
];

/// The flat fee of every bank transfer.
pub const VA_FEE: i64 = 3500;

fn fee_for(amount: i64) -> i64 {
    310 + amount * 7 / 1000
}

/// The fee of `amount` paid by `method` (see the module comment).
pub fn method_fee(method: &str, amount: i64) -> i64 {
    if method == "qris" {
        fee_for(amount)
    } else {
        VA_FEE
    }
}

/// A plausible EMV QRIS payload (TLV fields, real CRC16/CCITT); the txn id makes it unique.
fn qr_string(txn_id: &str, total: i64) -> String {
    let tlv = |tag: &str, v: &str| format!("{tag}{:02}{v}", v.len().min(99));
    let merchant = tlv("00", "ID.CO.QRIS.WWW") + &tlv("01", &format!("93600899{txn_id}"));
    let body = [
        tlv("00", "01"),
        tlv("01", "12"),
        tlv("26", &merchant),
        tlv("52", "5411"),
        tlv("53", "360"),
        tlv("54", &total.to_string()),
        tlv("58", "ID"),
        tlv("59", "QUICKCART DEMO"),
        tlv("60", "JAKARTA"),
    ]
    .concat()
        + "6304";
    let crc = body.bytes().fold(0xFFFF_u16, |mut crc, b| {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
        crc
    });
    format!("{body}{crc:04X}")
}

impl Txn {
    fn create_json(&self) -> Value {
        json!({"txn_id": self.txn_id, "project": self.project, "order_id": self.order_id,
               "amount": self.amount, "fee": self.fee, "total_payment": self.total_payment,
               "payment_method": self.payment_method,
               "qr_string": if self.va_number.is_some() { Value::Null } else { json!(self.qr_string) },
               "va_number": self.va_number,
               "expired_at": self.expired_at, "is_sandbox": self.is_sandbox, "status": self.status})
    }

    fn status_json(&self, amount: i64) -> Value {
        json!({"txn_id": self.txn_id, "order_id": self.order_id, "amount": amount,
               "is_sandbox": self.is_sandbox, "status": self.status, "completed_at": self.completed_at})
    }
}

impl St {
    fn check(&self, headers: &HeaderMap, project: &str) -> Result<(), Answer> {
        let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
        if key != Some(self.api_key.as_str()) {
            return Err(msg(401, "invalid api key"));
        }
        if project != self.project {
            return Err(msg(404, "project not found"));
        }
        Ok(())
    }

    fn create(&mut self, order_id: &str, body: &[u8]) -> Answer {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return msg(400, "invalid request body");
        };
        let Some(method) = v.get("method").and_then(Value::as_str).filter(|m| METHODS.contains(m)) else {
            return msg(400, "unsupported payment method");
        };
        let method = method.to_owned();
        let Some(amount) = v.get("amount").and_then(Value::as_i64).filter(|a| *a > 0) else {
            return msg(400, "amount must be a positive integer");
        };
        if order_id.is_empty() {
            return msg(400, "order_id is required");
        }
        if let Some(t) = self.txns.iter().find(|t| t.order_id == order_id) {
            if t.amount != amount {
                return msg(400, "order_id already used with a different amount");
            }
            return (200, t.create_json());
        }
        self.counter += 1;
        let txn_id = format!("TXN{:08}{:04}", self.counter, rand::random::<u16>() % 10_000);
        let fee = method_fee(&method, amount);
        let va = method != "qris";
        let txn = Txn {
            qr_string: if va { String::new() } else { qr_string(&txn_id, amount + fee) },
            va_number: va.then(|| format!("8808{:012}", self.counter * 7919 % 1_000_000_000_000)),
            payment_method: method,
            txn_id,
            project: self.project.clone(),
            order_id: order_id.to_owned(),
            amount,
            fee,
            total_payment: amount + fee,
            status: "pending".into(),
            is_sandbox: self.sandbox,
            expired_at: rfc3339(Utc::now() + chrono::Duration::minutes(60)),
            completed_at: None,
        };
        let mut out = txn.create_json();
        if self.variants.create_without_status {
            if let Some(o) = out.as_object_mut() {
                o.remove("status");
            }
        }
        self.txns.push(txn);
        (200, out)
    }

    fn status(&mut self, txn_id: &str) -> Answer {
        let Some(t) = self.txns.iter().find(|t| t.txn_id == txn_id) else {
            return msg(404, "transaction not found");
        };
        // Only answered calls start a new window.
        if self.last_status.get(txn_id).is_some_and(|at| at.elapsed() < self.status_interval) {
            return msg(429, "rate limited");
        }
        let amount = self.amount_override.get(&t.order_id).copied().unwrap_or(t.amount);
        let mut out = t.status_json(amount);
        if let (Some(word), Some(o)) =
            (self.variants.closed_word.as_deref().filter(|_| t.status == "canceled"), out.as_object_mut())
        {
            o.insert("status".into(), json!(word));
        }
        self.last_status.insert(txn_id.to_owned(), Instant::now());
        (200, out)
    }

    fn cancel(&mut self, txn_id: &str) -> Answer {
        if let Some(code) = self.variants.cancel_missing {
            return msg(code, if code == 405 { "method not allowed" } else { "not found" });
        }
        let Some(t) = self.txns.iter_mut().find(|t| t.txn_id == txn_id) else {
            return msg(404, "transaction not found");
        };
        if t.status == "completed" {
            return msg(400, "transaction already completed");
        }
        t.status = "canceled".into();
        (200, t.status_json(t.amount))
    }
}

/// A caller waiting for an answer during a hang.
struct Waiting<'a>(&'a Inner);

impl<'a> Waiting<'a> {
    fn new(inner: &'a Inner) -> Self {
        use std::sync::atomic::Ordering::SeqCst;
        let now = inner.held.fetch_add(1, SeqCst) + 1;
        inner.held_peak.fetch_max(now, SeqCst);
        Waiting(inner)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.held.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl St {
    /// Counts a create or cancel call against the rate limit; true when it is over.
    fn over_rate_limit(&mut self, route: PakasirRoute) -> bool {
        let Some(limit) = self.variants.rate_limit.filter(|_| route != PakasirRoute::Status) else { return false };
        let recent = &mut self.variants.recent;
        while recent.front().is_some_and(|at| at.elapsed() >= Duration::from_secs(1)) {
            recent.pop_front();
        }
        if recent.len() >= limit {
            return true;
        }
        recent.push_back(Instant::now());
        false
    }
}

impl FakePakasir {
    /// Binds `127.0.0.1:0`; only `project` exists and only `api_key` is accepted.
    pub async fn start(project: &str, api_key: &str) -> std::io::Result<FakePakasir> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let st = St {
            project: project.to_owned(),
            api_key: api_key.to_owned(),
            sandbox: false,
            status_interval: Duration::from_secs(4),
            txns: Vec::new(),
            last_status: HashMap::new(),
            amount_override: HashMap::new(),
            faults: HashMap::new(),
            calls: Vec::new(),
            counter: 0,
            fee_wrapped: false,
            variants: Variants::default(),
        };
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap_or_default();
        let (hang, _) = tokio::sync::watch::channel(false);
        let fake =
            FakePakasir(Arc::new(Inner { st: Mutex::new(st), addr, http, hang, held: 0.into(), held_peak: 0.into() }));
        let app = Router::new()
            .route("/api/v2/create-transaction/{project}/{id}", post(create_route))
            .route("/api/v2/transaction-status/{project}/{id}", get(status_route))
            .route("/api/v2/cancel-transaction/{project}/{id}", post(cancel_route))
            .route("/api/v2/payment-fee/{amount}", get(fee_route))
            .route("/pay-v2/{id}", get(pay_page))
            .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"message": "not found"}))) })
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(fake)
    }

    /// Base URL for `PAKASIR_BASE_URL`, e.g. `http://127.0.0.1:40124`.
    pub fn url(&self) -> String {
        format!("http://{}", self.0.addr)
    }

    fn lock(&self) -> MutexGuard<'_, St> {
        self.0.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies scripted faults, auth, the handler; records the call. Runs in its own task so a
    /// client that times out during a `Delay` still leaves the effect behind, like the real API.
    async fn serve(
        &self,
        route: PakasirRoute,
        path: String,
        headers: HeaderMap,
        project: String,
        handler: impl FnOnce(&mut St) -> Answer + Send + 'static,
    ) -> Response {
        let me = self.clone();
        let task = tokio::spawn(async move {
            // Closed only with the fake itself, when nobody waits any more.
            let _ = me.0.hang.subscribe().wait_for(|hung| !*hung).await;
            let fault = me.lock().faults.get_mut(&route).and_then(VecDeque::pop_front);
            let answer = match fault {
                Some(PakasirFault::Reset) => (0, Value::Null),
                Some(PakasirFault::Garbage) => (1, Value::Null),
                Some(PakasirFault::ServerError(code)) => msg(code, "internal server error"),
                Some(PakasirFault::Json(code, body)) => (code, body),
                other => {
                    if let Some(PakasirFault::Delay(d)) = other {
                        tokio::time::sleep(d).await;
                    }
                    let mut st = me.lock();
                    match st.check(&headers, &project) {
                        Ok(()) if st.over_rate_limit(route) => msg(429, "too many requests"),
                        Ok(()) => handler(&mut st),
                        Err(e) => e,
                    }
                }
            };
            me.lock().calls.push(PakasirCall { route, path, status: answer.0, at: Instant::now() });
            answer
        });
        // Counted while the caller still waits for this answer (dropped when it gives up).
        let _waiting = (*self.0.hang.borrow()).then(|| Waiting::new(&self.0));
        let (status, body) = task.await.unwrap_or_else(|_| msg(500, "fake pakasir task failed"));
        match status {
            0 => return super::reset_response(),
            1 => return super::nonsense_response(),
            _ => {}
        }
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (code, Json(body)).into_response()
    }

    // ---------------- test controls ----------------

    /// Marks the order's transaction paid now (even if canceled: tests simulate late payments).
    pub fn complete(&self, order_id: &str) -> Option<Txn> {
        let mut st = self.lock();
        let t = st.txns.iter_mut().find(|t| t.order_id == order_id)?;
        t.status = "completed".into();
        t.completed_at = Some(rfc3339(Utc::now()));
        Some(t.clone())
    }

    /// Pays the order's transaction only while it is still payable (`pending`), as a customer
    /// scanning the QR would: a canceled transaction cannot be paid.
    pub fn pay_if_pending(&self, order_id: &str) -> Option<Txn> {
        let mut st = self.lock();
        let t = st.txns.iter_mut().find(|t| t.order_id == order_id && t.status == "pending")?;
        t.status = "completed".into();
        t.completed_at = Some(rfc3339(Utc::now()));
        Some(t.clone())
    }

    /// Cancels the order's pending transaction as Pakasir does by itself once it expires.
    pub fn expire(&self, order_id: &str) -> Option<Txn> {
        let mut st = self.lock();
        let t = st.txns.iter_mut().find(|t| t.order_id == order_id && t.status == "pending")?;
        t.status = "canceled".into();
        Some(t.clone())
    }

    /// Variant "v2 has no cancel": cancel answers `code` (404 or 405) and changes nothing;
    /// `None` brings the endpoint back.
    pub fn set_cancel_missing(&self, code: Option<u16>) {
        self.lock().variants.cancel_missing = code;
    }

    /// Variant: the create answer carries no `status` field.
    pub fn set_create_without_status(&self, on: bool) {
        self.lock().variants.create_without_status = on;
    }

    /// Variant: the status call names a canceled transaction `word` (`cancelled`, `expired`);
    /// `None` = `canceled`.
    pub fn set_closed_word(&self, word: Option<&str>) {
        self.lock().variants.closed_word = word.map(str::to_owned);
    }

    /// At most `per_second` create and cancel calls are answered per second, the rest get 429
    /// (`None`: no limit).
    pub fn set_rate_limit(&self, per_second: Option<usize>) {
        let mut st = self.lock();
        st.variants.rate_limit = per_second;
        st.variants.recent.clear();
    }

    /// An outage: every call from now on hangs (the connection stays open, nothing is
    /// answered) until `set_hang(false)`; then the held calls go on as if they had just come.
    pub fn set_hang(&self, on: bool) {
        self.0.hang.send_replace(on);
    }

    /// The most callers that waited at once during a hang (how many the client had in flight;
    /// a caller that gave up no longer counts).
    pub fn held_peak(&self) -> usize {
        self.0.held_peak.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Calls answered with 429 so far on `route`.
    pub fn rate_limited(&self, route: PakasirRoute) -> usize {
        self.lock().calls.iter().filter(|c| c.route == route && c.status == 429).count()
    }

    /// Drops the scripted faults not yet used.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub fn txn_by_order(&self, order_id: &str) -> Option<Txn> {
        self.lock().txns.iter().find(|t| t.order_id == order_id).cloned()
    }

    pub fn txns(&self) -> Vec<Txn> {
        self.lock().txns.clone()
    }

    /// `is_sandbox` of transactions created from now on.
    pub fn set_sandbox(&self, sandbox: bool) {
        self.lock().sandbox = sandbox;
    }

    /// Answer `payment-fee` wrapped in `{"status": "success", "data": {…}}` (some integrations
    /// see it so) instead of flat.
    pub fn set_fee_wrapped(&self, wrapped: bool) {
        self.lock().fee_wrapped = wrapped;
    }

    /// Minimum gap between answered status calls per transaction (default 4 s).
    pub fn set_status_interval(&self, interval: Duration) {
        self.lock().status_interval = interval;
    }

    /// Makes the status endpoint report `amount` for this order (`None` = tell the truth).
    pub fn override_status_amount(&self, order_id: &str, amount: Option<i64>) {
        let mut st = self.lock();
        match amount {
            Some(a) => st.amount_override.insert(order_id.to_owned(), a),
            None => st.amount_override.remove(order_id),
        };
    }

    /// The next `n` calls to `route` misbehave as `fault`.
    pub fn fail_next(&self, route: PakasirRoute, n: usize, fault: PakasirFault) {
        let mut st = self.lock();
        st.faults.entry(route).or_default().extend(std::iter::repeat_n(fault, n));
    }

    /// Scripted faults not yet used up.
    pub fn faults_left(&self) -> usize {
        self.lock().faults.values().map(VecDeque::len).sum()
    }

    pub fn calls(&self) -> Vec<PakasirCall> {
        self.lock().calls.clone()
    }

    /// The body Pakasir would POST for this order: status `completed`, `completed_at` as stored
    /// or now. Also works for unpaid orders, to build forged webhooks.
    pub fn webhook_body(&self, order_id: &str) -> Option<Value> {
        let t = self.txn_by_order(order_id)?;
        let completed_at = t.completed_at.clone().unwrap_or_else(|| rfc3339(Utc::now()));
        Some(json!({"txn_id": t.txn_id, "order_id": t.order_id, "amount": t.amount,
                    "is_sandbox": t.is_sandbox, "status": "completed", "completed_at": completed_at}))
    }

    /// POSTs `body` to `target_url` with header `X-Secret`; returns (status, body text).
    pub async fn post_webhook(&self, target_url: &str, secret: &str, body: Value) -> reqwest::Result<(u16, String)> {
        let resp = self.0.http.post(target_url).header("X-Secret", secret).json(&body).send().await?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await?))
    }
}

async fn create_route(
    AxState(p): AxState<FakePakasir>,
    Path((project, order_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/api/v2/create-transaction/{project}/{order_id}");
    p.serve(PakasirRoute::Create, path, headers, project, move |st| st.create(&order_id, &body)).await
}

async fn status_route(
    AxState(p): AxState<FakePakasir>,
    Path((project, txn_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/api/v2/transaction-status/{project}/{txn_id}");
    p.serve(PakasirRoute::Status, path, headers, project, move |st| st.status(&txn_id)).await
}

async fn cancel_route(
    AxState(p): AxState<FakePakasir>,
    Path((project, txn_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/api/v2/cancel-transaction/{project}/{txn_id}");
    p.serve(PakasirRoute::Cancel, path, headers, project, move |st| st.cancel(&txn_id)).await
}

/// `GET /api/v2/payment-fee/{amount}`: public (no API key), the fee of every method. Scripted
/// faults of [`PakasirRoute::Fee`] apply as elsewhere.
async fn fee_route(AxState(p): AxState<FakePakasir>, Path(amount): Path<String>) -> Response {
    let path = format!("/api/v2/payment-fee/{amount}");
    let fault = p.lock().faults.get_mut(&PakasirRoute::Fee).and_then(VecDeque::pop_front);
    if let Some(PakasirFault::Delay(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let (status, body) = match fault {
        Some(PakasirFault::Reset) => (0, Value::Null),
        Some(PakasirFault::Garbage) => (1, Value::Null),
        Some(PakasirFault::ServerError(code)) => msg(code, "internal server error"),
        Some(PakasirFault::Json(code, body)) => (code, body),
        _ => match amount.parse::<i64>().ok().filter(|a| *a > 0) {
            None => msg(400, "amount must be a positive integer"),
            Some(a) => {
                let fees: serde_json::Map<String, Value> =
                    METHODS.iter().map(|m| ((*m).to_owned(), json!(method_fee(m, a)))).collect();
                if p.lock().fee_wrapped {
                    (200, json!({"status": "success", "data": fees}))
                } else {
                    (200, Value::Object(fees))
                }
            }
        },
    };
    p.lock().calls.push(PakasirCall { route: PakasirRoute::Fee, path, status, at: Instant::now() });
    match status {
        0 => super::reset_response(),
        1 => super::nonsense_response(),
        _ => (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), Json(body)).into_response(),
    }
}

/// Stand-in for the hosted checkout page (`[Checkout Page]` button in demo mode).
async fn pay_page(AxState(p): AxState<FakePakasir>, Path(txn_id): Path<String>) -> Response {
    let st = p.lock();
    match st.txns.iter().find(|t| t.txn_id == txn_id) {
        Some(t) => Html(format!(
            "<html><body><h1>Pakasir (fake)</h1><p>Order {} &middot; Rp {} &middot; {}</p><pre>{}</pre></body></html>",
            t.order_id,
            t.total_payment,
            t.status,
            t.va_number.as_deref().map_or_else(|| t.qr_string.clone(), |n| format!("VA {} {n}", t.payment_method))
        ))
        .into_response(),
        None => (StatusCode::NOT_FOUND, Html("transaction not found".to_owned())).into_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn fee_rule() {
        assert_eq!(fee_for(30_000), 520);
        assert_eq!(fee_for(1), 310);
        assert_eq!(method_fee("qris", 30_000), 520);
        assert_eq!(method_fee("bri_va", 30_000), VA_FEE);
        assert_eq!(method_fee("sampoerna_va", 1_000_000), VA_FEE);
    }

    #[tokio::test]
    async fn a_hang_counts_only_callers_still_waiting() {
        let p = FakePakasir::start("shop", "k").await.unwrap();
        p.set_hang(true);
        let c = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
        let url = format!("{}/api/v2/transaction-status/shop/T1", p.url());
        for _ in 0..3 {
            assert!(c.get(&url).header("X-Api-Key", "k").send().await.is_err());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(p.held_peak(), 1, "callers that gave up still counted");
        let all = (0..4).map(|_| c.get(&url).header("X-Api-Key", "k").send());
        for r in futures_join(all).await {
            assert!(r.is_err());
        }
        assert_eq!(p.held_peak(), 4);
        p.set_hang(false);
        assert_eq!(c.get(&url).header("X-Api-Key", "k").send().await.unwrap().status(), 404);
    }

    async fn futures_join<F: std::future::Future + Send + 'static>(all: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F::Output: Send + 'static,
    {
        let handles: Vec<_> = all.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn create_is_idempotent_and_status_is_rate_limited() {
        let p = FakePakasir::start("shop", "k").await.unwrap();
        let c = reqwest::Client::new();
        let url = format!("{}/api/v2/create-transaction/shop/INV1", p.url());
        let body = json!({"method": "qris", "amount": 30000});
        let a: Value = c.post(&url).header("X-Api-Key", "k").json(&body).send().await.unwrap().json().await.unwrap();
        let b: Value = c.post(&url).header("X-Api-Key", "k").json(&body).send().await.unwrap().json().await.unwrap();
        assert_eq!(a, b);
        assert_eq!((a["fee"].as_i64(), a["total_payment"].as_i64()), (Some(520), Some(30520)));
        let s = format!("{}/api/v2/transaction-status/shop/{}", p.url(), a["txn_id"].as_str().unwrap());
        assert_eq!(c.get(&s).header("X-Api-Key", "k").send().await.unwrap().status(), 200);
        assert_eq!(c.get(&s).header("X-Api-Key", "k").send().await.unwrap().status(), 429);
        assert_eq!(c.get(&s).header("X-Api-Key", "bad").send().await.unwrap().status(), 401);
    }

    #[tokio::test]
    async fn virtual_accounts_and_the_public_fee_endpoint() {
        let p = FakePakasir::start("shop", "k").await.unwrap();
        let c = reqwest::Client::new();
        let url = format!("{}/api/v2/create-transaction/shop/INV2", p.url());
        let body = json!({"method": "bri_va", "amount": 30000});
        let a: Value = c.post(&url).header("X-Api-Key", "k").json(&body).send().await.unwrap().json().await.unwrap();
        assert_eq!((a["payment_method"].as_str(), a["fee"].as_i64()), (Some("bri_va"), Some(VA_FEE)));
        assert!(a["qr_string"].is_null() && a["va_number"].as_str().is_some_and(|n| n.len() > 8), "{a}");
        let bad = json!({"method": "gopay", "amount": 30000});
        let url3 = format!("{}/api/v2/create-transaction/shop/INV3", p.url());
        assert_eq!(c.post(&url3).header("X-Api-Key", "k").json(&bad).send().await.unwrap().status(), 400);
        // No API key needed for fees; flat, then wrapped.
        let fee_url = format!("{}/api/v2/payment-fee/30000", p.url());
        let flat: Value = c.get(&fee_url).send().await.unwrap().json().await.unwrap();
        assert_eq!((flat["qris"].as_i64(), flat["bni_va"].as_i64()), (Some(520), Some(VA_FEE)));
        p.set_fee_wrapped(true);
        let wrapped: Value = c.get(&fee_url).send().await.unwrap().json().await.unwrap();
        assert_eq!(wrapped["data"], flat);
    }
}
