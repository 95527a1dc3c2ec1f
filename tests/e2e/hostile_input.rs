//! Hostile input (issue 6 item 7, SPEC §11): a generated table of empty, whitespace, huge,
//! unicode / RTL / zero-width, HTML- and Markdown-injection, SQL-injection, format-string,
//! negative / huge / overflowing numbers and other people's ids, sent through every public
//! command, every admin command (as an admin and as a customer), every reply-keyboard label, every
//! callback data kind (plus random, 64- and 65-byte data). Whatever comes in, the bot answers
//! cleanly or stays silent (admin commands from customers), never sends Telegram malformed HTML
//! (the fake refuses it with 400), never shows its generic error, never panics.
//!
//! One app per role, many inputs per app, a high throttle limit.

use crate::common;
use std::time::Duration;

use crate::common::{App, ADMIN};
use crate::pay_support::*;
use quickcart::domain::commands::ADMIN_COMMANDS;
use quickcart::testkit::Call;
use serde_json::Value;

/// Every public command and alias, from the command table.
fn public_commands() -> Vec<&'static str> {
    use quickcart::domain::commands::{Access, COMMANDS};
    COMMANDS
        .iter()
        .filter(|c| c.access() == Access::Everyone)
        .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
        .collect()
}
const LABELS: [&str; 4] = ["LIST PRODUK", "STOK", "AKUN", "KIRIM PESAN"];
/// Every callback kind of `src/domain/callback.rs`, with its arity (number of `:` arguments).
const CALLBACKS: [(&str, usize); 31] = [
    ("cats", 1),
    ("cat", 2),
    ("best", 1),
    ("top", 0),
    ("all", 1),
    ("stk", 1),
    ("p", 1),
    ("q", 2),
    ("buy", 1),
    ("uv", 0),
    ("sv", 0),
    ("pq", 0),
    ("ps", 0),
    ("psc", 0),
    ("ckb", 0),
    ("oc", 1),
    ("os", 1),
    ("va", 1),
    ("vr", 1),
    ("rr", 1),
    ("ra", 1),
    ("rj", 1),
    ("er", 0),
    ("x", 0),
    ("home", 0),
    ("acc", 1),
    ("hist", 1),
    ("dep", 0),
    ("noop", 0),
    ("acc:name", 0),
    ("acc:wa", 0),
];
const GENERIC_ERROR: &str = "terjadi gangguan";
/// The customer who owns the order other people poke at.
const VICTIM: i64 = 8301;

/// The hostile values (without the ones that depend on the shop's state).
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        " \t \n ",
        "Ünïcödé 日本語 🛒🔥👨‍👩‍👧",
        "\u{202E}kebalik\u{202C} שלום مرحبا",
        "\u{200B}\u{200D}\u{FEFF}\u{2060}",
        "<b>tebal</b>",
        "</code>",
        "<code>",
        "&amp; &lt; & &#0; &#xFFFFFF;",
        "<a href=\"javascript:alert(1)\">klik</a>",
        "*tebal* _miring_ `kode` [tautan](http://x.test) ~coret~ ||spoiler||",
        "'; DROP TABLE users;--",
        "1 OR 1=1",
        "%s%n%x%p {} {:?} {{}}",
        "-1",
        "0",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "1e9",
        "1.000.000.000.000",
        "NaN",
        "١٢٣",
        "\u{0}\u{1}\u{7f}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("A".repeat(4000));
    v.push("ä".repeat(2100));
    v
}

/// A few structured shapes per admin command (`|`-separated arguments).
fn shapes(i: &str, other: i64) -> Vec<String> {
    vec![i.to_string(), format!("1|{i}"), format!("{i}|1"), format!("{other}|{i}"), format!("1|{i}|{i}|1000|{i}")]
}

/// A Telegram message holds at most 4096 characters (UTF-16 units): cut what we send to fit.
fn fit(s: String) -> String {
    let mut out = String::new();
    let mut n = 0;
    for c in s.chars() {
        n += c.len_utf16();
        if n > 4096 {
            break;
        }
        out.push(c);
    }
    out
}

fn command_messages(commands: &[&str], other: i64, structured: bool) -> Vec<String> {
    let mut out = Vec::new();
    for cmd in commands {
        for i in hostile() {
            let args = if structured { shapes(&i, other) } else { vec![i.clone()] };
            for a in args {
                out.push(fit(if a.is_empty() { format!("/{cmd}") } else { format!("/{cmd} {a}") }));
            }
        }
        out.push(format!("/{cmd}@{}", quickcart::testkit::fake_telegram::BOT_USERNAME));
        out.push(format!("/{}", cmd.to_uppercase()));
    }
    out
}

