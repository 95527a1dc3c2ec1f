//! `quickcart demo`: the real shop (same code as `serve`) on a temporary encrypted database,
//! talking to in-process stand-ins for Telegram and Pakasir on loopback. No token, no internet.

pub mod script;
pub mod transcript;

use std::{
    collections::HashMap,
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::{
    app,
    config::Config,
    domain::commands::NewProduct,
    store::{self, Db},
    testkit::{BotMessage, FakePakasir, FakeTelegram, FakeUser, MsgKind},
};
use script::{Line, Who};

pub const DEMO_CUSTOMER: i64 = 1001;
pub const DEMO_ADMIN: i64 = 9001;
const DEMO_TOKEN: &str = "123456789:DEMO-token-not-a-real-telegram-bot-x";
const DEMO_PROJECT: &str = "quickcart-demo";
const DEMO_API_KEY: &str = "demo-api-key";
const DEMO_WEBHOOK_SECRET: &str = "demo-webhook-secret";
/// How many of the newest bot messages in the chat `:press` and `:reply` look through.
const RECENT: usize = 30;
/// The script variable replaced by the newest invoice id.
const INVOICE_VAR: &str = "$INVOICE";

/// One demo product: (id, name, category, price, description, stock items).
type DemoProduct = (i64, &'static str, Option<&'static str>, i64, &'static str, usize);

const CATALOGUE: &[DemoProduct] = &[
    (1, "Netflix Premium 1 Bulan", Some("Streaming"), 30_000, "Akun sharing 1 profil, garansi 30 hari.", 12),
    (2, "Spotify Premium 1 Bulan", Some("Streaming"), 20_000, "Upgrade akun Anda sendiri.", 8),
    (3, "YouTube Premium 1 Bulan", Some("Streaming"), 15_000, "Undangan family plan.", 3),
    (4, "Canva Pro 1 Tahun", Some("Desain"), 45_000, "Undangan tim Canva Pro.", 5),
    (5, "Windows 11 Pro Key", Some("Lisensi"), 75_000, "Kunci retail, aktivasi online.", 2),
    (6, "Kursus Rust Dasar", None, 99_000, "Tautan kursus video + modul PDF.", 0),
    (7, "ChatGPT Plus 1 Bulan", Some("AI"), 65_000, "Akun private.", 4),
    (8, "Office 365 1 Tahun", Some("Lisensi"), 55_000, "Akun pribadi 5 perangkat.", 6),
    (9, "Disney+ Hotstar 1 Bulan", Some("Streaming"), 25_000, "Akun sharing.", 7),
    (10, "VPN Premium 1 Bulan", Some("Keamanan"), 18_000, "Akun dengan 5 perangkat.", 9),
    (11, "CapCut Pro 1 Bulan", Some("Desain"), 22_000, "Akun private.", 3),
    (12, "Grammarly Premium 1 Bulan", Some("AI"), 28_000, "Akun sharing.", 1),
];

pub async fn run(script_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let _guard = crate::ops::logs::init(None, "error");
    let dir = tempfile::tempdir().context("folder sementara tidak dapat dibuat")?;
    let telegram = FakeTelegram::start().await?;
    let pakasir = FakePakasir::start(DEMO_PROJECT, DEMO_API_KEY).await?;
    let config = demo_config(dir.path(), &telegram, &pakasir)?;
    let key = config.require_key()?.clone();
    seed(&Db::open(&config.data_dir, &key)?)?;
    let running = app::start(config).await?;
    let mut demo = Demo {
        telegram,
        pakasir,
        running,
        user: DEMO_CUSTOMER,
        seen: HashMap::new(),
        calls_seen: 0,
        interactive: script_file.is_none(),
        base_dir: script_file.and_then(Path::parent).map(Path::to_path_buf),
    };
    demo.settle().await;
    demo.flush(); // the startup calls (command menus) are not part of the conversation
    let result = match script_file {
        Some(path) => demo.run_script(path).await,
        None => demo.run_interactive().await,
    };
    demo.running.shutdown().await;
    result
}

fn demo_config(dir: &Path, telegram: &FakeTelegram, pakasir: &FakePakasir) -> anyhow::Result<Config> {
    let key = hex::encode(rand::random::<[u8; 32]>());
    let env: HashMap<String, String> = [
        ("TELEGRAM_BOT_TOKEN", DEMO_TOKEN.to_string()),
        ("TELEGRAM_API_URL", telegram.url()),
        ("PAKASIR_PROJECT", DEMO_PROJECT.to_string()),
        ("PAKASIR_API_KEY", DEMO_API_KEY.to_string()),
        ("PAKASIR_WEBHOOK_SECRET", DEMO_WEBHOOK_SECRET.to_string()),
        ("PAKASIR_BASE_URL", pakasir.url()),
        // Every way to pay the fake knows: QRIS and the bank transfers (virtual accounts).
        ("PAKASIR_METHODS", crate::testkit::fake_pakasir::METHODS.join(",")),
        ("DATA_DIR", dir.join("data").display().to_string()),
        ("LOG_DIR", dir.join("logs").display().to_string()),
        ("BACKUP_DIR", dir.join("backups").display().to_string()),
        ("DATABASE_KEY", key),
        ("HTTP_BIND", "127.0.0.1:0".to_string()),
        ("METRICS_BIND", "127.0.0.1:0".to_string()),
        ("ADMIN_IDS", DEMO_ADMIN.to_string()),
        ("STORE_NAME", "QuickCart Demo".to_string()),
        // A script types faster than any person: the demo does not throttle.
        ("TELEGRAM_THROTTLE_LIMIT", "10000".to_string()),
        ("TELEGRAM_THROTTLE_WINDOW_SECONDS", "1".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Ok(Config::from_source(&env)?)
}

fn seed(db: &Db) -> anyhow::Result<()> {
    let mut conn = db.shop()?;
    for (id, name, category, price, description, stock) in CATALOGUE {
        let product = NewProduct {
            id: Some(*id),
            name: (*name).to_string(),
            category: category.map(str::to_string),
            price: *price,
            description: (*description).to_string(),
        };
        store::products::add(&mut conn, &product).map_err(|e| anyhow::anyhow!("seed: {e}"))?;
        let items: Vec<String> = (1..=*stock).map(|n| format!("demo-{id}-akun{n}@quickcart.test:pass{n}")).collect();
        if !items.is_empty() {
            store::stock::add(&mut conn, *id, &items)?;
        }
    }
    Ok(())
}

struct Demo {
    telegram: FakeTelegram,
    pakasir: FakePakasir,
    running: app::Running,
    user: i64,
    /// Per (chat, message): the edit count already printed, to print new and edited messages.
    seen: HashMap<(i64, i64), u32>,
    /// Calls already looked at (for callback notices).
    calls_seen: usize,
    interactive: bool,
    /// The script's folder: `:upload` paths are relative to it.
    base_dir: Option<PathBuf>,
}

impl Demo {
    async fn run_script(&mut self, path: &Path) -> anyhow::Result<ExitCode> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("skrip {} tidak dapat dibaca", path.display()))?;
        for line in text.lines() {
            let parsed = script::parse(line);
            if !matches!(parsed, Ok(Line::Skip)) {
                println!("> {line}");
            }
            match parsed {
                Ok(Line::Quit) => break,
                Ok(l) => {
                    if let Err(e) = self.step(l).await {
                        println!("! {e}");
                        return Ok(ExitCode::FAILURE);
                    }
                }
                Err(e) => {
                    println!("! {e}");
                    return Ok(ExitCode::FAILURE);
                }
            }
            let _ = std::io::stdout().flush();
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn run_interactive(&mut self) -> anyhow::Result<ExitCode> {
        println!(
            "QuickCart demo — toko lengkap dengan Telegram & Pakasir tiruan (tanpa token, tanpa internet).\n\
             Ketik pesan seperti di Telegram (mulai dengan /start); ↑/↓ memanggil baris sebelumnya.\n{}\n\
             Anda: customer {DEMO_CUSTOMER}. Admin: {DEMO_ADMIN}.",
            script::HELP
        );
        let mut input = Input::new();
        loop {
            let Some(line) = input.next().await? else { break };
            match script::parse(&line) {
                Ok(Line::Quit) => break,
                Ok(l) => {
                    if let Err(e) = self.step(l).await {
                        println!("! {e}");
                    }
                }
                Err(e) => println!("! {e}"),
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn step(&mut self, line: Line) -> Result<(), String> {
        match line {
            Line::Skip | Line::Quit => return Ok(()),
            Line::Help => {
                for l in script::HELP.lines() {
                    println!("  {}", l.trim_start());
                }
                return Ok(());
            }
            Line::Say(text) => {
                let text = self.substitute(&text).await?;
                self.telegram.send_text(self.user, &text);
            }
            Line::Press(label) => {
                let label = self.substitute(&label).await?;
                let (message_id, data) = self.find_button(&label)?;
                self.telegram.press(self.user, message_id, &data);
            }
            Line::Reply(text) => {
                let text = self.substitute(&text).await?;
                let relayed = self.newest_relay().await?;
                self.telegram.send_text_as(&FakeUser::new(self.user), self.user, &text, Some(relayed));
            }
            Line::Upload { file, caption } => {
                let path = match &self.base_dir {
                    Some(dir) if Path::new(&file).is_relative() => dir.join(&file),
                    _ => PathBuf::from(&file),
                };
                let bytes =
                    std::fs::read(&path).map_err(|e| format!("berkas {} tidak dapat dibaca: {e}", path.display()))?;
                let caption = match caption {
                    Some(c) => Some(self.substitute(&c).await?),
                    None => None,
                };
                let name = path.file_name().map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
                self.telegram.send_document(self.user, &name, &bytes, caption.as_deref());
            }
            Line::Expire => self.expire().await?,
            Line::As(who) => {
                self.user = match who {
                    Who::Admin => DEMO_ADMIN,
                    Who::Customer => DEMO_CUSTOMER,
                    Who::Id(id) => id,
                };
                if self.interactive {
                    println!("(sekarang sebagai pengguna {})", self.user);
                }
                return Ok(());
            }
            Line::Pay => self.pay().await?,
        }
        self.settle().await;
        self.print_new();
        Ok(())
    }

    /// Pays the newest pending invoice (QRIS or bank transfer) at the fake Pakasir and posts its
    /// signed webhook to the shop, as Pakasir would.
    async fn pay(&self) -> Result<(), String> {
        if self.pay_stars().await? {
            return Ok(());
        }
        let txn = self
            .pakasir
            .txns()
            .into_iter()
            .filter(|t| t.status == "pending")
            .max_by(|a, b| a.txn_id.cmp(&b.txn_id))
            .ok_or("belum ada tagihan (QRIS atau transfer bank) untuk dibayar")?;
        self.pakasir.complete(&txn.order_id).ok_or("tagihan tidak ditemukan")?;
        let body = self.pakasir.webhook_body(&txn.order_id).ok_or("tagihan tidak ditemukan")?;
        let url = format!("http://{}/webhook/pakasir", self.running.http_addr);
        let (status, _) =
            self.pakasir.post_webhook(&url, DEMO_WEBHOOK_SECRET, body).await.map_err(|_| "webhook gagal dikirim")?;
        if status != 200 {
            return Err(format!("webhook ditolak (HTTP {status})"));
        }
        Ok(())
    }

    /// When the newest pending order is a Telegram Stars order: its buyer pays the invoice as
    /// Telegram does it (pre-checkout query, the shop's answer, then `successful_payment`).
    /// False when it is no Stars order (Pakasir's turn).
    async fn pay_stars(&self) -> Result<bool, String> {
        let pending = self
            .running
            .shop
            .db()
            .call(|c| {
                let Some(o) = store::orders::newest(c, true)? else { return Ok(None) };
                Ok(store::stars::payment(c, o.id)?.map(|_| (o.user_id, o.invoice_id)))
            })
            .await
            .map_err(|e| e.to_string())?;
        let Some((user, invoice)) = pending else { return Ok(false) };
        let inv = self
            .telegram
            .invoices(user)
            .into_iter()
            .rev()
            .find(|i| i.payload == invoice)
            .ok_or("tagihan Stars tidak ditemukan")?;
        let paid = self.telegram.pay_invoice(&FakeUser::new(user), &inv, std::time::Duration::from_secs(10)).await;
        match paid.answer {
            Some(a) if a.ok => Ok(true),
            Some(a) => Err(format!("pembayaran Stars ditolak: {}", a.error_message.unwrap_or_default())),
            None => Err("pre-checkout tidak dijawab".into()),
        }
    }

    /// The button to press in the current chat: on the recent bot messages, newest first, a
    /// button labelled exactly `label`, else one whose label contains it (case-insensitive); only
    /// when no label matches, a number N is button #N of the newest message with buttons.
    fn find_button(&self, label: &str) -> Result<(i64, String), String> {
        let recent: Vec<BotMessage> = self
            .telegram
            .messages(self.user)
            .into_iter()
            .rev()
            .take(RECENT)
            .filter(|m| !m.inline_buttons.is_empty())
            .collect();
        let newest = recent.first().ok_or("tidak ada pesan dengan tombol")?;
        let wanted = label.to_lowercase();
        let by_label = recent.iter().find_map(|m| {
            let buttons: Vec<_> = m.inline_buttons.iter().flatten().collect();
            let b = buttons
                .iter()
                .find(|b| b.text.to_lowercase() == wanted)
                .or_else(|| buttons.iter().find(|b| b.text.to_lowercase().contains(&wanted)))?;
            Some((m.message_id, (*b).clone()))
        });
        let by_number = || {
            if label.is_empty() || !label.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n: usize = label.parse().ok()?;
            let b = newest.inline_buttons.iter().flatten().nth(n.checked_sub(1)?)?;
            Some((newest.message_id, b.clone()))
        };
        let (message_id, found) = by_label.or_else(by_number).ok_or_else(|| format!("tidak ada tombol {label:?}"))?;
        match (&found.callback_data, &found.url) {
            (Some(data), _) => Ok((message_id, data.clone())),
            (None, Some(url)) => Err(format!("tombol {:?} membuka tautan {url}", found.text)),
            _ => Err(format!("tombol {:?} tidak dapat ditekan", found.text)),
        }
    }

    /// `$INVOICE` replaced by the newest invoice id.
    async fn substitute(&self, text: &str) -> Result<String, String> {
        if !text.contains(INVOICE_VAR) {
            return Ok(text.to_string());
        }
        let newest = self
            .running
            .shop
            .db()
            .call(|c| Ok(store::orders::newest(c, false)?.map(|o| o.invoice_id)))
            .await
            .map_err(|e| e.to_string())?
            .ok_or("belum ada invoice untuk $INVOICE")?;
        Ok(text.replace(INVOICE_VAR, &newest))
    }

    /// The newest relayed KIRIM PESAN message in the current chat.
    async fn newest_relay(&self) -> Result<i64, String> {
        let chat = self.user;
        let ids: Vec<i64> = self.telegram.messages(chat).into_iter().rev().take(RECENT).map(|m| m.message_id).collect();
        self.running
            .shop
            .db()
            .call(move |c| {
                for id in ids {
                    if store::relay::user_for(c, chat, id)?.is_some() {
                        return Ok(Some(id));
                    }
                }
                Ok(None)
            })
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "tidak ada pesan KIRIM PESAN untuk dibalas di obrolan ini".to_string())
    }

    /// Lets the newest unpaid invoice expire now: its expiry job is made due, and the scheduler
    /// expires it as it would at the deadline (asking Pakasir once more first).
    async fn expire(&self) -> Result<(), String> {
        let db = self.running.shop.db();
        let order_id = db
            .write(|c| {
                let id = store::orders::newest(c, true)?.map(|o| o.id);
                if let Some(id) = id {
                    store::jobs::schedule(c, store::jobs::EXPIRE_ORDER, id, store::now())?;
                }
                Ok(id)
            })
            .await
            .map_err(|e| e.to_string())?
            .ok_or("tidak ada tagihan yang menunggu pembayaran")?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let pending = db
                .call(move |c| {
                    Ok(store::orders::get(c, order_id)?
                        .is_some_and(|o| o.status == crate::domain::order::Status::Pending))
                })
                .await
                .map_err(|e| e.to_string())?;
            if !pending {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err("tagihan belum kedaluwarsa (penjadwal tidak menjawab)".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the bot has taken every update, handled it, sent what its outbox holds, and
    /// gone quiet.
    async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        // Work started outside Telegram (a webhook) may not have produced a call yet.
        tokio::time::sleep(Duration::from_millis(50)).await;
        loop {
            let quiet = self.telegram.wait_idle(Duration::from_millis(120), Duration::from_secs(5)).await;
            let outbox_empty = self.running.shop.db().call(|c| store::outbox::due_count(c)).await.is_ok_and(|n| n == 0);
            // Restock alerts go out through the broadcast engine.
            let broadcasts_done =
                self.running.shop.db().call(|c| store::broadcasts::running(c)).await.is_ok_and(|b| b.is_empty());
            if quiet && outbox_empty && broadcasts_done && self.running.dispatcher.idle() {
                return;
            }
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn flush(&mut self) {
        let _ = self.collect_new();
        self.calls_seen = self.telegram.calls().len();
    }

    fn print_new(&mut self) {
        // A button's pop-up notice ("Jumlah minimal 1.") is something the person sees too.
        let calls = self.telegram.calls();
        for c in calls.iter().skip(self.calls_seen) {
            if c.method == "answercallbackquery" {
                if let Some(text) = c.params.get("text").and_then(|t| t.as_str()) {
                    println!("< (pemberitahuan) {text}");
                }
            }
        }
        self.calls_seen = calls.len();
        for (m, edited) in self.collect_new() {
            println!("{}", transcript::render(&m, m.chat_id == self.user, self.interactive, edited));
            if m.kind == MsgKind::Photo && !edited {
                // The QRIS invoice: the code itself, scannable from the terminal.
                let txn =
                    self.pakasir.txns().into_iter().find(|t| !t.order_id.is_empty() && m.text.contains(&t.order_id));
                if let Some(txn) = txn {
                    for l in transcript::qr_lines(&txn.qr_string) {
                        println!("{l}");
                    }
                }
            }
        }
    }

    /// Messages sent or edited (`true`) since the last look, in message order per chat (own chat
    /// first).
    fn collect_new(&mut self) -> Vec<(BotMessage, bool)> {
        let mut chats: Vec<i64> =
            self.telegram.calls().iter().filter_map(|c| c.params.get("chat_id")?.as_i64()).collect();
        chats.sort_unstable_by_key(|c| (*c != self.user, *c));
        chats.dedup();
        let mut out = Vec::new();
        for chat in chats {
            for m in self.telegram.messages(chat) {
                let key = (chat, m.message_id);
                let (fresh, edited) = match self.seen.get(&key) {
                    None => (true, false),
                    Some(edits) => (*edits < m.edits, true),
                };
                if fresh {
                    self.seen.insert(key, m.edits);
                    out.push((m, edited));
                }
            }
        }
        out
    }
}

/// Interactive input: a line editor with history on a terminal, plain lines from a pipe.
enum Input {
    /// `None` only while a line is being read on the blocking pool.
    Editor(Option<rustyline::DefaultEditor>),
    Plain(tokio::io::Lines<BufReader<tokio::io::Stdin>>),
}

impl Input {
    fn new() -> Self {
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() {
            if let Ok(editor) = rustyline::DefaultEditor::new() {
                return Self::Editor(Some(editor));
            }
        }
        Self::Plain(BufReader::new(tokio::io::stdin()).lines())
    }

    /// The next line; `None` at the end of input (Ctrl-D, Ctrl-C).
    async fn next(&mut self) -> anyhow::Result<Option<String>> {
        match self {
            Self::Plain(lines) => {
                print!("> ");
                let _ = std::io::stdout().flush();
                Ok(lines.next_line().await?)
            }
            Self::Editor(slot) => {
                let Some(mut editor) = slot.take() else { return Ok(None) };
                let (mut editor, read) = tokio::task::spawn_blocking(move || {
                    let read = editor.readline("> ");
                    (editor, read)
                })
                .await?;
                let line = match read {
                    Ok(line) => line,
                    Err(rustyline::error::ReadlineError::Eof | rustyline::error::ReadlineError::Interrupted) => {
                        return Ok(None)
                    }
                    Err(e) => return Err(e.into()),
                };
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                *slot = Some(editor);
                Ok(Some(line))
            }
        }
    }
}
