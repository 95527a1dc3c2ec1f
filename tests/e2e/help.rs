//! `/help` and the command menus end to end (SPEC §5, §12; issue 13 point 1): both come from the
//! one command table, so a customer sees the public commands only, an admin every admin command
//! with its format and example, and an admin command from a non-admin still gets silence.

use std::time::{Duration, Instant};

use crate::common::{App, ADMIN, WAIT};
use quickcart::domain::commands::{Access, ADMIN_COMMANDS, COMMANDS};
use quickcart::testkit::BotMessage;
use serde_json::json;

const CUSTOMER: i64 = 7_101;

/// The new messages in `user`'s chat since their last message, once `done` holds for their
/// joined text (several messages when the answer is long).
async fn answer_since_last_say(app: &App, user: i64, done: impl Fn(&str) -> bool) -> Vec<BotMessage> {
    let mark = app.last_mark(user);
    let deadline = Instant::now() + WAIT;
    loop {
        let messages = app.new_messages(user, &mark);
        let joined = messages.iter().map(|m| m.text.as_str()).collect::<Vec<_>>().join("\n");
        if done(&joined) {
            return messages;
        }
        assert!(Instant::now() < deadline, "no complete answer for {user}; chat:\n{}", app.transcript(user));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn joined(messages: &[BotMessage]) -> String {
    messages.iter().map(|m| m.text.as_str()).collect::<Vec<_>>().join("\n")
}

/// A command's line in `/help`: `/name — description`.
fn help_line(name: &str, about: &str) -> String {
    format!("/{name} — {about}")
}

fn audit_rbac_denies(app: &App, user: i64) -> String {
    let out = app.cli(&["audit", "tail", "--action", "rbac_deny", "--actor", &user.to_string(), "-n", "1000"]);
    assert!(out.status.success(), "audit tail: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_help_lists_public_commands_and_admin_commands_stay_silent() {
    let mut app = App::start().await;
    app.onboard(CUSTOMER).await;

    app.say(CUSTOMER, "/help");
    let help = answer_since_last_say(&app, CUSTOMER, |t| t.contains("/help — ")).await;
    let text = joined(&help);
    for c in COMMANDS.iter().filter(|c| c.access() == Access::Everyone) {
        match c.menu {
            Some(about) => assert!(text.contains(&help_line(c.name, about)), "/{} missing:\n{text}", c.name),
            None => assert!(!text.contains(&format!("/{} ", c.name)), "/{} is not listed:\n{text}", c.name),
        }
    }
    for name in ADMIN_COMMANDS {
        assert!(!text.contains(&format!("/{name} ")), "a customer's /help names /{name}:\n{text}");
    }
    for word in ["Perintah admin", "Format:", "Contoh:"] {
        assert!(!text.contains(word), "{word:?} in a customer's /help:\n{text}");
    }
    assert!(text.contains("/start — Menu utama") && text.contains("/help — Daftar perintah"), "{text}");

    // An admin command from a customer: no reply at all, one rbac_deny each.
    let mark = app.mark(CUSTOMER);
    for line in ["/del 1", "/version", "/add 9|Penyusup|-|1000|-", "/help@QuickCartTestBot extra"] {
        app.tg.send_text(CUSTOMER, line);
    }
    // The last one is public: its answer shows every earlier update was handled.
    app.wait_count_since(CUSTOMER, &mark, "Daftar perintah", 1).await;
    let replies: Vec<String> = app.new_messages(CUSTOMER, &mark).into_iter().map(|m| m.text).collect();
    assert_eq!(replies.len(), 1, "only the /help was answered: {replies:#?}");
    let denied = audit_rbac_denies(&app, CUSTOMER);
    for name in ["del", "version", "add"] {
        assert!(denied.contains(&format!("command:{name} ")), "no rbac_deny for /{name}:\n{denied}");
    }
    assert!(denied.contains("\"role\":\"customer\""), "{denied}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_help_and_menu_show_every_admin_command() {
    let mut app = App::start().await;
    app.say(ADMIN, "/start");
    app.wait_text(ADMIN, "Siapa nama").await;

    // The menus: everyone's has /help and no admin command; the admin's has every admin command
    // with a real description (the one in the table), not a placeholder.
    let default = app.tg.my_commands(None, None);
    assert!(default.iter().any(|(c, d)| c == "help" && d == "Daftar perintah"), "{default:?}");
    assert!(!default.iter().any(|(c, _)| ADMIN_COMMANDS.contains(&c.as_str())), "{default:?}");
    let scope = json!({"type": "chat", "chat_id": ADMIN});
    let deadline = Instant::now() + WAIT;
    let menu = loop {
        let menu = app.tg.my_commands(Some(&scope), None);
        if ADMIN_COMMANDS.iter().all(|n| menu.iter().any(|(c, _)| c == n)) || Instant::now() >= deadline {
            break menu;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for c in COMMANDS.iter().filter(|c| c.menu.is_some()) {
        let shown = menu.iter().find(|(name, _)| name == c.name).map(|(_, d)| d.as_str());
        assert_eq!(shown, c.menu, "/{} in the admin menu: {menu:?}", c.name);
    }
    for (name, description) in &menu {
        assert!(description != "Admin" && !description.trim().is_empty(), "/{name}: {description:?}");
    }
    assert_eq!(menu.iter().find(|(c, _)| c == "del").map(|(_, d)| d.as_str()), Some("Nonaktifkan produk"));

    // /help: the public commands, then every admin command with its format and example.
    app.say(ADMIN, "/help");
    let last = ADMIN_COMMANDS.last().unwrap();
    let help = answer_since_last_say(&app, ADMIN, |t| t.contains(&format!("/{last} — "))).await;
    let text = joined(&help);
    assert!(text.contains("/start — Menu utama"), "{text}");
    assert!(text.contains("Perintah admin"), "{text}");
    for c in COMMANDS.iter().filter(|c| c.access() == Access::Admin) {
        let usage = c.usage().unwrap();
        assert!(text.contains(&help_line(c.name, c.menu.unwrap())), "/{} missing:\n{text}", c.name);
        assert!(text.contains(usage.format), "format of /{} missing:\n{text}", c.name);
        assert!(text.contains(usage.example), "example of /{} missing:\n{text}", c.name);
    }
    // The very words the "Format salah" answer uses.
    assert!(text.contains("/del id") && text.contains("/del 3"), "{text}");
    assert!(text.contains("/setformula days=30|lt7=0.8|ge7=0.7|c12=0.6|c3=0.5|c4=0.4"), "{text}");
    app.say(ADMIN, "/del x");
    let wrong = app.wait_text(ADMIN, "Format salah").await;
    assert!(wrong.text.contains("/del id") && wrong.text.contains("/del 3"), "{}", wrong.text);
    app.finish().await;
}