fn label_messages() -> Vec<String> {
    let mut out = Vec::new();
    for l in LABELS {
        out.push(l.to_string());
        out.push(l.to_lowercase());
        out.push(format!("  {l}  "));
        out.push(format!("{l}\u{200B}"));
        out.push(format!("{l} <b>"));
        // KIRIM PESAN waits for a message: a hostile one is relayed to the admins.
        out.push("<b>pesan</code> &amp; '; DROP TABLE users;-- %s%n 🛒".into());
    }
    out
}

/// Callback data for every kind: valid shapes, hostile arguments, other people's ids, random
/// strings and data at and just over Telegram's 64-byte limit.
fn callback_data(other_order: i64) -> Vec<String> {
    let args = [
        "1",
        "-1",
        "0",
        "9223372036854775807",
        "9223372036854775808",
        "1e9",
        "<b>",
        "'; DROP TABLE users;--",
        "%s%n",
        "🛒",
        "",
        "name",
        "wa",
        "email",
        "root",
    ];
    let mut out = Vec::new();
    for (head, arity) in CALLBACKS {
        out.push(head.to_string());
        for a in args {
            match arity {
                0 => out.push(format!("{head}:{a}")),
                1 => out.push(format!("{head}:{a}")),
                _ => {
                    out.push(format!("{head}:{a}:1"));
                    out.push(format!("{head}:1:{a}"));
                }
            }
        }
        if arity >= 1 {
            out.push(format!("{head}:{other_order}"));
            out.push(format!("{head}:{other_order}:1"));
            out.push(format!("{head}:1:2:3"));
        }
    }
    let mut rng_state: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in [1usize, 7, 33, 64] {
        for _ in 0..3 {
            let s: String = (0..len)
                .map(|_| {
                    rng_state ^= rng_state << 13;
                    rng_state ^= rng_state >> 7;
                    rng_state ^= rng_state << 17;
                    char::from_u32((rng_state % 0x2FFF) as u32 + 0x20).unwrap_or('?')
                })
                .collect();
            out.push(s);
        }
    }
    out.push(format!("p:{}", "1".repeat(62)));
    out.push(format!("p:{}", "1".repeat(63)));
    out.push("a".repeat(64));
    out.push("a".repeat(65));
    out.push(format!("cats:{}", "0".repeat(59)));
    out.push(format!("cats:{}", "0".repeat(60)));
    out
}

// ------------------------------------------------------------------ driving

/// Waits until `user`'s queue has been worked through: a sentinel `/order` sent after the batch
/// is answered (one queue per user, in order), then the bot goes quiet (outbox, broadcasts).
async fn settle(app: &mut App, user: i64) {
    let mark = app.mark(user);
    app.tg.send_text(user, "/order");
    let deadline = Duration::from_secs(300);
    let answered = app.tg.wait_for(user, |m| mark.is_new(m) && m.text.contains("Cara memesan"), deadline).await;
    assert!(answered.is_some(), "the batch for {user} was never worked through; chat:\n{}", app.transcript(user));
    assert!(app.tg.wait_idle(Duration::from_millis(1500), Duration::from_secs(240)).await, "the bot never went quiet");
}

/// Sends every message as `user`, then waits until the bot has handled them all.
async fn send_all(app: &mut App, user: i64, messages: &[String]) {
    app.mark_now(user);
    for m in messages {
        app.tg.send_text(user, m);
    }
    settle(app, user).await;
}

/// Presses every data as `user`: on the newest bot message, and (every fourth) on a message id
/// that does not exist.
async fn press_all(app: &mut App, user: i64, data: &[String]) {
    for (n, d) in data.iter().enumerate() {
        let real = app.tg.last_message(user).map_or(1, |m| m.message_id);
        let message_id = if n % 4 == 3 { 900_000 + n as i64 } else { real };
        app.press_data(user, message_id, d);
    }
    settle(app, user).await;
}

/// Telegram's HTML rules (as the fake applies them): known tags, properly nested and closed.
/// Returns the text as displayed, or `None` when Telegram would refuse to parse it.
fn render_html(s: &str) -> Option<String> {
    const TAGS: &[&str] = &[
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    ];
    let mut out = String::new();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let end = rest.find('>')?;
            let inner = &rest[1..end];
            if let Some(name) = inner.strip_prefix('/') {
                if stack.pop()? != name.trim().to_ascii_lowercase() {
                    return None;
                }
            } else {
                let name = inner.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    return None;
                }
                stack.push(name);
            }
            rest = &rest[end + 1..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    stack.is_empty().then_some(out)
}

fn method_is_edit(c: &Call) -> bool {
    c.method.starts_with("editmessage")
}

