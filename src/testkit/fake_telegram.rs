//! Fake Telegram Bot API server for end-to-end tests and `quickcart demo`.
//!
//! Speaks the real wire format (`POST {url}/bot{TOKEN}/{method}` with JSON, multipart or
//! form bodies; `{"ok":..}` envelopes) and keeps a per-chat model of what a user would see.
//! It never answers 5xx: teloxide sleeps 10 s after any server error.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State as AxState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use tokio::sync::Notify;

/// `username` the fake reports in `getMe`.
pub const BOT_USERNAME: &str = "QuickCartTestBot";
const BOT_FIRST_NAME: &str = "QuickCart Test";
const MAX_TEXT: usize = 4096;
const MAX_CAPTION: usize = 1024;
const BODY_LIMIT: usize = 64 << 20;

/// What kind of message the bot produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgKind {
    Text,
    Photo,
    Document,
    Sticker,
    /// Result of `copyMessage`.
    Copy,
    /// Result of `forwardMessage`.
    Forward,
    /// Result of `sendInvoice` (Telegram Stars): text is title, description and amount.
    Invoice,
}

/// An invoice the bot sent with `sendInvoice` (issue 18, Telegram Stars).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeInvoice {
    pub chat_id: i64,
    pub message_id: i64,
    pub title: String,
    pub description: String,
    pub payload: String,
    pub currency: String,
    /// The one price's amount (whole Stars for XTR).
    pub amount: i64,
}

/// The bot's answer to a pre-checkout query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreCheckoutAnswer {
    pub ok: bool,
    pub error_message: Option<String>,
    /// From the query's injection to the answer (Telegram allows 10 s).
    pub latency: Duration,
}

/// What [`FakeTelegram::pay_invoice`] did: the bot's pre-checkout answer and, when it said ok,
/// the `successful_payment` sent (its charge id and update id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StarsPaymentOutcome {
    pub answer: Option<PreCheckoutAnswer>,
    pub charge_id: Option<String>,
    pub update_id: Option<i64>,
}

/// One inline keyboard button.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    pub callback_data: Option<String>,
    pub url: Option<String>,
}

/// A bot message as the user sees it (edits applied in place).
#[derive(Clone, Debug, PartialEq)]
pub struct BotMessage {
    pub chat_id: i64,
    pub message_id: i64,
    pub kind: MsgKind,
    /// Text or caption as displayed: for `parse_mode=HTML` tags are stripped and entities
    /// decoded (Telegram rejects malformed HTML, and so does the fake).
    pub text: String,
    /// Text or caption exactly as the bot sent it.
    pub raw_text: String,
    pub inline_buttons: Vec<Vec<Button>>,
    /// Reply keyboard sent with this message (also becomes the chat's current one).
    pub reply_keyboard: Option<Vec<Vec<String>>>,
    pub file_name: Option<String>,
    pub file_bytes: Option<Vec<u8>>,
    pub deleted: bool,
    pub edits: u32,
    pub parse_mode: Option<String>,
}

/// One API call the bot made.
#[derive(Clone, Debug)]
pub struct Call {
    /// Lowercase method name, e.g. `"sendmessage"`.
    pub method: String,
    pub params: Value,
    /// `(param field, file name, bytes)` of an uploaded file.
    pub file: Option<(String, String, Vec<u8>)>,
    pub at: Instant,
    /// HTTP status the fake answered.
    pub outcome: u16,
}

/// Scripted error answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `parameters.retry_after`.
    RetryAfter(u32),
    /// 403 "Forbidden: bot was blocked by the user".
    Blocked,
    /// 400 with this description (use the exact Telegram text to get a specific `ApiError`).
    BadRequest(String),
    /// A server error (500, 502, …) with Telegram's JSON error shape.
    ServerError(u16),
    /// Handles the call normally, but answers only after this long (a client timeout: Telegram
    /// did act on it).
    Hang(Duration),
    /// The connection breaks off before the answer (nothing is done).
    Reset,
    /// `200 OK` with an HTML page instead of JSON (nothing is done).
    Nonsense,
}

/// Sliding 1 s windows for sends (send*, copy, forward, edit*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub global_per_sec: u32,
    pub per_chat_per_sec: u32,
    pub retry_after: u32,
}

/// A Telegram user used for injected updates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeUser {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
}

impl FakeUser {
    /// `User<id>` / `@user<id>`, the same user `send_text` uses.
    pub fn new(id: i64) -> Self {
        Self { id, first_name: format!("User{id}"), username: Some(format!("user{id}")) }
    }

    fn json(&self) -> Value {
        let mut u = json!({"id": self.id, "is_bot": false, "first_name": self.first_name});
        if let (Some(name), Some(o)) = (&self.username, u.as_object_mut()) {
            o.insert("username".into(), json!(name));
        }
        u
    }
}

/// A file the bot can `getFile` and download.
struct StoredFile {
    path: String,
    bytes: Vec<u8>,
}

#[derive(Default)]
struct ChatState {
    next_message_id: i64,
    bot_messages: Vec<BotMessage>,
    /// Every message (bot's and injected) as Bot API JSON, for replies and callback queries.
    raw: HashMap<i64, Value>,
    reply_keyboard: Option<Vec<Vec<String>>>,
    /// First name (private) or title (group), learned from injected messages.
    name: Option<String>,
    username: Option<String>,
}

impl ChatState {
    fn alloc_id(&mut self) -> i64 {
        self.next_message_id += 1;
        self.next_message_id
    }
}

#[derive(Default)]
struct St {
    next_update_id: i64,
    /// Injected updates not yet confirmed by a getUpdates offset.
    queue: VecDeque<(i64, Value)>,
    delivered: i64,
    chats: HashMap<i64, ChatState>,
    calls: Vec<Call>,
    faults: HashMap<String, VecDeque<Fault>>,
    /// Faults for calls of one method to one chat (taken before the method-wide ones).
    chat_faults: HashMap<(String, i64), VecDeque<Fault>>,
    blocked: HashSet<i64>,
    rate: Option<RateLimit>,
    sends: VecDeque<(Instant, i64)>,
    /// Messages a group (negative chat id) takes per minute, as Telegram (20); `None`: no limit.
    group_per_minute: Option<u32>,
    group_sends: VecDeque<(Instant, i64)>,
    /// Private-chat messages that may go at once before the per-chat rate applies (Telegram
    /// "may allow short bursts"); 1: none, each message a full interval after the last.
    chat_burst: u32,
    /// Per private chat: messages it may still take at once, and when that was counted.
    chat_credit: HashMap<i64, (f64, Instant)>,
    /// Every Bot API answer comes this long after the request (half on the way there, half on
    /// the way back), plus up to `.1` of random jitter: a VM some way from Telegram.
    round_trip: Option<(Duration, Duration)>,
    /// 429s answered, per chat.
    too_many: HashMap<i64, u64>,
    /// 429s answered because the bot's total (not one chat) was over the limit.
    too_many_global: u64,
    /// Bot API calls (long polls aside) being answered now, and the most at once so far.
    in_flight: usize,
    max_in_flight: usize,
    /// `setMyCommands` by scope (canonical JSON) + language code.
    commands: HashMap<String, Value>,
    files: HashMap<String, StoredFile>,
    next_file: u64,
    next_cbq: u64,
    bot_id: i64,
    allowed_updates: Option<Vec<String>>,
    last_activity: Option<Instant>,
    /// When set, only this token is accepted; any other gets 401 Unauthorized, as Telegram
    /// answers a revoked or mistyped token.
    only_token: Option<String>,
    /// The registered webhook (`setWebhook`), as `getWebhookInfo` reports it; while one is set,
    /// `getUpdates` answers 409 Conflict, as Telegram does.
    webhook_url: String,
    /// `last_error_message` of `getWebhookInfo` (what Telegram saw delivering to the webhook).
    webhook_error: Option<String>,
    /// Telegram Stars: invoices sent, pre-checkout queries (sent at, answer), charges made
    /// (charge id → user, amount) and refunds (user, charge id) Telegram accepted.
    invoices: Vec<FakeInvoice>,
    pre_checkouts: HashMap<String, (Instant, Option<PreCheckoutAnswer>)>,
    next_pcq: u64,
    charges: HashMap<String, (i64, i64)>,
    next_charge: u64,
    star_refunds: Vec<(i64, String)>,
}

struct Inner {
    st: Mutex<St>,
    /// Woken when an update is injected (long-poll).
    updates: Notify,
    /// Woken whenever the bot made a call (messages may have changed).
    changed: Notify,
    addr: SocketAddr,
}

