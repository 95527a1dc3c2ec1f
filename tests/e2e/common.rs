//! End-to-end harness: starts the real `quickcart` binary (`serve`) against the in-library fakes
//! of Telegram and Pakasir, in a fresh temporary directory with a fresh raw database key.
//!
//! Everything a test asserts on is what a person would see: the fake Telegram's per-chat view of
//! the bot's messages (edits applied in place), its recorded API calls, the binary's stderr and
//! exit status, and the files it leaves in `DATA_DIR`.

#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use quickcart::testkit::{BotMessage, Call, FakePakasir, FakeTelegram};
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_quickcart");
/// Always an admin (`ADMIN_IDS`).
pub const ADMIN: i64 = 900_001;
pub const STORE_NAME: &str = "Toko Uji E2E";
pub const TOKEN: &str = "123456789:TEST-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const PAKASIR_PROJECT: &str = "quickcart-e2e";
pub const PAKASIR_API_KEY: &str = "e2e-pakasir-api-key";
pub const PAKASIR_WEBHOOK_SECRET: &str = "e2e-pakasir-webhook-secret";

/// How long we wait for anything the bot should do. Generous: the CI machine has 2 cores and
/// several test binaries run at once. Never used as an assertion on speed.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long the bot gets to prove it stays silent.
pub const SILENCE: Duration = Duration::from_secs(1);
const READY_TIMEOUT: Duration = Duration::from_secs(20);
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Methods whose calls put something in front of a person.
const VISIBLE_METHODS: &[&str] = &[
    "sendmessage",
    "sendphoto",
    "senddocument",
    "sendsticker",
    "copymessage",
    "forwardmessage",
    "editmessagetext",
    "editmessagecaption",
    "editmessagereplymarkup",
];

// ------------------------------------------------------------------ running alone

/// Which tests run a shop right now. `cargo test` runs several tests at once (see
/// `.cargo/config.toml`); a test that measures timing (a send rate at the fake Telegram) runs
/// alone instead, since other shops busy on the same cores bunch the sends it measures.
struct Gate {
    /// Test threads with a shop running, and how many shops each has.
    running: Vec<(std::thread::ThreadId, usize)>,
    /// The thread of the test that runs alone (waiting for the others to finish, or running).
    alone: Option<std::thread::ThreadId>,
}

static GATE: std::sync::Mutex<Gate> = std::sync::Mutex::new(Gate { running: Vec::new(), alone: None });

fn gate() -> std::sync::MutexGuard<'static, Gate> {
    GATE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A test's right to run a shop; given back when dropped.
pub enum Turn {
    /// One of the shops of the test on this thread.
    Shared(std::thread::ThreadId),
    /// The test on this thread runs alone.
    Alone(std::thread::ThreadId),
    /// A shop of the test that runs alone.
    Within,
}