/// Calls the fake refused, except edits that Telegram refuses for reasons other than their
/// content (a message id the test made up, a message without text, unchanged content): the shop
/// then sends a new message or does nothing, which is the documented fallback. An edit whose HTML
/// does not parse or is too long is never excused.
fn refused(app: &App) -> Vec<Call> {
    app.tg
        .calls()
        .into_iter()
        .filter(|c| c.outcome >= 400)
        .filter(|c| {
            if !method_is_edit(c) {
                return true;
            }
            let text = c.params.get("text").or_else(|| c.params.get("caption")).and_then(Value::as_str);
            let html =
                c.params.get("parse_mode").and_then(Value::as_str).is_some_and(|m| m.eq_ignore_ascii_case("html"));
            match text {
                None => false,
                Some(t) => {
                    let shown = if html { render_html(t) } else { Some(t.to_string()) };
                    shown.is_none_or(|s| s.encode_utf16().count() > 4096)
                }
            }
        })
        .collect()
}

fn assert_clean(app: &App, users: &[i64]) {
    let bad = refused(app);
    assert!(
        bad.is_empty(),
        "the bot sent calls Telegram refuses ({}):\n{:#?}",
        bad.len(),
        bad.iter().take(10).map(|c| (&c.method, c.outcome, c.params.to_string())).collect::<Vec<_>>()
    );
    for u in users {
        let errors: Vec<String> =
            app.tg.all_messages(*u).into_iter().filter(|m| m.text.contains(GENERIC_ERROR)).map(|m| m.text).collect();
        assert!(errors.is_empty(), "{u} got the generic error {} times; stderr:\n{}", errors.len(), app.stderr());
    }
    let err = app.stderr();
    assert!(!err.contains("panicked"), "the binary panicked:\n{err}");
}

/// A shop with one product and a customer (`VICTIM`) who bought it. Returns the order id and
/// the invoice.
async fn shop_with_victim(app: &mut App) -> (i64, String) {
    app.add_product("1", "Produk Korban", "Uji", "1000").await;
    app.add_stock(1, &["korban-1", "korban-2", "korban-3", "korban-4", "korban-5"]).await;
    app.onboard(VICTIM).await;
    app.admin(&format!("/transfer {VICTIM}|5000"), "Saldo").await;
    to_summary(app, VICTIM, 1, 0).await;
    app.press(VICTIM, "SALDO");
    app.wait_text(VICTIM, "Bayar dengan SALDO").await;
    app.press(VICTIM, "Konfirmasi");
    let delivery = wait_msg(app, VICTIM, &[DELIVERED]).await;
    let invoice = invoice_in(&delivery.text).expect("invoice");
    (1, invoice)
}

async fn still_answers(app: &mut App, user: i64) {
    app.say(user, "/order");
    app.wait_text(user, "Cara memesan").await;
}

// ------------------------------------------------------------------ the table, per role

/// As the admin: every public and admin command with every input (and structured arguments),
/// every label, every callback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_gets_clean_answers_to_hostile_input() {
    // Hundreds of broadcasts within seconds: paced as Telegram wants (30 a second, one a second
    // per chat) they would take minutes to drain, and the pace is not what this test looks at.
    let mut app = App::start_with(|env| {
        env.insert("TELEGRAM_CHAT_PACING_MS".into(), "0".into());
        env.insert("TELEGRAM_MESSAGES_PER_SECOND".into(), "1000".into());
    })
    .await;
    let (order, invoice) = shop_with_victim(&mut app).await;
    app.onboard(ADMIN).await;

    let mut messages = command_messages(&public_commands(), VICTIM, false);
    messages.push(format!("/refund {invoice}"));
    messages.push(format!("/reff {}", invoice.to_lowercase()));
    // Admin commands, with dangerous ones (ban/rm/del...) aimed at the victim at the end so that
    // they do not stop the rest.
    let mut admin_cmds: Vec<&str> = ADMIN_COMMANDS.to_vec();
    admin_cmds.sort_by_key(|c| matches!(*c, "del" | "delallstock" | "ban" | "editid" | "rmadmin" | "rm"));
    messages.extend(command_messages(&admin_cmds, VICTIM, true));
    messages.extend(label_messages());
    for i in hostile() {
        messages.push(fit(i));
    }
    send_all(&mut app, ADMIN, &messages).await;
    assert_clean(&app, &[ADMIN, VICTIM]);

    press_all(&mut app, ADMIN, &callback_data(order)).await;
    assert_clean(&app, &[ADMIN, VICTIM]);
    still_answers(&mut app, ADMIN).await;
    let s = stats(&app).await;
    assert_invariants(&s);
    assert_db_check(&app).await;
    app.finish().await;
}