/// Handle to a running fake Telegram server. Cheap to clone.
#[derive(Clone)]
pub struct FakeTelegram(Arc<Inner>);

/// An error answer: HTTP status + Bot API error body.
struct ApiErr(u16, Value);

fn api_err(code: u16, description: &str) -> ApiErr {
    ApiErr(code, json!({"ok": false, "error_code": code, "description": description}))
}

fn bad(description: &str) -> ApiErr {
    api_err(400, description)
}

fn too_many(retry_after: u32) -> ApiErr {
    ApiErr(
        429,
        json!({"ok": false, "error_code": 429,
               "description": format!("Too Many Requests: retry after {retry_after}"),
               "parameters": {"retry_after": retry_after}}),
    )
}

fn fault_err(f: &Fault) -> ApiErr {
    match f {
        Fault::RetryAfter(n) => too_many(*n),
        Fault::Blocked => api_err(403, "Forbidden: bot was blocked by the user"),
        Fault::BadRequest(d) => bad(d),
        Fault::ServerError(code) => api_err(*code, if *code == 502 { "Bad Gateway" } else { "Internal Server Error" }),
        // Answered in `api_route` (they are no JSON error); never reach here.
        Fault::Hang(_) | Fault::Reset | Fault::Nonsense => api_err(500, "Internal Server Error"),
    }
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

// ---- parameter access: values may be JSON-typed or strings (multipart/form bodies) ----

fn p_i64(p: &Value, k: &str) -> Option<i64> {
    match p.get(k)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn p_str(p: &Value, k: &str) -> Option<String> {
    match p.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn p_json(p: &Value, k: &str) -> Option<Value> {
    match p.get(k)? {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        v => Some(v.clone()),
    }
}

fn p_bool(p: &Value, k: &str) -> bool {
    match p.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

/// Keys whose multipart/form values stay strings even if they look like JSON numbers.
#[rustfmt::skip]
const STRING_KEYS: &[&str] = &[
    "text", "caption", "callback_query_id", "file_id", "inline_message_id", "title",
    "description", "url", "emoji", "photo", "document", "sticker", "language_code",
];

fn form_value(key: &str, v: String) -> Value {
    if !STRING_KEYS.contains(&key) {
        if let Ok(parsed @ (Value::Number(_) | Value::Bool(_) | Value::Object(_) | Value::Array(_))) =
            serde_json::from_str::<Value>(&v)
        {
            return parsed;
        }
    }
    Value::String(v)
}

/// Parses `a=b&c=d` (via `Url`, which knows form encoding) into `out`.
fn merge_query(q: &str, out: &mut Map<String, Value>) {
    if let Ok(u) = reqwest::Url::parse(&format!("http://x/?{q}")) {
        for (k, v) in u.query_pairs() {
            out.insert(k.to_string(), form_value(&k, v.into_owned()));
        }
    }
}

type FileIn = (String, String, Vec<u8>);

/// Reads the params of any body teloxide (or curl) may send.
async fn read_params(req: Request) -> Result<(Value, Option<FileIn>), String> {
    let mut out = Map::new();
    if let Some(q) = req.uri().query() {
        merge_query(q, &mut out);
    }
    let ctype =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    if ctype.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &()).await.map_err(|e| e.body_text())?;
        // (name, filename, bytes)
        let mut parts: Vec<(String, Option<String>, Vec<u8>)> = Vec::new();
        while let Some(field) = mp.next_field().await.map_err(|e| e.body_text())? {
            let name = field.name().unwrap_or_default().to_owned();
            let fname = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| e.body_text())?;
            parts.push((name, fname, bytes.to_vec()));
        }
        // teloxide sends `photo=attach://<uuid>` plus a file part named `<uuid>`.
        let attached: HashMap<String, String> = parts
            .iter()
            .filter_map(|(n, _, b)| {
                let s = std::str::from_utf8(b).ok()?;
                Some((s.strip_prefix("attach://")?.to_owned(), n.clone()))
            })
            .collect();
        let mut file = None;
        for (name, fname, bytes) in parts {
            if let Some(param) = attached.get(&name) {
                file = Some((param.clone(), fname.unwrap_or_default(), bytes));
            } else if fname.is_some() {
                file = Some((name.clone(), fname.unwrap_or_default(), bytes));
                out.insert(name, Value::String("attach://direct".into()));
            } else {
                let s = String::from_utf8_lossy(&bytes).into_owned();
                let v = form_value(&name, s);
                out.insert(name, v);
            }
        }
        return Ok((Value::Object(out), file));
    }
    let body = axum::body::to_bytes(req.into_body(), BODY_LIMIT).await.map_err(|e| e.to_string())?;
    if ctype.starts_with("application/x-www-form-urlencoded") {
        merge_query(&String::from_utf8_lossy(&body), &mut out);
    } else if !body.iter().all(u8::is_ascii_whitespace) {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => out.extend(m),
            _ => return Err("Bad Request: invalid JSON body".into()),
        }
    }
    Ok((Value::Object(out), None))
}

// ---- HTML parse mode: validate like Telegram and render what the user sees ----

#[rustfmt::skip]
const HTML_TAGS: &[&str] = &[
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
];