impl Turn {
    /// Waits while a test runs alone (or waits to), unless this thread's test already runs a
    /// shop: a test never waits for itself.
    async fn shared() -> Turn {
        let me = std::thread::current().id();
        loop {
            {
                let mut g = gate();
                if g.alone == Some(me) {
                    return Turn::Within;
                }
                if let Some(entry) = g.running.iter_mut().find(|(t, _)| *t == me) {
                    entry.1 += 1;
                    return Turn::Shared(me);
                }
                if g.alone.is_none() {
                    g.running.push((me, 1));
                    return Turn::Shared(me);
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut g = gate();
        match self {
            Turn::Shared(me) => {
                if let Some(i) = g.running.iter().position(|(t, _)| t == me) {
                    g.running[i].1 -= 1;
                    if g.running[i].1 == 0 {
                        g.running.remove(i);
                    }
                }
            }
            Turn::Alone(_) => g.alone = None,
            Turn::Within => {}
        }
    }
}

/// For a test that measures timing: waits until no other test runs a shop and keeps new ones
/// from starting until the returned turn is dropped. Call it before the test starts its shop.
pub async fn alone() -> Turn {
    let me = std::thread::current().id();
    loop {
        {
            let mut g = gate();
            assert!(g.running.iter().all(|(t, _)| *t != me), "call alone() before starting a shop");
            if g.alone.is_none() {
                g.alone = Some(me);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let turn = Turn::Alone(me);
    while !gate().running.is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    turn
}

/// A fresh raw SQLCipher key: 64 hex characters.
pub fn random_key() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The name of the user running the tests (for `QUICKCART_USER`).
pub fn current_user() -> String {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0);
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid.to_string())
        .map_or_else(|| "root".to_string(), |f| f[0].to_string())
}

/// `127.0.0.1:<port>` that was free a moment ago.
pub fn free_addr() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = l.local_addr().expect("local addr").port();
    drop(l);
    format!("127.0.0.1:{port}")
}

/// What a chat looked like at one moment; "new since the mark" = a message created or edited
/// after it.
#[derive(Clone, Debug, Default)]
pub struct Mark {
    /// Highest bot message id in the chat at the mark.
    pub last_id: i64,
    /// Edit counts of the messages that existed at the mark.
    pub edits: HashMap<i64, u32>,
    /// Number of recorded API calls at the mark.
    pub calls: usize,
}

impl Mark {
    pub fn is_new(&self, m: &BotMessage) -> bool {
        match self.edits.get(&m.message_id) {
            None => true,
            Some(e) => m.edits > *e,
        }
    }
}

/// A running (or stopped) `quickcart serve` with its own fakes and data directory.
pub struct App {
    pub tg: FakeTelegram,
    pub pakasir: FakePakasir,
    /// The temporary working directory (also holds `data/`, `logs/`, stderr files).
    pub dir: tempfile::TempDir,
    /// Exactly the environment the binary gets (plus PATH/HOME).
    pub env: BTreeMap<String, String>,
    /// `http://HTTP_BIND` of the current run.
    pub base_url: String,
    child: Option<Child>,
    runs: u32,
    /// Per user: the state of their chat when they last said or pressed something.
    marks: HashMap<i64, Mark>,
    /// Callback queries injected so far (the fake numbers them from 4_000_000_000_001).
    presses: u64,
    /// Per user: the callback query id of their last press.
    last_press: HashMap<i64, String>,
    http: reqwest::Client,
    /// Held while this shop exists (see [`alone`]).
    _turn: Turn,
}

impl App {
    /// Starts fakes and the binary with the default test configuration.
    pub async fn start() -> App {
        Self::start_with(|_| {}).await
    }

    /// Like [`App::start`], with `adjust` changing the environment first (remove a key to unset
    /// it).
    pub async fn start_with(adjust: impl FnOnce(&mut BTreeMap<String, String>)) -> App {
        let mut app = Self::prepare(adjust).await;
        app.spawn().await;
        app
    }

    /// Fakes, temp dir and environment, without starting the binary. Use [`App::spawn`] (or
    /// `cli`) afterwards, e.g. to `admin grant` before the first start.
    pub async fn prepare(adjust: impl FnOnce(&mut BTreeMap<String, String>)) -> App {
        let turn = Turn::shared().await;
        let tg = FakeTelegram::start().await.expect("fake telegram");
        let pakasir = FakePakasir::start(PAKASIR_PROJECT, PAKASIR_API_KEY).await.expect("fake pakasir");
        let dir = tempfile::tempdir().expect("tempdir");
        let mut env = BTreeMap::new();
        let mut set = |k: &str, v: String| {
            env.insert(k.to_string(), v);
        };
        set("DATABASE_KEY", random_key());
        set("TELEGRAM_BOT_TOKEN", TOKEN.into());
        set("TELEGRAM_API_URL", tg.url());
        set("PAKASIR_PROJECT", PAKASIR_PROJECT.into());
        set("PAKASIR_API_KEY", PAKASIR_API_KEY.into());
        set("PAKASIR_WEBHOOK_SECRET", PAKASIR_WEBHOOK_SECRET.into());
        set("PAKASIR_BASE_URL", pakasir.url());
        set("DATA_DIR", dir.path().join("data").display().to_string());
        set("LOG_DIR", dir.path().join("logs").display().to_string());
        set("BACKUP_DIR", dir.path().join("backups").display().to_string());
        set("HTTP_BIND", free_addr());
        set("METRICS_BIND", free_addr());
        set("ADMIN_IDS", ADMIN.to_string());
        set("STORE_NAME", STORE_NAME.into());
        // `doctor` run as root checks DATA_DIR against the `quickcart` service user when that
        // user exists (a package installed on the test machine); the tests' shop runs as us.
        set("QUICKCART_USER", current_user());
        // Tests type fast; they are not what the per-user throttle is about.
        set("TELEGRAM_THROTTLE_LIMIT", "10000".into());
        set("TELEGRAM_THROTTLE_WINDOW_SECONDS", "1".into());
        adjust(&mut env);
        App {
            tg,
            pakasir,
            dir,
            env,
            base_url: String::new(),
            child: None,
            runs: 0,
            marks: HashMap::new(),
            presses: 0,
            last_press: HashMap::new(),
            http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http client"),
            _turn: turn,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(&self.env["DATA_DIR"])
    }

    /// A `Command` for the binary with exactly this app's environment, in its temp dir.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).env_clear().envs(&self.env).current_dir(self.dir.path()).stdin(Stdio::null());
        for k in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(k) {
                cmd.env(k, v);
            }
        }
        cmd
    }

    /// Runs another subcommand (`db check`, `admin grant 5`, …) with the same environment.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run quickcart")
    }

    /// Starts `serve` (again) on fresh ports and waits until it answers `/healthz` and polls.
    pub async fn spawn(&mut self) {
        assert!(self.child.is_none(), "already running");
        // A port picked as free can be taken by a parallel test before the binary binds it:
        // then start again on other ports.
        for attempt in 1..=3 {
            self.env.insert("HTTP_BIND".into(), free_addr());
            self.env.insert("METRICS_BIND".into(), free_addr());
            self.base_url = format!("http://{}", self.env["HTTP_BIND"]);
            self.runs += 1;
            let stderr = File::create(self.stderr_path(self.runs)).expect("stderr file");
            let stdout =
                File::create(self.dir.path().join(format!("serve-{}.stdout", self.runs))).expect("stdout file");
            let polls_before = self.polling_calls();
            let child = self
                .command(&["serve"])
                .stdout(Stdio::from(stdout))
                .stderr(Stdio::from(stderr))
                .spawn()
                .expect("spawn quickcart serve");
            self.child = Some(child);
            match self.wait_ready(polls_before).await {
                Ok(()) => return,
                Err(status) => {
                    self.child = None;
                    let err = std::fs::read_to_string(self.stderr_path(self.runs)).unwrap_or_default();
                    let port_clash = err.contains("HTTP_BIND") || err.contains("METRICS_BIND");
                    assert!(
                        port_clash && attempt < 3,
                        "quickcart serve exited during start ({status}); stderr:\n{}",
                        self.stderr()
                    );
                }
            }
        }
    }

    fn polling_calls(&self) -> usize {
        self.tg.calls().iter().filter(|c| matches!(c.method.as_str(), "deletewebhook" | "setwebhook")).count()
    }

    /// Ok once healthy and polling; Err(exit status) if the process ended during start.
    async fn wait_ready(&mut self, polls_before: usize) -> Result<(), ExitStatus> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let url = format!("{}/healthz", self.base_url);
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(status);
            }
            let healthy = matches!(self.http.get(&url).send().await, Ok(r) if r.status() == 200);
            if healthy && self.polling_calls() > polls_before {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "quickcart serve not ready within {READY_TIMEOUT:?}; stderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGTERM, then waits (up to 15 s) for the exit. Panics if it does not exit in time.
    pub async fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("not running");
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("quickcart serve did not exit within {STOP_TIMEOUT:?} of SIGTERM; stderr:\n{}", self.stderr());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`: no chance to clean up.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Graceful stop, then start again with the same data directory and key.
    pub async fn restart(&mut self) {
        if self.child.is_some() {
            let status = self.stop().await;
            assert!(status.success(), "serve exited with {status}");
        }
        self.spawn().await;
    }

    /// Stops gracefully and checks what every test should hold at the end: exit 0 on SIGTERM,
    /// and no panic anywhere in the binary's stderr.
    pub async fn finish(mut self) {
        if self.child.is_some() {
            let status = self.stop().await;
            assert!(status.success(), "serve exited with {status}; stderr:\n{}", self.stderr());
        }
        self.assert_no_panic();
    }

    fn stderr_path(&self, run: u32) -> PathBuf {
        self.dir.path().join(format!("serve-{run}.stderr"))
    }

    /// Everything `serve` wrote to stderr, over all runs.
    pub fn stderr(&self) -> String {
        (1..=self.runs)
            .map(|r| std::fs::read_to_string(self.stderr_path(r)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn assert_no_panic(&self) {
        let err = self.stderr();
        assert!(!err.contains("panicked"), "the binary panicked; stderr:\n{err}");
    }

    // ------------------------------------------------------------------ conversation

    /// The chat as it is now.
    pub fn mark(&self, user: i64) -> Mark {
        let msgs = self.tg.all_messages(user);
        Mark {
            last_id: msgs.iter().map(|m| m.message_id).max().unwrap_or(0),
            edits: msgs.iter().map(|m| (m.message_id, m.edits)).collect(),
            calls: self.calls_len(),
        }
    }

    /// Number of API calls recorded so far (for [`App::assert_silent`]).
    pub fn calls_len(&self) -> usize {
        // Not `tg.calls().len()`: that clones every recorded call, and a mark is taken on every
        // `say`/`press`, so a test with thousands of calls spent most of its time copying them.
        // `calls_to_since` with a method no call has returns the count without copying any.
        self.tg.calls_to_since("(count only)", 0).1
    }

    /// Remembers the chat as it is now as the user's last action (before sending something
    /// other than text, e.g. `app.tg.send_sticker`).
    pub fn mark_now(&mut self, user: i64) {
        self.marks.insert(user, self.mark(user));
    }

    /// The user sends a private text message. Returns the update id.
    pub fn say(&mut self, user: i64, text: &str) -> i64 {
        self.marks.insert(user, self.mark(user));
        self.tg.send_text(user, text)
    }

    /// Presses the inline button labelled `label` (exact, case-insensitive; else the first whose
    /// label contains it) on the newest message with buttons. Returns the message id pressed on.
    pub fn press(&mut self, user: i64, label: &str) -> i64 {
        let (message_id, data) = self.button(user, label);
        self.press_data(user, message_id, &data);
        message_id
    }

    /// The (message id, callback data) of a button on the newest message with buttons.
    pub fn button(&self, user: i64, label: &str) -> (i64, String) {
        let Some(m) = self.tg.last_with_buttons(user) else {
            panic!("no message with buttons for {user}; chat:\n{}", self.transcript(user))
        };
        let wanted = label.to_lowercase();
        let all: Vec<_> = m.inline_buttons.iter().flatten().collect();
        let b = all
            .iter()
            .find(|b| b.text.to_lowercase() == wanted)
            .or_else(|| all.iter().find(|b| b.text.to_lowercase().contains(&wanted)));
        let Some(b) = b else {
            panic!("no button {label:?} on message {}; chat:\n{}", m.message_id, self.transcript(user))
        };
        let data = b.callback_data.clone().unwrap_or_else(|| panic!("button {label:?} has no callback data"));
        (m.message_id, data)
    }

    /// Presses arbitrary callback data on any message id (forged or stale buttons).
    pub fn press_data(&mut self, user: i64, message_id: i64, data: &str) -> i64 {
        self.marks.insert(user, self.mark(user));
        self.presses += 1;
        self.last_press.insert(user, (4_000_000_000_000_u64 + self.presses).to_string());
        self.tg.press(user, message_id, data)
    }

    /// The mark taken at the user's last `say`/`press`.
    pub fn last_mark(&self, user: i64) -> Mark {
        self.marks.get(&user).cloned().unwrap_or_default()
    }

    /// Waits for a bot message (new or edited since the user's last action) containing `needle`.
    pub async fn wait_text(&self, user: i64, needle: &str) -> BotMessage {
        let mark = self.last_mark(user);
        self.wait_text_since(user, &mark, needle).await
    }

    /// Waits for a message new or edited since `mark` that contains `needle`.
    pub async fn wait_text_since(&self, user: i64, mark: &Mark, needle: &str) -> BotMessage {
        self.wait_msg_since(user, mark, |m| m.text.contains(needle), needle).await
    }

    /// Waits for a message new or edited since `mark` satisfying `pred`.
    pub async fn wait_msg_since(
        &self,
        user: i64,
        mark: &Mark,
        pred: impl Fn(&BotMessage) -> bool,
        what: &str,
    ) -> BotMessage {
        match self.tg.wait_for(user, |m| mark.is_new(m) && pred(m), WAIT).await {
            Some(m) => m,
            None => panic!(
                "no new message matching {what:?} for {user} within {WAIT:?}; chat:\n{}\n--- stderr:\n{}",
                self.transcript(user),
                self.stderr()
            ),
        }
    }

    /// Waits for any message (old or new) containing `needle`.
    pub async fn wait_text_any(&self, user: i64, needle: &str) -> BotMessage {
        self.wait_text_since(user, &Mark::default(), needle).await
    }

    /// Bot messages new or edited since `mark`.
    pub fn new_messages(&self, user: i64, mark: &Mark) -> Vec<BotMessage> {
        self.tg.messages(user).into_iter().filter(|m| mark.is_new(m)).collect()
    }

    /// Calls since `mark` (by index).
    pub fn calls_since(&self, since: usize) -> Vec<Call> {
        self.tg.calls().into_iter().skip(since).collect()
    }

    /// Waits for the `answerCallbackQuery` of the user's last press and returns its text (empty
    /// when the answer carried none).
    pub async fn wait_answer(&self, user: i64) -> String {
        let id = self.last_press.get(&user).cloned().expect("the user pressed nothing");
        let deadline = Instant::now() + WAIT;
        loop {
            let answer = self
                .tg
                .calls_to("answerCallbackQuery")
                .into_iter()
                .find(|c| c.params.get("callback_query_id").and_then(Value::as_str) == Some(id.as_str()));
            if let Some(c) = answer {
                return c.params.get("text").and_then(Value::as_str).unwrap_or_default().to_string();
            }
            assert!(
                Instant::now() < deadline,
                "press {id} of {user} was not answered within {WAIT:?}; stderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the binary has fetched update `update_id` from the fake.
    pub async fn wait_delivered(&self, update_id: i64) {
        let deadline = Instant::now() + WAIT;
        while self.tg.delivered_update_id() < update_id {
            assert!(Instant::now() < deadline, "update {update_id} was never fetched by the bot");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Once every injected update has been fetched by the bot, gives it ~1 s and checks that no
    /// call since call index `since` (see [`App::calls_len`]) put anything in front of `user`
    /// (send, edit, copy, forward).
    pub async fn assert_silent(&self, user: i64, since: usize) {
        let deadline = Instant::now() + WAIT;
        while self.tg.pending_updates() > 0 {
            assert!(Instant::now() < deadline, "the bot did not fetch its updates within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.assert_no_visible_call(user, since).await;
    }

    /// [`App::assert_silent`] for one known update (the id `say` returned).
    pub async fn assert_silent_after(&self, user: i64, since: usize, update_id: i64) {
        self.wait_delivered(update_id).await;
        self.assert_no_visible_call(user, since).await;
    }

    async fn assert_no_visible_call(&self, user: i64, since: usize) {
        tokio::time::sleep(SILENCE).await;
        let visible: Vec<Call> = self
            .calls_since(since)
            .into_iter()
            .filter(|c| VISIBLE_METHODS.contains(&c.method.as_str()))
            .filter(|c| chat_of(c) == Some(user))
            .collect();
        assert!(
            visible.is_empty(),
            "expected silence towards {user}, got: {:#?}",
            visible.iter().map(|c| (&c.method, &c.params)).collect::<Vec<_>>()
        );
    }

    /// The chat as a readable transcript, for failure messages.
    pub fn transcript(&self, user: i64) -> String {
        self.tg
            .all_messages(user)
            .iter()
            .map(|m| {
                let mut s = format!(
                    "#{}{}{} {:?}: {}",
                    m.message_id,
                    if m.deleted { " (deleted)" } else { "" },
                    if m.edits > 0 { format!(" (edits {})", m.edits) } else { String::new() },
                    m.kind,
                    m.text
                );
                for row in &m.inline_buttons {
                    let labels: Vec<String> = row.iter().map(|b| format!("[{}]", b.text)).collect();
                    s.push_str(&format!("\n    {}", labels.join(" ")));
                }
                if let Some(kb) = &m.reply_keyboard {
                    s.push_str(&format!("\n    reply keyboard: {kb:?}"));
                }
                s
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    // ------------------------------------------------------------------ flows

    /// `/start` and three `/skip`s: a new user ends at the welcome message.
    pub async fn onboard(&mut self, user: i64) -> BotMessage {
        self.say(user, "/start");
        self.wait_text(user, "Siapa nama Anda").await;
        self.say(user, "/skip");
        self.wait_text(user, "Nomor WhatsApp").await;
        self.say(user, "/skip");
        self.wait_text(user, "Alamat email").await;
        self.say(user, "/skip");
        self.wait_text(user, "Selamat datang").await
    }

    /// An admin command; waits for the answer containing `needle`.
    pub async fn admin(&mut self, text: &str, needle: &str) -> BotMessage {
        self.say(ADMIN, text);
        self.wait_text(ADMIN, needle).await
    }

    /// `/add` a product as the `ADMIN_IDS` admin and waits for the confirmation.
    pub async fn add_product(&mut self, id: &str, name: &str, category: &str, price: &str) {
        self.admin(&format!("/add {id}|{name}|{category}|{price}|-"), "Produk ditambahkan").await;
    }

    /// `/addstock id|items…` as the admin; waits for the report.
    pub async fn add_stock(&mut self, id: i64, items: &[&str]) -> BotMessage {
        self.admin(&format!("/addstock {id}|{}", items.join("\n")), "Total stok tersedia").await
    }

    /// Sends several admin commands at once (they are handled in order) and waits until `needle`
    /// appeared in as many new messages as commands were sent. Returns those messages.
    pub async fn admin_batch(&mut self, cmds: &[String], needle: &str) -> Vec<BotMessage> {
        let mark = self.mark(ADMIN);
        for c in cmds {
            self.tg.send_text(ADMIN, c);
        }
        self.marks.insert(ADMIN, mark.clone());
        self.wait_count_since(ADMIN, &mark, needle, cmds.len()).await
    }

    /// Waits until at least `n` messages new since `mark` contain `needle`.
    pub async fn wait_count_since(&self, user: i64, mark: &Mark, needle: &str, n: usize) -> Vec<BotMessage> {
        let deadline = Instant::now() + WAIT + Duration::from_millis(200 * n as u64);
        loop {
            let hits: Vec<BotMessage> =
                self.new_messages(user, mark).into_iter().filter(|m| m.text.contains(needle)).collect();
            if hits.len() >= n {
                return hits;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} messages with {needle:?} for {user}; chat:\n{}\n--- stderr:\n{}",
                hits.len(),
                self.transcript(user),
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Adds products `ids` (named `Produk <id>`, category `cat`, price `1000 * id`) and gives
    /// product `id` the stock `stock(id)` (items `item-<id>-<n>`), all as the admin.
    pub async fn seed(&mut self, ids: &[i64], cat: &str, stock: impl Fn(i64) -> usize) {
        let adds: Vec<String> =
            ids.iter().map(|id| format!("/add {id}|Produk {id}|{cat}|{}|Deskripsi {id}", 1000 * id)).collect();
        self.admin_batch(&adds, "Produk ditambahkan").await;
        let stocks: Vec<String> = ids
            .iter()
            .filter(|id| stock(**id) > 0)
            .map(|id| {
                let items: Vec<String> = (1..=stock(*id)).map(|n| format!("item-{id}-{n}")).collect();
                format!("/addstock {id}|{}", items.join("\n"))
            })
            .collect();
        if !stocks.is_empty() {
            self.admin_batch(&stocks, "Total stok tersedia").await;
        }
    }

    /// `GET path` on `HTTP_BIND`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base_url)).send().await.expect("http get")
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // Never leave a process behind, whatever the test did.
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The chat a call targeted, if any.
pub fn chat_of(c: &Call) -> Option<i64> {
    match c.params.get("chat_id")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `text` contains every needle.
pub fn has_all(text: &str, needles: &[&str]) -> bool {
    needles.iter().all(|n| text.contains(n))
}

/// Labels of a message's inline buttons, row by row.
pub fn labels(m: &BotMessage) -> Vec<Vec<String>> {
    m.inline_buttons.iter().map(|r| r.iter().map(|b| b.text.clone()).collect()).collect()
}

/// All inline button labels, flattened.
pub fn flat_labels(m: &BotMessage) -> Vec<String> {
    labels(m).into_iter().flatten().collect()
}

/// Does any file under `dir` (recursively) contain `needle`? Returns the offending paths.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return hits;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            hits.extend(files_containing(&p, needle));
        } else if let Ok(bytes) = std::fs::read(&p) {
            if bytes.windows(needle.len()).any(|w| w == needle) {
                hits.push(p);
            }
        }
    }
    hits
}

/// Runs another subcommand off the async runtime (`db stats`, `audit tail`, …).
pub async fn run_cli(app: &App, args: &[&str]) -> std::process::Output {
    let mut cmd = app.command(args);
    tokio::task::spawn_blocking(move || cmd.output()).await.expect("join").expect("run quickcart")
}

/// Runs a subcommand that must succeed; returns its stdout.
pub async fn cli_ok(app: &App, args: &[&str]) -> String {
    let out = run_cli(app, args).await;
    assert!(
        out.status.success(),
        "quickcart {args:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// (message id, callback data) of the button `label` on the newest message in `chat` with `needle`.
/// The `(message id, callback data)` of a button labelled `label` on the newest message with
/// `needle` in `chat`.
pub fn button_on(app: &App, chat: i64, needle: &str, label: &str) -> (i64, String) {
    let m = app.tg.all_messages(chat).into_iter().rev().find(|m| m.text.contains(needle)).unwrap_or_else(|| {
        panic!("no message with {needle:?} in {chat}:\n{}", app.transcript(chat));
    });
    let b = m
        .inline_buttons
        .iter()
        .flatten()
        .find(|b| b.text == label)
        .unwrap_or_else(|| panic!("no [{label}] on {needle:?}: {:?}", m.inline_buttons));
    (m.message_id, b.callback_data.clone().expect("callback data"))
}