/// As a customer: admin commands are invisible (no answer at all, each one an `rbac_deny`);
/// public commands, labels, free text and callbacks get clean answers; other people's orders
/// cannot be touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_gets_clean_answers_or_silence_to_hostile_input() {
    // Hundreds of broadcasts within seconds: paced as Telegram wants (30 a second, one a second
    // per chat) they would take minutes to drain, and the pace is not what this test looks at.
    let mut app = App::start_with(|env| {
        env.insert("TELEGRAM_CHAT_PACING_MS".into(), "0".into());
        env.insert("TELEGRAM_MESSAGES_PER_SECOND".into(), "1000".into());
    })
    .await;
    let (order, invoice) = shop_with_victim(&mut app).await;
    let u = 8302;
    // Onboarding with hostile names, numbers and emails: refused ones are asked again.
    app.say(u, "/start");
    app.wait_text(u, "Siapa nama Anda").await;
    let mut onboarding: Vec<String> = hostile().into_iter().map(fit).collect();
    onboarding.extend(["Nama <b>Aman</b> &amp;".to_string(), "/skip".into()]);
    onboarding.extend(hostile().into_iter().map(fit));
    onboarding.push("/skip".into());
    onboarding.extend(hostile().into_iter().map(fit));
    onboarding.push("/skip".into());
    send_all(&mut app, u, &onboarding).await;
    assert!(app.tg.all_messages(u).iter().any(|m| m.text.contains("Selamat datang")), "{}", app.transcript(u));
    assert_clean(&app, &[u, ADMIN]);

    // Admin commands: silence.
    let s0 = stats(&app).await;
    let since = app.calls_len();
    let admin_messages = command_messages(&ADMIN_COMMANDS, VICTIM, true);
    app.mark_now(u);
    for m in &admin_messages {
        app.tg.send_text(u, m);
    }
    settle(&mut app, u).await;
    // Only the sentinel's answer: nothing else reached the customer.
    let visible: Vec<Call> = app
        .calls_since(since)
        .into_iter()
        .filter(|c| {
            matches!(
                c.method.as_str(),
                "sendmessage" | "sendphoto" | "senddocument" | "sendsticker" | "copymessage" | "forwardmessage"
            ) || method_is_edit(c)
        })
        .filter(|c| common::chat_of(c) == Some(u))
        .collect();
    assert_eq!(
        visible.len(),
        1,
        "admin commands must be invisible: {:#?}",
        visible.iter().map(|c| &c.params).collect::<Vec<_>>()
    );
    assert!(visible[0].params.to_string().contains("Cara memesan"));
    let s1 = stats(&app).await;
    assert!(
        num(&s1, "/security_events/rbac_deny") - num(&s0, "/security_events/rbac_deny") >= admin_messages.len() as i64,
        "every admin command is an rbac_deny: {s1:#}"
    );
    assert_eq!(num(&s1, "/products"), num(&s0, "/products"), "{s1:#}");
    assert_eq!(num(&s1, "/balance_sum"), num(&s0, "/balance_sum"), "{s1:#}");

    // Public commands, labels, free text.
    let mut messages = command_messages(&public_commands(), VICTIM, false);
    messages.push(format!("/refund {invoice}"));
    messages.extend(label_messages());
    for i in hostile() {
        messages.push(fit(i));
    }
    send_all(&mut app, u, &messages).await;
    assert_clean(&app, &[u, ADMIN, VICTIM]);
    let other = app.tg.all_messages(u).into_iter().filter(|m| m.text.contains("korban-")).count();
    assert_eq!(other, 0, "the victim's items leaked:\n{}", app.transcript(u));

    // Callbacks, including the victim's order id.
    press_all(&mut app, u, &callback_data(order)).await;
    assert_clean(&app, &[u, ADMIN, VICTIM]);
    let leaked = app.tg.all_messages(u).into_iter().any(|m| m.text.contains(&invoice) || m.text.contains("korban-"));
    assert!(!leaked, "the victim's order leaked:\n{}", app.transcript(u));
    let s2 = stats(&app).await;
    assert_eq!(num(&s2, "/orders/paid"), 1, "the victim's order is untouched: {s2:#}");
    assert_eq!(num(&s2, "/orders/refunded"), 0, "{s2:#}");
    assert_invariants(&s2);
    assert!(
        app.tg.all_messages(VICTIM).iter().all(|m| !m.text.contains("dibatalkan") && !m.text.contains("Refund")),
        "{}",
        app.transcript(VICTIM)
    );

    still_answers(&mut app, u).await;
    assert_db_check(&app).await;
    app.finish().await;
}