fn decode_entity(ent: &str) -> Option<char> {
    match ent {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        _ => {
            let num = ent.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

fn render_html(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut stack: Vec<String> = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((pos, c)) = it.next() {
        match c {
            '<' => {
                let rest = s.get(pos + 1..).unwrap_or_default();
                let Some(end) = rest.find('>') else {
                    return Err(format!("Unclosed start tag at byte offset {pos}"));
                };
                let inner = rest.get(..end).unwrap_or_default();
                for _ in 0..=end {
                    it.next();
                }
                if let Some(name) = inner.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    if stack.pop().as_deref() != Some(name.as_str()) {
                        return Err(format!("Unexpected end tag at byte offset {pos}"));
                    }
                } else {
                    let name = inner.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
                    if !HTML_TAGS.contains(&name.as_str()) {
                        return Err(format!("Unsupported start tag \"{name}\" at byte offset {pos}"));
                    }
                    stack.push(name);
                }
            }
            '&' => {
                let rest = s.get(pos + 1..).unwrap_or_default();
                let decoded =
                    rest.find(';').filter(|&i| i <= 10).and_then(|i| Some((i, decode_entity(rest.get(..i)?)?)));
                match decoded {
                    Some((i, ch)) => {
                        out.push(ch);
                        for _ in 0..=i {
                            it.next();
                        }
                    }
                    // Telegram keeps a bare '&' that starts no known entity.
                    None => out.push('&'),
                }
            }
            _ => out.push(c),
        }
    }
    match stack.pop() {
        Some(open) => Err(format!("Can't find end tag corresponding to start tag \"{open}\"")),
        None => Ok(out),
    }
}

fn render(text: &str, parse_mode: Option<&str>) -> Result<String, ApiErr> {
    match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        Some("html") => render_html(text).map_err(|e| bad(&format!("Bad Request: can't parse entities: {e}"))),
        // Markdown(V2) is shown as sent.
        _ => Ok(text.to_owned()),
    }
}

// ---- reply markup ----

fn parse_inline(markup: Option<&Value>) -> Result<Vec<Vec<Button>>, ApiErr> {
    let Some(rows) = markup.and_then(|m| m.get("inline_keyboard")).and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for row in rows {
        let mut r = Vec::new();
        for b in row.as_array().map(Vec::as_slice).unwrap_or_default() {
            let callback_data = b.get("callback_data").and_then(Value::as_str).map(str::to_owned);
            if callback_data.as_ref().is_some_and(|d| d.is_empty() || d.len() > 64) {
                return Err(bad("Bad Request: BUTTON_DATA_INVALID"));
            }
            r.push(Button {
                text: b.get("text").and_then(Value::as_str).unwrap_or_default().to_owned(),
                callback_data,
                url: b.get("url").and_then(Value::as_str).map(str::to_owned),
            });
        }
        out.push(r);
    }
    Ok(out)
}

/// `Some(Some(k))` = new reply keyboard, `Some(None)` = removed, `None` = untouched.
fn parse_reply_keyboard(markup: Option<&Value>) -> Option<Option<Vec<Vec<String>>>> {
    let m = markup?;
    if let Some(rows) = m.get("keyboard").and_then(Value::as_array) {
        let kb = rows
            .iter()
            .map(|row| {
                row.as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|b| match b {
                        Value::String(s) => s.clone(),
                        b => b.get("text").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .collect();
        return Some(Some(kb));
    }
    m.get("remove_keyboard").map(|_| None)
}

fn bot_command_entities(text: &str) -> Option<Value> {
    if !text.starts_with('/') {
        return None;
    }
    let word = text.split_whitespace().next().unwrap_or_default();
    Some(json!([{"type": "bot_command", "offset": 0, "length": utf16_len(word)}]))
}

fn ext_of(name: &str) -> &str {
    name.rsplit_once('.').map(|(_, e)| e).unwrap_or("bin")
}

fn mime_of(name: &str) -> &'static str {
    match ext_of(name).to_ascii_lowercase().as_str() {
        "txt" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

#[rustfmt::skip]
const SEND_METHODS: &[&str] = &[
    "sendmessage", "sendphoto", "senddocument", "sendsticker", "copymessage", "forwardmessage", "sendinvoice",
];
const EDIT_METHODS: &[&str] = &["editmessagetext", "editmessagecaption", "editmessagereplymarkup"];
#[rustfmt::skip]
const TRUE_METHODS: &[&str] = &[
    "answercallbackquery", "sendchataction", "setmydescription",
    "setmyshortdescription", "setmyname", "setchatmenubutton", "close", "logout",
];

impl St {
    fn chat(&mut self, id: i64) -> &mut ChatState {
        self.chats.entry(id).or_default()
    }

    fn bot_user(&self) -> Value {
        json!({"id": self.bot_id, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME})
    }

    fn chat_json(&self, id: i64) -> Value {
        let c = self.chats.get(&id);
        let name = c.and_then(|c| c.name.clone());
        if id < 0 {
            let ty = if id < -1_000_000_000_000 { "supergroup" } else { "group" };
            return json!({"id": id, "type": ty, "title": name.unwrap_or_else(|| format!("Group {id}"))});
        }
        let mut chat = json!({"id": id, "type": "private",
                              "first_name": name.unwrap_or_else(|| format!("User{id}"))});
        if let (Some(u), Some(o)) = (c.and_then(|c| c.username.clone()), chat.as_object_mut()) {
            o.insert("username".into(), json!(u));
        }
        chat
    }

    fn store_file(&mut self, dir: &str, name: &str, bytes: Vec<u8>) -> (String, String, usize) {
        self.next_file += 1;
        let n = self.next_file;
        let id = format!("FILE{n:06}");
        let size = bytes.len();
        let path = format!("{dir}/file_{n}.{}", ext_of(name));
        self.files.insert(id.clone(), StoredFile { path, bytes });
        (id, format!("U{n:06}"), size)
    }

    fn media_json(&mut self, kind: MsgKind, name: &str, bytes: Vec<u8>) -> Value {
        match kind {
            MsgKind::Photo => {
                let (id, uid, size) = self.store_file("photos", "p.jpg", bytes.clone());
                let (id2, uid2, size2) = self.store_file("photos", "p.jpg", bytes);
                json!([{"file_id": id, "file_unique_id": uid, "file_size": size, "width": 90, "height": 90},
                       {"file_id": id2, "file_unique_id": uid2, "file_size": size2, "width": 800, "height": 800}])
            }
            MsgKind::Sticker => {
                let (id, uid, size) = self.store_file("stickers", "s.webp", bytes);
                json!({"file_id": id, "file_unique_id": uid, "file_size": size, "width": 512,
                       "height": 512, "type": "regular", "is_animated": false, "is_video": false,
                       "emoji": "\u{1F44D}"})
            }
            _ => {
                let (id, uid, size) = self.store_file("documents", name, bytes);
                json!({"file_id": id, "file_unique_id": uid, "file_size": size,
                       "file_name": name, "mime_type": mime_of(name)})
            }
        }
    }

    fn take_fault(&mut self, method: &str, p: &Value) -> Option<Fault> {
        let chat = p_i64(p, "chat_id");
        if let Some(f) = chat.and_then(|c| self.chat_faults.get_mut(&(method.to_string(), c))?.pop_front()) {
            return Some(f);
        }
        self.faults.get_mut(method)?.pop_front()
    }

    fn check_chat(&mut self, chat: i64) -> Result<(), ApiErr> {
        if self.blocked.contains(&chat) {
            return Err(fault_err(&Fault::Blocked));
        }
        let Some(rl) = self.rate else { return Ok(()) };
        let now = Instant::now();
        while self.sends.front().is_some_and(|(t, _)| now.duration_since(*t) >= Duration::from_secs(1)) {
            self.sends.pop_front();
        }
        let chat_full = if self.chat_burst > 1 && chat > 0 {
            let (credit, at) = self.chat_credit.get(&chat).copied().unwrap_or((f64::from(self.chat_burst), now));
            let credit = (credit + now.duration_since(at).as_secs_f64() * f64::from(rl.per_chat_per_sec))
                .min(f64::from(self.chat_burst));
            self.chat_credit.insert(chat, (credit, now));
            credit < 1.0
        } else {
            self.sends.iter().filter(|(_, c)| *c == chat).count() >= rl.per_chat_per_sec as usize
        };
        let group_full = match self.group_per_minute.filter(|_| chat < 0) {
            Some(per_minute) => {
                while self.group_sends.front().is_some_and(|(t, _)| now.duration_since(*t) >= Duration::from_secs(60)) {
                    self.group_sends.pop_front();
                }
                self.group_sends.iter().filter(|(_, c)| *c == chat).count() >= per_minute as usize
            }
            None => false,
        };
        let global_full = self.sends.len() >= rl.global_per_sec as usize;
        if global_full || chat_full || group_full {
            *self.too_many.entry(chat).or_default() += 1;
            if global_full {
                self.too_many_global += 1;
            }
            return Err(too_many(rl.retry_after));
        }
        self.sends.push_back((now, chat));
        if let Some((credit, _)) = self.chat_credit.get_mut(&chat) {
            *credit -= 1.0;
        }
        if chat < 0 {
            self.group_sends.push_back((now, chat));
        }
        Ok(())
    }

    fn handle(&mut self, method: &str, p: &Value, file: Option<&FileIn>) -> Result<Value, ApiErr> {
        let targets_chat = SEND_METHODS.contains(&method) || EDIT_METHODS.contains(&method);
        if targets_chat && p.get("inline_message_id").is_none() {
            let chat = p_i64(p, "chat_id").ok_or_else(|| bad("Bad Request: chat not found"))?;
            self.check_chat(chat)?;
        }
        match method {
            "getme" => {
                let mut me = self.bot_user();
                if let Some(o) = me.as_object_mut() {
                    for k in ["can_join_groups", "can_read_all_group_messages"] {
                        o.insert(k.into(), json!(true));
                    }
                    for k in ["supports_inline_queries", "can_connect_to_business", "has_main_web_app"] {
                        o.insert(k.into(), json!(false));
                    }
                }
                Ok(me)
            }
            "getwebhookinfo" => {
                let mut info = json!({"url": self.webhook_url, "has_custom_certificate": false,
                                      "pending_update_count": self.queue.len()});
                if let (Some(e), Some(o)) = (&self.webhook_error, info.as_object_mut()) {
                    o.insert("last_error_date".into(), json!(now_unix()));
                    o.insert("last_error_message".into(), json!(e));
                }
                Ok(info)
            }
            "setwebhook" => {
                self.webhook_url = p_str(p, "url").unwrap_or_default();
                Ok(json!(true))
            }
            "deletewebhook" => {
                self.webhook_url.clear();
                Ok(json!(true))
            }
            m if TRUE_METHODS.contains(&m) => Ok(json!(true)),
            "setmycommands" => {
                let cmds = p_json(p, "commands").unwrap_or_else(|| json!([]));
                self.commands.insert(commands_key(p), cmds);
                Ok(json!(true))
            }
            "deletemycommands" => {
                self.commands.remove(&commands_key(p));
                Ok(json!(true))
            }
            "getmycommands" => Ok(self.commands.get(&commands_key(p)).cloned().unwrap_or_else(|| json!([]))),
            "sendmessage" | "sendphoto" | "senddocument" | "sendsticker" => self.send(method, p, file),
            "copymessage" | "forwardmessage" => self.copy(method, p),
            "sendinvoice" => self.send_invoice(p),
            "answerprecheckoutquery" => self.answer_pre_checkout(p),
            "refundstarpayment" => self.refund_star_payment(p),
            m if EDIT_METHODS.contains(&m) => self.edit(m, p),
            "deletemessage" => self.delete(p),
            "getfile" => {
                let id = p_str(p, "file_id").unwrap_or_default();
                let f = self.files.get(&id).ok_or_else(|| bad("Bad Request: invalid file id"))?;
                let uid = id.replacen("FILE", "U", 1);
                Ok(json!({"file_id": id, "file_unique_id": uid, "file_size": f.bytes.len(), "file_path": f.path}))
            }
            "getchat" => {
                let id = p_i64(p, "chat_id").ok_or_else(|| bad("Bad Request: chat not found"))?;
                let mut chat = self.chat_json(id);
                if let Some(o) = chat.as_object_mut() {
                    o.insert("max_reaction_count".into(), json!(11));
                    o.insert(
                        "accepted_gift_types".into(),
                        json!({"unlimited_gifts": false, "limited_gifts": false,
                               "unique_gifts": false, "premium_subscription": false}),
                    );
                }
                Ok(chat)
            }
            _ => Err(api_err(404, "Not Found: method not found")),
        }
    }

    /// Common base of every message the bot sends into `chat`.
    fn new_bot_raw(&mut self, chat: i64) -> (i64, Value) {
        let id = self.chat(chat).alloc_id();
        (id, json!({"message_id": id, "date": now_unix(), "chat": self.chat_json(chat), "from": self.bot_user()}))
    }

    fn send(&mut self, method: &str, p: &Value, file: Option<&FileIn>) -> Result<Value, ApiErr> {
        let chat = p_i64(p, "chat_id").ok_or_else(|| bad("Bad Request: chat not found"))?;
        let kind = match method {
            "sendphoto" => MsgKind::Photo,
            "senddocument" => MsgKind::Document,
            "sendsticker" => MsgKind::Sticker,
            _ => MsgKind::Text,
        };
        let parse_mode = p_str(p, "parse_mode");
        let raw_text = p_str(p, if kind == MsgKind::Text { "text" } else { "caption" }).unwrap_or_default();
        let text = render(&raw_text, parse_mode.as_deref())?;
        if kind == MsgKind::Text && text.trim().is_empty() {
            return Err(bad("Bad Request: message text is empty"));
        }
        if kind == MsgKind::Text && utf16_len(&text) > MAX_TEXT {
            return Err(bad("Bad Request: message is too long"));
        }
        if kind != MsgKind::Text && utf16_len(&text) > MAX_CAPTION {
            return Err(bad("Bad Request: message caption is too long"));
        }
        let markup = p_json(p, "reply_markup");
        let inline_buttons = parse_inline(markup.as_ref())?;
        let reply_params = p_json(p, "reply_parameters").unwrap_or_default();
        let reply_to = p_i64(p, "reply_to_message_id").or_else(|| p_i64(&reply_params, "message_id"));
        let lenient = p_bool(p, "allow_sending_without_reply") || p_bool(&reply_params, "allow_sending_without_reply");
        let reply_raw = match reply_to.map(|r| self.chat(chat).raw.get(&r).cloned()) {
            Some(None) if !lenient => return Err(bad("Bad Request: message to be replied not found")),
            found => found.flatten(),
        };
        // The media: an uploaded part, or a file_id the fake knows (URLs/unknown ids: no bytes).
        let field = match kind {
            MsgKind::Photo => "photo",
            MsgKind::Document => "document",
            MsgKind::Sticker => "sticker",
            _ => "",
        };
        let (file_name, file_bytes) = match file.filter(|(f, _, _)| f == field) {
            Some((_, name, bytes)) => (Some(name.clone()), Some(bytes.clone())),
            None => {
                let known = p_str(p, field).and_then(|id| self.files.get(&id)).map(|f| f.bytes.clone());
                (None, known)
            }
        };
        let (id, mut raw) = self.new_bot_raw(chat);
        if let Some(o) = raw.as_object_mut() {
            if kind == MsgKind::Text {
                o.insert("text".into(), json!(text));
            } else {
                if !text.is_empty() {
                    o.insert("caption".into(), json!(text));
                }
                let name = file_name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| "document".into());
                let media = self.media_json(kind, &name, file_bytes.clone().unwrap_or_default());
                o.insert(field.into(), media);
            }
            if !inline_buttons.is_empty() {
                if let Some(m) = &markup {
                    o.insert("reply_markup".into(), m.clone());
                }
            }
            if let Some(r) = reply_raw {
                o.insert("reply_to_message".into(), r);
            }
        }
        let reply_keyboard = parse_reply_keyboard(markup.as_ref());
        let c = self.chat(chat);
        if let Some(k) = &reply_keyboard {
            c.reply_keyboard = k.clone();
        }
        c.raw.insert(id, raw.clone());
        c.bot_messages.push(BotMessage {
            chat_id: chat,
            message_id: id,
            kind,
            text,
            raw_text,
            inline_buttons,
            reply_keyboard: reply_keyboard.flatten(),
            file_name: file_name.or_else(|| (kind == MsgKind::Document).then(|| "document".to_owned())),
            file_bytes,
            deleted: false,
            edits: 0,
            parse_mode,
        });
        Ok(raw)
    }

    /// `sendInvoice`, as Telegram checks a Stars invoice: XTR, no provider token, exactly one
    /// price, payload 1–128 bytes, title 1–32 and description 1–255 characters.
    fn send_invoice(&mut self, p: &Value) -> Result<Value, ApiErr> {
        let chat = p_i64(p, "chat_id").ok_or_else(|| bad("Bad Request: chat not found"))?;
        let title = p_str(p, "title").unwrap_or_default();
        let description = p_str(p, "description").unwrap_or_default();
        let payload = p_str(p, "payload").unwrap_or_default();
        let currency = p_str(p, "currency").unwrap_or_default();
        if currency != "XTR" {
            return Err(bad("Bad Request: CURRENCY_INVALID (only XTR invoices are accepted here)"));
        }
        if p_str(p, "provider_token").is_some_and(|t| !t.is_empty()) {
            return Err(bad("Bad Request: PROVIDER_TOKEN_INVALID (XTR invoices take no provider token)"));
        }
        if !(1..=32).contains(&title.chars().count()) {
            return Err(bad("Bad Request: INVOICE_TITLE_INVALID"));
        }
        if !(1..=255).contains(&description.chars().count()) {
            return Err(bad("Bad Request: INVOICE_DESCRIPTION_INVALID"));
        }
        if !(1..=128).contains(&payload.len()) {
            return Err(bad("Bad Request: INVOICE_PAYLOAD_INVALID"));
        }
        let prices = p_json(p, "prices").and_then(|v| v.as_array().cloned()).unwrap_or_default();
        let [price] = prices.as_slice() else {
            return Err(bad("Bad Request: XTR invoices take exactly one price"));
        };
        let amount = price.get("amount").and_then(Value::as_i64).filter(|a| *a > 0);
        let Some(amount) = amount else { return Err(bad("Bad Request: INVOICE_AMOUNT_INVALID")) };
        let (id, mut raw) = self.new_bot_raw(chat);
        if let Some(o) = raw.as_object_mut() {
            o.insert(
                "invoice".into(),
                json!({"title": title, "description": description, "start_parameter": "",
                       "currency": currency, "total_amount": amount}),
            );
        }
        let text = format!("⭐ {title}\n{description}\n{amount} Stars");
        let c = self.chat(chat);
        c.raw.insert(id, raw.clone());
        c.bot_messages.push(BotMessage {
            chat_id: chat,
            message_id: id,
            kind: MsgKind::Invoice,
            text: text.clone(),
            raw_text: text,
            inline_buttons: Vec::new(),
            reply_keyboard: None,
            file_name: None,
            file_bytes: None,
            deleted: false,
            edits: 0,
            parse_mode: None,
        });
        self.invoices.push(FakeInvoice {
            chat_id: chat,
            message_id: id,
            title,
            description,
            payload,
            currency,
            amount,
        });
        Ok(raw)
    }

    fn answer_pre_checkout(&mut self, p: &Value) -> Result<Value, ApiErr> {
        let id = p_str(p, "pre_checkout_query_id").unwrap_or_default();
        let ok = p_bool(p, "ok");
        let error_message = p_str(p, "error_message");
        if !ok && error_message.as_deref().is_none_or(str::is_empty) {
            return Err(bad("Bad Request: ERROR_MESSAGE_EMPTY"));
        }
        let Some((sent, answer)) = self.pre_checkouts.get_mut(&id) else {
            return Err(bad("Bad Request: query is too old and response timeout expired or query ID is invalid"));
        };
        if answer.is_some() {
            return Err(bad("Bad Request: query is too old and response timeout expired or query ID is invalid"));
        }
        *answer = Some(PreCheckoutAnswer { ok, error_message, latency: sent.elapsed() });
        Ok(json!(true))
    }

    fn refund_star_payment(&mut self, p: &Value) -> Result<Value, ApiErr> {
        let user = p_i64(p, "user_id").unwrap_or_default();
        let charge = p_str(p, "telegram_payment_charge_id").unwrap_or_default();
        match self.charges.get(&charge) {
            Some((u, _)) if *u == user => {}
            _ => return Err(bad("Bad Request: CHARGE_NOT_FOUND")),
        }
        if self.star_refunds.iter().any(|(_, c)| *c == charge) {
            return Err(bad("Bad Request: CHARGE_ALREADY_REFUNDED"));
        }
        self.star_refunds.push((user, charge));
        Ok(json!(true))
    }

    fn copy(&mut self, method: &str, p: &Value) -> Result<Value, ApiErr> {
        let chat = p_i64(p, "chat_id").ok_or_else(|| bad("Bad Request: chat not found"))?;
        let from = p_i64(p, "from_chat_id").ok_or_else(|| bad("Bad Request: chat not found"))?;
        let src_id = p_i64(p, "message_id").unwrap_or_default();
        let is_copy = method == "copymessage";
        let Some(src) = self.chats.get(&from).and_then(|c| c.raw.get(&src_id)).cloned() else {
            let what = if is_copy { "copy" } else { "forward" };
            return Err(bad(&format!("Bad Request: message to {what} not found")));
        };
        // Telegram refuses a copy whose new caption is over the caption limit.
        if let (true, Some(c)) = (is_copy, p_str(p, "caption")) {
            if utf16_len(&render(&c, p_str(p, "parse_mode").as_deref())?) > MAX_CAPTION {
                return Err(bad("Bad Request: message caption is too long"));
            }
        }
        let (id, mut raw) = self.new_bot_raw(chat);
        let markup = p_json(p, "reply_markup");
        let inline_buttons = if is_copy { parse_inline(markup.as_ref())? } else { Vec::new() };
        let mut parse_mode = None;
        if let (Some(o), Some(s)) = (raw.as_object_mut(), src.as_object()) {
            for k in ["text", "entities", "caption", "caption_entities", "photo", "document", "sticker"] {
                if let Some(v) = s.get(k) {
                    o.insert(k.into(), v.clone());
                }
            }
            if is_copy {
                if let Some(c) = p_str(p, "caption") {
                    parse_mode = p_str(p, "parse_mode");
                    o.insert("caption".into(), json!(render(&c, parse_mode.as_deref())?));
                }
                if !inline_buttons.is_empty() {
                    o.insert("reply_markup".into(), markup.clone().unwrap_or_default());
                }
            } else {
                let origin = json!({"type": "user", "date": s.get("date").cloned().unwrap_or_default(),
                                    "sender_user": s.get("from").cloned().unwrap_or_default()});
                o.insert("forward_origin".into(), origin);
            }
        }
        let text = raw.get("text").or_else(|| raw.get("caption")).and_then(Value::as_str).unwrap_or_default();
        let doc = raw.get("document");
        let file_name = doc.and_then(|d| d.get("file_name")).and_then(Value::as_str).map(str::to_owned);
        let file_bytes = ["document", "photo", "sticker"].iter().find_map(|k| {
            let m = raw.get(*k)?;
            let m = m.as_array().and_then(|a| a.last()).unwrap_or(m);
            self.files.get(m.get("file_id")?.as_str()?).map(|f| f.bytes.clone())
        });
        let msg = BotMessage {
            chat_id: chat,
            message_id: id,
            kind: if is_copy { MsgKind::Copy } else { MsgKind::Forward },
            text: text.to_owned(),
            raw_text: text.to_owned(),
            inline_buttons,
            reply_keyboard: None,
            file_name,
            file_bytes,
            deleted: false,
            edits: 0,
            parse_mode,
        };
        let c = self.chat(chat);
        c.raw.insert(id, raw.clone());
        c.bot_messages.push(msg);
        Ok(if is_copy { json!({"message_id": id}) } else { raw })
    }

    fn edit(&mut self, method: &str, p: &Value) -> Result<Value, ApiErr> {
        if p.get("inline_message_id").is_some() {
            return Ok(json!(true));
        }
        let not_found = || bad("Bad Request: message to edit not found");
        let chat = p_i64(p, "chat_id").ok_or_else(not_found)?;
        let id = p_i64(p, "message_id").ok_or_else(not_found)?;
        let markup = p_json(p, "reply_markup");
        let buttons = parse_inline(markup.as_ref())?;
        let parse_mode = p_str(p, "parse_mode");
        let c = self.chats.get_mut(&chat).ok_or_else(not_found)?;
        let raw = c.raw.get_mut(&id).ok_or_else(not_found)?;
        let Some(msg) = c.bot_messages.iter_mut().find(|m| m.message_id == id && !m.deleted) else {
            return Err(if c.bot_messages.iter().any(|m| m.message_id == id) {
                not_found()
            } else {
                bad("Bad Request: message can't be edited")
            });
        };
        let has_text = raw.get("text").is_some();
        let (new_raw, field) = match method {
            "editmessagetext" if !has_text => return Err(bad("Bad Request: there is no text in the message to edit")),
            "editmessagecaption" if has_text => {
                return Err(bad("Bad Request: there is no caption in the message to edit"))
            }
            "editmessagetext" => (p_str(p, "text").unwrap_or_default(), Some("text")),
            "editmessagecaption" => (p_str(p, "caption").unwrap_or_default(), Some("caption")),
            _ => (msg.raw_text.clone(), None),
        };
        let new_text = if field.is_some() { render(&new_raw, parse_mode.as_deref())? } else { msg.text.clone() };
        if field == Some("text") && new_text.trim().is_empty() {
            return Err(bad("Bad Request: message text is empty"));
        }
        if utf16_len(&new_text) > if has_text { MAX_TEXT } else { MAX_CAPTION } {
            return Err(bad("Bad Request: message is too long"));
        }
        if new_raw == msg.raw_text && new_text == msg.text && buttons == msg.inline_buttons {
            return Err(bad("Bad Request: message is not modified: specified new message content and reply \
                            markup are exactly the same as a current content and reply markup of the message"));
        }
        if let Some(o) = raw.as_object_mut() {
            if let Some(f) = field {
                o.insert(f.into(), json!(new_text));
                msg.parse_mode = parse_mode;
            }
            o.insert("edit_date".into(), json!(now_unix()));
            match (&markup, buttons.is_empty()) {
                (Some(m), false) => o.insert("reply_markup".into(), m.clone()),
                _ => o.remove("reply_markup"),
            };
        }
        msg.text = new_text;
        msg.raw_text = new_raw;
        msg.inline_buttons = buttons;
        msg.edits += 1;
        Ok(raw.clone())
    }

    fn delete(&mut self, p: &Value) -> Result<Value, ApiErr> {
        let not_found = || bad("Bad Request: message to delete not found");
        let chat = p_i64(p, "chat_id").ok_or_else(not_found)?;
        let id = p_i64(p, "message_id").ok_or_else(not_found)?;
        let c = self.chats.get_mut(&chat).ok_or_else(not_found)?;
        c.raw.remove(&id).ok_or_else(not_found)?;
        if let Some(m) = c.bot_messages.iter_mut().find(|m| m.message_id == id) {
            m.deleted = true;
        }
        Ok(json!(true))
    }
}

/// setMyCommands/getMyCommands key: canonical scope JSON + language code.
fn commands_key(p: &Value) -> String {
    let scope = p_json(p, "scope").unwrap_or_else(|| json!({"type": "default"}));
    format!("{}|{}", scope, p_str(p, "language_code").unwrap_or_default())
}

async fn api_route(
    AxState(tg): AxState<FakeTelegram>,
    Path((token, method)): Path<(String, String)>,
    req: Request,
) -> Response {
    let method = method.to_ascii_lowercase();
    if method != "getupdates" {
        tg.touch();
    }
    let (status, body, params, file) = match (token.strip_prefix("bot"), read_params(req).await) {
        (None, _) => {
            let ApiErr(s, b) = api_err(404, "Not Found");
            (s, b, Value::Null, None)
        }
        (Some(_), Err(e)) => {
            let ApiErr(s, b) = bad(&e);
            (s, b, Value::Null, None)
        }
        (Some(tok), Ok(_)) if tg.lock().only_token.as_deref().is_some_and(|t| t != tok) => {
            let ApiErr(s, b) = api_err(401, "Unauthorized");
            (s, b, Value::Null, None)
        }
        (Some(tok), Ok((params, file))) => {
            let bot_id = tok.split(':').next().and_then(|s| s.parse().ok()).unwrap_or(1);
            let (s, b) = tg.dispatch(bot_id, &method, &params, file.as_ref()).await;
            (s, b, params, file)
        }
    };
    tg.record(Call { method, params, file, at: Instant::now(), outcome: status });
    match status {
        0 => super::reset_response(),
        1 => super::nonsense_response(),
        _ => (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), Json(body)).into_response(),
    }
}

async fn file_route(AxState(tg): AxState<FakeTelegram>, Path((_token, path)): Path<(String, String)>) -> Response {
    let st = tg.lock();
    match st.files.values().find(|f| f.path == path) {
        Some(f) => (StatusCode::OK, f.bytes.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, Json(api_err(404, "Not Found").1)).into_response(),
    }
}

async fn fallback() -> Response {
    (StatusCode::NOT_FOUND, Json(api_err(404, "Not Found").1)).into_response()
}

impl FakeTelegram {
    /// Binds `127.0.0.1:0` and serves in a background task.
    pub async fn start() -> std::io::Result<FakeTelegram> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let st = St { next_update_id: 100_000, bot_id: 1, ..St::default() };
        let tg =
            FakeTelegram(Arc::new(Inner { st: Mutex::new(st), updates: Notify::new(), changed: Notify::new(), addr }));
        let app = Router::new()
            .route("/file/{token}/{*path}", get(file_route))
            .route("/{token}/{method}", any(api_route))
            .fallback(fallback)
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(tg.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(tg)
    }

    /// Base URL for `Bot::set_api_url`, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.0.addr)
    }

    /// The bot's username as reported by `getMe` (for `/cmd@bot` in groups).
    pub fn bot_username(&self) -> String {
        BOT_USERNAME.to_owned()
    }

    fn lock(&self) -> MutexGuard<'_, St> {
        self.0.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn touch(&self) {
        self.lock().last_activity = Some(Instant::now());
    }

    fn record(&self, call: Call) {
        let mut st = self.lock();
        // Long polls arrive whether or not the bot is busy, so they are not activity.
        if call.method != "getupdates" {
            st.last_activity = Some(Instant::now());
        }
        st.calls.push(call);
        drop(st);
        self.0.changed.notify_waiters();
    }

    async fn dispatch(&self, bot_id: i64, method: &str, p: &Value, file: Option<&FileIn>) -> (u16, Value) {
        let half = match self.lock().round_trip.filter(|_| method != "getupdates") {
            Some((rt, jitter)) => {
                let extra = jitter.mul_f64(rand::random::<f64>());
                (rt + extra) / 2
            }
            None => Duration::ZERO,
        };
        let counted = method != "getupdates";
        if counted {
            let mut st = self.lock();
            st.in_flight += 1;
            st.max_in_flight = st.max_in_flight.max(st.in_flight);
        }
        if !half.is_zero() {
            tokio::time::sleep(half).await;
        }
        let answer = self.dispatch_now(bot_id, method, p, file).await;
        if !half.is_zero() {
            tokio::time::sleep(half).await;
        }
        if counted {
            let mut st = self.lock();
            st.in_flight = st.in_flight.saturating_sub(1);
        }
        answer
    }

    async fn dispatch_now(&self, bot_id: i64, method: &str, p: &Value, file: Option<&FileIn>) -> (u16, Value) {
        let fault = {
            let mut st = self.lock();
            st.bot_id = bot_id;
            st.take_fault(method, p)
        };
        let res = match fault {
            Some(Fault::Hang(d)) => {
                tokio::time::sleep(d).await;
                self.lock().handle(method, p, file)
            }
            Some(Fault::Reset) => return (0, Value::Null),
            Some(Fault::Nonsense) => return (1, Value::Null),
            Some(f) => Err(fault_err(&f)),
            None if method == "getupdates" && !self.lock().webhook_url.is_empty() => Err(api_err(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )),
            None if method == "getupdates" => Ok(self.get_updates(p).await),
            None => self.lock().handle(method, p, file),
        };
        match res {
            Ok(v) => (200, json!({"ok": true, "result": v})),
            Err(ApiErr(s, b)) => (s, b),
        }
    }

    /// Long poll: holds up to `timeout` s (cap 30) until an update ≥ offset exists.
    async fn get_updates(&self, p: &Value) -> Value {
        let offset = p_i64(p, "offset").unwrap_or(0);
        let limit = usize::try_from(p_i64(p, "limit").unwrap_or(100).clamp(1, 100)).unwrap_or(100);
        let timeout = u64::try_from(p_i64(p, "timeout").unwrap_or(0).clamp(0, 30)).unwrap_or(0);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        loop {
            let notified = self.0.updates.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut st = self.lock();
                // Telegram remembers allowed_updates across calls and drops other kinds.
                if let Some(kinds) = p_json(p, "allowed_updates").and_then(|v| v.as_array().cloned()) {
                    let kinds: Vec<String> = kinds.iter().filter_map(Value::as_str).map(str::to_owned).collect();
                    st.allowed_updates = (!kinds.is_empty()).then_some(kinds);
                }
                let allowed = st.allowed_updates.clone();
                let is_allowed =
                    |u: &Value| allowed.as_ref().is_none_or(|a| a.iter().any(|k| u.get(k.as_str()).is_some()));
                // An offset confirms (drops) every earlier update.
                st.queue.retain(|(id, u)| *id >= offset && is_allowed(u));
                let batch: Vec<(i64, Value)> = st.queue.iter().take(limit).cloned().collect();
                if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                    if let Some((last, _)) = batch.last() {
                        st.delivered = st.delivered.max(*last);
                    }
                    return Value::Array(batch.into_iter().map(|(_, u)| u).collect());
                }
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    // ---------------- recording ----------------

    /// Every call so far, in order of completion.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Calls to one method (case-insensitive name).
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        let m = method.to_ascii_lowercase();
        self.lock().calls.iter().filter(|c| c.method == m).cloned().collect()
    }

    /// Calls to `method` (case-insensitive) from position `from` of [`FakeTelegram::calls`] on,
    /// and the position to continue from: lets a watcher read only what is new.
    pub fn calls_to_since(&self, method: &str, from: usize) -> (Vec<Call>, usize) {
        let m = method.to_ascii_lowercase();
        let st = self.lock();
        let new = st.calls.get(from..).unwrap_or_default().iter().filter(|c| c.method == m).cloned().collect();
        (new, st.calls.len().max(from))
    }

    /// Commands set by `setMyCommands` for `scope` (`None` = default scope), as (command, description).
    pub fn my_commands(&self, scope: Option<&Value>, language_code: Option<&str>) -> Vec<(String, String)> {
        let mut p = json!({"language_code": language_code.unwrap_or_default()});
        if let (Some(s), Some(o)) = (scope, p.as_object_mut()) {
            o.insert("scope".into(), s.clone());
        }
        let st = self.lock();
        let cmds = st.commands.get(&commands_key(&p)).and_then(Value::as_array).cloned().unwrap_or_default();
        cmds.iter()
            .map(|c| (p_str(c, "command").unwrap_or_default(), p_str(c, "description").unwrap_or_default()))
            .collect()
    }

    /// Only `token` is accepted from now on (`None`: any token, the default); others get 401.
    pub fn accept_only_token(&self, token: Option<&str>) {
        self.lock().only_token = token.map(str::to_owned);
    }

    /// The webhook URL registered now (`""` when none): what `getWebhookInfo` reports.
    pub fn webhook_url(&self) -> String {
        self.lock().webhook_url.clone()
    }

    /// Registers a webhook as if `setWebhook` had been called (`""` removes it).
    pub fn set_webhook_url(&self, url: &str) {
        self.lock().webhook_url = url.to_owned();
    }

    /// `last_error_message` that `getWebhookInfo` reports (`None`: no error).
    pub fn set_webhook_error(&self, message: Option<&str>) {
        self.lock().webhook_error = message.map(str::to_owned);
    }

    // ---------------- injecting updates ----------------

    fn push_update(&self, key: &str, payload: Value) -> i64 {
        let mut st = self.lock();
        st.next_update_id += 1;
        let id = st.next_update_id;
        st.queue.push_back((id, json!({"update_id": id, key: payload})));
        st.last_activity = Some(Instant::now());
        drop(st);
        self.0.updates.notify_waiters();
        id
    }

    /// Builds a user message in `chat_id` (storing it for replies) with `fill` adding content.
    fn inject_message(
        &self,
        user: &FakeUser,
        chat_id: i64,
        reply_to: Option<i64>,
        fill: impl FnOnce(&mut St, &mut Map<String, Value>),
    ) -> i64 {
        let msg = {
            let mut st = self.lock();
            let c = st.chat(chat_id);
            if chat_id == user.id {
                c.name = Some(user.first_name.clone());
                c.username = user.username.clone();
            }
            let id = c.alloc_id();
            let reply = reply_to.and_then(|r| c.raw.get(&r).cloned());
            let mut m = Map::new();
            m.insert("message_id".into(), json!(id));
            m.insert("date".into(), json!(now_unix()));
            m.insert("chat".into(), st.chat_json(chat_id));
            m.insert("from".into(), user.json());
            if let Some(r) = reply {
                m.insert("reply_to_message".into(), r);
            }
            fill(&mut st, &mut m);
            let msg = Value::Object(m);
            st.chat(chat_id).raw.insert(id, msg.clone());
            msg
        };
        self.push_update("message", msg)
    }

    /// A private text message from `User<user_id>`; returns the update id.
    pub fn send_text(&self, user_id: i64, text: &str) -> i64 {
        self.send_text_as(&FakeUser::new(user_id), user_id, text, None)
    }

    /// A text message from `user` in any chat (negative id = group), optionally a reply.
    pub fn send_text_as(&self, user: &FakeUser, chat_id: i64, text: &str, reply_to_message_id: Option<i64>) -> i64 {
        self.inject_message(user, chat_id, reply_to_message_id, |_, m| {
            m.insert("text".into(), json!(text));
            if let Some(e) = bot_command_entities(text) {
                m.insert("entities".into(), e);
            }
        })
    }

    /// The user uploads a document (downloadable by the bot via getFile).
    pub fn send_document(&self, user_id: i64, file_name: &str, bytes: &[u8], caption: Option<&str>) -> i64 {
        let bytes = bytes.to_vec();
        self.inject_message(&FakeUser::new(user_id), user_id, None, |st, m| {
            m.insert("document".into(), st.media_json(MsgKind::Document, file_name, bytes));
            insert_caption(m, caption);
        })
    }

    /// The user sends a photo.
    pub fn send_photo(&self, user_id: i64, caption: Option<&str>) -> i64 {
        self.inject_message(&FakeUser::new(user_id), user_id, None, |st, m| {
            m.insert("photo".into(), st.media_json(MsgKind::Photo, "p.jpg", TINY_PNG.to_vec()));
            insert_caption(m, caption);
        })
    }

    /// The user sends a sticker.
    pub fn send_sticker(&self, user_id: i64) -> i64 {
        self.inject_message(&FakeUser::new(user_id), user_id, None, |st, m| {
            m.insert("sticker".into(), st.media_json(MsgKind::Sticker, "s.webp", Vec::new()));
        })
    }

    /// The user presses an inline button of message `message_id` in their private chat.
    pub fn press(&self, user_id: i64, message_id: i64, data: &str) -> i64 {
        self.press_as(&FakeUser::new(user_id), user_id, message_id, data)
    }

    /// `press` by any user in any chat.
    pub fn press_as(&self, user: &FakeUser, chat_id: i64, message_id: i64, data: &str) -> i64 {
        let (cbq_id, message) = {
            let mut st = self.lock();
            st.next_cbq += 1;
            let chat = st.chat_json(chat_id);
            let message = st.chats.get(&chat_id).and_then(|c| c.raw.get(&message_id)).cloned().unwrap_or_else(
                // Telegram sends an "inaccessible message" (date 0) when it is gone.
                || json!({"message_id": message_id, "date": 0, "chat": chat}),
            );
            (format!("{}", 4_000_000_000_000_u64 + st.next_cbq), message)
        };
        let q = json!({"id": cbq_id, "from": user.json(), "message": message,
                       "chat_instance": format!("ci{chat_id}"), "data": data});
        self.push_update("callback_query", q)
    }

    // ---------------- Telegram Stars ----------------

    /// Every invoice the bot sent to `chat`, oldest first.
    pub fn invoices(&self, chat: i64) -> Vec<FakeInvoice> {
        self.lock().invoices.iter().filter(|i| i.chat_id == chat).cloned().collect()
    }

    /// The user opens the payment window of `invoice` and confirms: Telegram sends the bot a
    /// `pre_checkout_query` for `total` (the invoice's amount, or another to test the re-check).
    /// Returns the query id.
    pub fn send_pre_checkout(&self, user: &FakeUser, invoice: &FakeInvoice, currency: &str, total: i64) -> String {
        let id = {
            let mut st = self.lock();
            st.next_pcq += 1;
            let id = format!("pcq{}", st.next_pcq);
            st.pre_checkouts.insert(id.clone(), (Instant::now(), None));
            id
        };
        let q = json!({"id": id, "from": user.json(), "currency": currency, "total_amount": total,
                       "invoice_payload": invoice.payload});
        self.push_update("pre_checkout_query", q);
        id
    }

    /// The bot's answer to a pre-checkout query, once it came.
    pub fn pre_checkout_answer(&self, query_id: &str) -> Option<PreCheckoutAnswer> {
        self.lock().pre_checkouts.get(query_id).and_then(|(_, a)| a.clone())
    }

    /// Waits up to `timeout` for the bot's answer to a pre-checkout query.
    pub async fn wait_pre_checkout_answer(&self, query_id: &str, timeout: Duration) -> Option<PreCheckoutAnswer> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.0.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(a) = self.pre_checkout_answer(query_id) {
                return Some(a);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return None;
            }
            let _ = tokio::time::timeout_at(deadline.min(now + Duration::from_millis(100)), notified).await;
        }
    }

    /// Telegram's `successful_payment` message from `user` for `payload` (also to replay one).
    /// Records the charge so that `refundStarPayment` knows it. Returns the update id.
    pub fn send_successful_payment(&self, user: &FakeUser, payload: &str, total: i64, charge_id: &str) -> i64 {
        self.lock().charges.insert(charge_id.to_string(), (user.id, total));
        let payment = json!({"currency": "XTR", "total_amount": total, "invoice_payload": payload,
                             "telegram_payment_charge_id": charge_id,
                             "provider_payment_charge_id": ""});
        self.inject_message(user, user.id, None, |_, m| {
            m.insert("successful_payment".into(), payment);
        })
    }

    /// The user pays `invoice` as Telegram does it: the pre-checkout query, the bot's answer
    /// (waited for up to `timeout`), and when it said ok the `successful_payment` with a fresh
    /// charge id.
    pub async fn pay_invoice(&self, user: &FakeUser, invoice: &FakeInvoice, timeout: Duration) -> StarsPaymentOutcome {
        let query = self.send_pre_checkout(user, invoice, &invoice.currency, invoice.amount);
        let answer = self.wait_pre_checkout_answer(&query, timeout).await;
        if !answer.as_ref().is_some_and(|a| a.ok) {
            return StarsPaymentOutcome { answer, charge_id: None, update_id: None };
        }
        let charge = {
            let mut st = self.lock();
            st.next_charge += 1;
            format!("stxFAKE{:08}", st.next_charge)
        };
        let update = self.send_successful_payment(user, &invoice.payload, invoice.amount, &charge);
        StarsPaymentOutcome { answer, charge_id: Some(charge), update_id: Some(update) }
    }

    /// Refunds Telegram accepted: (user id, charge id).
    pub fn star_refunds(&self) -> Vec<(i64, String)> {
        self.lock().star_refunds.clone()
    }

    /// Injected updates not yet confirmed by a later getUpdates offset.
    pub fn pending_updates(&self) -> usize {
        self.lock().queue.len()
    }

    /// Highest update id handed out by getUpdates.
    pub fn delivered_update_id(&self) -> i64 {
        self.lock().delivered
    }

    // ---------------- view ----------------

    /// Non-deleted bot messages in `chat`, oldest first.
    pub fn messages(&self, chat: i64) -> Vec<BotMessage> {
        self.all_messages(chat).into_iter().filter(|m| !m.deleted).collect()
    }

    /// All bot messages in `chat`, deleted ones included.
    pub fn all_messages(&self, chat: i64) -> Vec<BotMessage> {
        self.lock().chats.get(&chat).map(|c| c.bot_messages.clone()).unwrap_or_default()
    }

    pub fn last_message(&self, chat: i64) -> Option<BotMessage> {
        self.messages(chat).pop()
    }

    /// Newest non-deleted message that carries inline buttons.
    pub fn last_with_buttons(&self, chat: i64) -> Option<BotMessage> {
        self.messages(chat).into_iter().rev().find(|m| !m.inline_buttons.is_empty())
    }

    /// A button (case-insensitive label substring) on the newest message with buttons.
    pub fn find_button(&self, chat: i64, label: &str) -> Option<(i64, Button)> {
        let m = self.last_with_buttons(chat)?;
        let needle = label.to_lowercase();
        let b = m.inline_buttons.iter().flatten().find(|b| b.text.to_lowercase().contains(&needle))?;
        Some((m.message_id, b.clone()))
    }

    /// The chat's current reply keyboard.
    pub fn reply_keyboard(&self, chat: i64) -> Option<Vec<Vec<String>>> {
        self.lock().chats.get(&chat).and_then(|c| c.reply_keyboard.clone())
    }

    /// First non-deleted message satisfying `pred` (edits count), waiting up to `timeout`.
    pub async fn wait_for(
        &self,
        chat: i64,
        pred: impl Fn(&BotMessage) -> bool,
        timeout: Duration,
    ) -> Option<BotMessage> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.0.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(m) = self.messages(chat).into_iter().find(|m| pred(m)) {
                return Some(m);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return None;
            }
            let _ = tokio::time::timeout_at(deadline.min(now + Duration::from_millis(100)), notified).await;
        }
    }

    /// `wait_for` a message whose displayed text contains `needle` (case-sensitive).
    pub async fn wait_for_text(&self, chat: i64, needle: &str, timeout: Duration) -> Option<BotMessage> {
        self.wait_for(chat, |m| m.text.contains(needle), timeout).await
    }

    /// True once no update is pending and no call (other than getUpdates) or injection happened
    /// for `quiet`; false after `timeout`.
    pub async fn wait_idle(&self, quiet: Duration, timeout: Duration) -> bool {
        let start = Instant::now();
        loop {
            let (pending, last) = {
                let st = self.lock();
                (st.queue.len(), st.last_activity)
            };
            if pending == 0 && last.is_none_or(|t| t.elapsed() >= quiet) {
                return true;
            }
            if start.elapsed() >= timeout {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    // ---------------- faults ----------------

    /// The next `n` calls to `method` (case-insensitive) answer `fault`.
    pub fn fail_next(&self, method: &str, n: usize, fault: Fault) {
        let mut st = self.lock();
        let q = st.faults.entry(method.to_ascii_lowercase()).or_default();
        q.extend(std::iter::repeat_n(fault, n));
    }

    /// The next `n` calls to `method` for `chat` answer `fault` (other chats are unaffected).
    pub fn fail_next_for(&self, method: &str, chat: i64, n: usize, fault: Fault) {
        let mut st = self.lock();
        let q = st.chat_faults.entry((method.to_ascii_lowercase(), chat)).or_default();
        q.extend(std::iter::repeat_n(fault, n));
    }

    /// Drops the scripted faults not yet used.
    pub fn clear_faults(&self) {
        let mut st = self.lock();
        st.faults.clear();
        st.chat_faults.clear();
    }

    /// Scripted faults not yet used up.
    pub fn faults_left(&self) -> usize {
        let st = self.lock();
        st.faults.values().map(VecDeque::len).sum::<usize>() + st.chat_faults.values().map(VecDeque::len).sum::<usize>()
    }

    /// Every send/edit to `chat` answers 403 "bot was blocked by the user".
    pub fn block_chat(&self, chat: i64) {
        self.lock().blocked.insert(chat);
    }

    pub fn unblock_chat(&self, chat: i64) {
        self.lock().blocked.remove(&chat);
    }

    /// Enforce (or stop enforcing) send rate limits.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut st = self.lock();
        st.rate = limit;
        st.sends.clear();
    }

    /// Telegram's limits as documented: 30 messages a second in all, one a second per private
    /// chat, 20 a minute per group (429 with `retry_after` 1 beyond).
    pub fn set_telegram_limits(&self) {
        self.set_rate_limit(Some(RateLimit { global_per_sec: 30, per_chat_per_sec: 1, retry_after: 1 }));
        let mut st = self.lock();
        st.group_per_minute = Some(20);
        st.group_sends.clear();
    }

    /// Lets a private chat take `messages` at once before its one-a-second applies (Telegram
    /// allows short bursts; how many it does not say). 1, the default: no burst at all.
    pub fn set_chat_burst(&self, messages: u32) {
        let mut st = self.lock();
        st.chat_burst = messages.max(1);
        st.chat_credit.clear();
    }

    /// Answers every Bot API call `round_trip` (plus up to `jitter`) after it was made.
    pub fn set_round_trip(&self, round_trip: Duration, jitter: Duration) {
        self.lock().round_trip = (!round_trip.is_zero() || !jitter.is_zero()).then_some((round_trip, jitter));
    }

    /// 429 answers so far, per chat.
    pub fn too_many_requests(&self) -> HashMap<i64, u64> {
        self.lock().too_many.clone()
    }

    /// 429s answered because the bot as a whole sent too fast (30/s), not one chat.
    pub fn too_many_global(&self) -> u64 {
        self.lock().too_many_global
    }

    /// The most Bot API calls (long polls aside) the bot had waiting for an answer at once.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }
}

fn insert_caption(m: &mut Map<String, Value>, caption: Option<&str>) {
    if let Some(c) = caption {
        m.insert("caption".into(), json!(c));
        if let Some(e) = bot_command_entities(c) {
            m.insert("caption_entities".into(), e);
        }
    }
}

/// A valid 1×1 PNG, used for injected photos.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn html_is_validated_and_rendered() {
        assert_eq!(render_html("<b>Total</b>: Rp 1 &amp; 2 &lt;3 & more").unwrap(), "Total: Rp 1 & 2 <3 & more");
        assert_eq!(render_html("<a href=\"https://x\">link</a>&#33;").unwrap(), "link!");
        assert!(render_html("a < b").is_err());
        assert!(render_html("<b>open").is_err());
        assert!(render_html("<b><i>x</b></i>").is_err());
    }

    #[test]
    fn form_values_are_typed() {
        assert_eq!(form_value("chat_id", "42".into()), json!(42));
        assert_eq!(form_value("caption", "42".into()), json!("42"));
        assert_eq!(form_value("reply_markup", "{\"a\":1}".into()), json!({"a": 1}));
    }

    #[tokio::test]
    async fn long_poll_wakes_on_injection_and_offset_confirms() {
        let tg = FakeTelegram::start().await.unwrap();
        let tg2 = tg.clone();
        let poll = tokio::spawn(async move { tg2.get_updates(&json!({"timeout": 5})).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let id = tg.send_text(7, "/start");
        let got = poll.await.unwrap();
        assert_eq!(got[0]["update_id"], json!(id));
        assert_eq!(got[0]["message"]["entities"][0]["length"], json!(6));
        assert_eq!(tg.pending_updates(), 1);
        let empty = tg.get_updates(&json!({"offset": id + 1})).await;
        assert_eq!(empty, json!([]));
        assert_eq!(tg.pending_updates(), 0);
        assert_eq!(tg.delivered_update_id(), id);
    }

    #[tokio::test]
    async fn edits_update_the_view_in_place() {
        let tg = FakeTelegram::start().await.unwrap();
        let kb = json!({"inline_keyboard": [[{"text": "Beli", "callback_data": "buy:1"}]]});
        let (s, sent) =
            tg.dispatch(1, "sendmessage", &json!({"chat_id": 5, "text": "hi", "reply_markup": kb}), None).await;
        assert_eq!(s, 200);
        let id = sent["result"]["message_id"].as_i64().unwrap();
        assert_eq!(tg.find_button(5, "bel").unwrap().1.callback_data.as_deref(), Some("buy:1"));
        let p = json!({"chat_id": 5, "message_id": id, "text": "<b>paid</b>", "parse_mode": "HTML"});
        assert_eq!(tg.dispatch(1, "editmessagetext", &p, None).await.0, 200);
        assert_eq!(tg.dispatch(1, "editmessagetext", &p, None).await.0, 400, "not modified");
        let m = tg.last_message(5).unwrap();
        assert_eq!((m.text.as_str(), m.edits, m.inline_buttons.len()), ("paid", 1, 0));
    }
}
