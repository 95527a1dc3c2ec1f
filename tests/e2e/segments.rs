//! Targeted campaigns end to end (issue 18 point 3): `/broadcast @segmen` and
//! `/giveaway nominal|jumlah|@segmen` show the audience size first, create nothing before
//! `[Kirim]`, create one broadcast however often it is pressed, and reach exactly the segment.
//! A plain `/broadcast text` still goes to everyone at once.

use crate::common::{App, ADMIN};
use quickcart::testkit::BotMessage;

const SEND: &str = "Kirim";
const CANCEL: &str = "Batal";
const DONE: &str = "Broadcast selesai";
const EXPIRED: &str = "sudah tidak berlaku";

/// The people of the scenario: buyers of product 1 (category 1) and of product 3 (category 2),
/// a reseller, a customer with balance, and one who did nothing but sign up.
struct People {
    p1: i64,
    p3: i64,
    ress: i64,
    saldo: i64,
    idle: i64,
}

impl People {
    fn all(&self) -> [i64; 6] {
        [self.p1, self.p3, self.ress, self.saldo, self.idle, ADMIN]
    }
}

/// Buys one of product `id` with the balance (the admin transfers its price first).
async fn paid_buyer(app: &mut App, user: i64, id: i64) {
    app.admin(&format!("/transfer {user}|{}", 1000 * id), "Saldo").await;
    crate::pay_support::saldo_buy(app, user, id).await;
}

async fn setup() -> (App, People) {
    let mut app = App::start().await;
    app.seed(&[1, 2], "Streaming", |_| 3).await;
    app.seed(&[3], "Game", |_| 3).await;
    let people = People { p1: 7101, p3: 7102, ress: 7103, saldo: 7104, idle: 7105 };
    for u in [people.p1, people.p3, people.ress, people.saldo, people.idle] {
        app.onboard(u).await;
    }
    paid_buyer(&mut app, people.p1, 1).await;
    paid_buyer(&mut app, people.p3, 3).await;
    app.admin(&format!("/addreseller {}", people.ress), "sekarang").await;
    app.admin(&format!("/transfer {}|5000", people.saldo), "Saldo").await;
    (app, people)
}

/// Who received a message containing `needle`.
fn receivers(app: &App, people: &People, needle: &str) -> Vec<i64> {
    people.all().into_iter().filter(|u| app.tg.all_messages(*u).iter().any(|m| m.text.contains(needle))).collect()
}

/// Messages in the admin's chat with the end of a broadcast.
fn done_count(app: &App) -> usize {
    app.tg.all_messages(ADMIN).iter().filter(|m| m.text.contains(DONE)).count()
}

/// Presses `(message, data)` for the admin and waits for the broadcast it starts to end (its
/// progress message edited to the end, and the summary): the summary.
async fn send_and_wait(app: &mut App, msg: i64, data: &str) -> BotMessage {
    let before = done_count(app);
    app.press_data(ADMIN, msg, data);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while done_count(app) < before + 2 {
        assert!(std::time::Instant::now() < deadline, "no broadcast end; chat:\n{}", app.transcript(ADMIN));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.tg.all_messages(ADMIN).into_iter().filter(|m| m.text.contains(DONE)).max_by_key(|m| m.message_id).unwrap()
}

/// `/broadcast TOKEN text`: the question with the audience, then `[Kirim]`; the summary.
async fn segmented(app: &mut App, token: &str, text: &str, audience: usize, segment: &str) -> BotMessage {
    app.say(ADMIN, &format!("/broadcast {token} {text}"));
    let q = app.wait_text(ADMIN, "Akan dikirim ke").await;
    assert!(q.text.contains(&format!("Akan dikirim ke {audience} pengguna (segmen: {segment})")), "{}", q.text);
    let labels: Vec<String> = q.inline_buttons.iter().flatten().map(|b| b.text.clone()).collect();
    assert_eq!(labels, vec![SEND.to_string(), CANCEL.to_string()]);
    let (msg, data) = app.button(ADMIN, SEND);
    send_and_wait(app, msg, &data).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_segment_reaches_exactly_its_people() {
    let (mut app, p) = setup().await;
    let cases: [(&str, &str, Vec<i64>, &str); 5] = [
        ("@produk:1", "Halo pembeli satu", vec![p.p1], "pembeli produk 1"),
        ("@kategori:2", "Halo pembeli game", vec![p.p3], "pembeli kategori 2"),
        ("@reseller", "Halo reseller", vec![p.ress], "reseller"),
        ("@saldo", "Halo pemilik saldo", vec![p.saldo], "punya saldo"),
        ("@pasif:0", "Halo semua pasif", p.all().to_vec(), "tidak order 0 hari"),
    ];
    for (token, text, expected, segment) in cases {
        let done = segmented(&mut app, token, text, expected.len(), segment).await;
        let n = expected.len();
        assert!(done.text.contains(&format!("Terkirim {n}/{n}")), "{token}: {}", done.text);
        let mut got = receivers(&app, &p, text);
        got.sort_unstable();
        let mut want = expected.clone();
        want.sort_unstable();
        assert_eq!(got, want, "{token}");
        // The token itself is not part of the message.
        for u in &expected {
            let m = app.tg.all_messages(*u).into_iter().find(|m| m.text.contains(text)).unwrap();
            assert!(!m.text.contains(token), "{}", m.text);
        }
    }

    // Nobody is inactive for 30 days: said so, nothing created.
    let before = app.cli(&["audit", "tail", "-n", "200"]);
    app.say(ADMIN, "/broadcast @pasif:30 Kangen");
    let m = app.wait_text(ADMIN, "Tidak ada pengguna di segmen").await;
    assert!(m.inline_buttons.is_empty());
    assert!(receivers(&app, &p, "Kangen").is_empty());
    let after = app.cli(&["audit", "tail", "-n", "200"]);
    let created = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).matches("broadcast_created").count();
    assert_eq!(created(&before), created(&after));

    // A segment stays inside the reachable-user rule: a banned buyer is not in it.
    app.admin(&format!("/ban {}", p.p1), "diblokir").await;
    app.say(ADMIN, "/broadcast @produk:1 Setelah blokir");
    app.wait_text(ADMIN, "Tidak ada pengguna di segmen pembeli produk 1").await;
    assert!(receivers(&app, &p, "Setelah blokir").is_empty());

    // Audited with the segment and the audience.
    let audit = String::from_utf8_lossy(&after.stdout).into_owned();
    assert!(audit.contains("@produk:1") && audit.contains("\"audience\":1"), "{audit}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirm_twice_sends_once_and_forged_or_cancelled_presses_send_nothing() {
    let (mut app, p) = setup().await;

    // [Batal]: nothing goes out.
    app.say(ADMIN, "/broadcast @saldo Batal saja");
    app.wait_text(ADMIN, "Akan dikirim ke 1 pengguna").await;
    let (old_msg, old_send) = app.button(ADMIN, SEND);
    app.press(ADMIN, CANCEL);
    app.wait_text(ADMIN, "dibatalkan").await;
    // A later press of the old [Kirim] is stale.
    app.press_data(ADMIN, old_msg, &old_send);
    assert!(app.wait_answer(ADMIN).await.contains(EXPIRED));

    // [Kirim] pressed twice: one broadcast, one message.
    app.say(ADMIN, "/broadcast @saldo Sekali saja");
    app.wait_text(ADMIN, "Akan dikirim ke 1 pengguna").await;
    let (msg, data) = app.button(ADMIN, SEND);
    let before = done_count(&app);
    app.press_data(ADMIN, msg, &data);
    let done = send_and_wait(&mut app, msg, &data).await;
    assert!(app.wait_answer(ADMIN).await.contains(EXPIRED));
    assert!(done.text.contains("Terkirim 1/1"), "{}", done.text);
    app.assert_silent(p.saldo, app.calls_len()).await;
    assert_eq!(done_count(&app), before + 2, "one broadcast: its progress message and its summary");

    // A forged request number does nothing; a customer pressing it gets no broadcast either.
    app.say(ADMIN, "/broadcast @saldo Palsu");
    app.wait_text(ADMIN, "Akan dikirim ke 1 pengguna").await;
    let (msg, data) = app.button(ADMIN, SEND);
    let forged = if data.ends_with('1') { format!("{}2", &data[..data.len() - 1]) } else { "sg:ok:1".to_string() };
    app.press_data(ADMIN, msg, &forged);
    assert!(app.wait_answer(ADMIN).await.contains(EXPIRED));
    let since = app.calls_len();
    app.press_data(p.saldo, msg, &data);
    app.wait_answer(p.saldo).await;
    app.assert_silent(p.saldo, since).await;
    // The real button still works afterwards (the forged presses left the request alone).
    send_and_wait(&mut app, msg, &data).await;
    for text in ["Batal saja", "Palsu"] {
        let got = receivers(&app, &p, text);
        assert_eq!(got, if text == "Palsu" { vec![p.saldo] } else { vec![] }, "{text}");
    }
    let once = app.tg.all_messages(p.saldo).into_iter().filter(|m| m.text.contains("Sekali saja")).count();
    assert_eq!(once, 1);

    // A customer typing a segmented broadcast gets silence.
    let since = app.calls_len();
    let id = app.say(p.p1, "/broadcast @saldo hai");
    app.assert_silent_after(p.p1, since, id).await;

    // A plain /broadcast still goes to everyone at once, without a question.
    let before = done_count(&app);
    app.say(ADMIN, "/broadcast @admin tolong semua");
    let started = app.wait_text(ADMIN, "Broadcast dimulai ke 6").await;
    assert!(started.inline_buttons.is_empty());
    while done_count(&app) < before + 2 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(receivers(&app, &p, "@admin tolong semua").len(), 6);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segmented_giveaway_makes_vouchers_on_send_and_reaches_only_the_segment() {
    let (mut app, p) = setup().await;
    app.say(ADMIN, "/giveaway 1000|2|@produk:1");
    let q = app.wait_text(ADMIN, "Akan dikirim ke 1 pengguna").await;
    assert!(q.text.contains("pembeli produk 1") && q.text.contains("Rp1.000"), "{}", q.text);
    // No voucher before [Kirim].
    assert!(!app.tg.all_messages(ADMIN).iter().any(|m| m.text.contains("voucher Rp1.000 dibuat")));
    let (msg, data) = app.button(ADMIN, SEND);
    send_and_wait(&mut app, msg, &data).await;
    let created = app.wait_text_any(ADMIN, "voucher Rp1.000 dibuat").await;
    let code = created.text.lines().last().unwrap().trim().to_string();
    assert_eq!(code.len(), 8, "{}", created.text);
    // The admin has the codes from the "dibuat" message; the announcement went to p1 alone.
    assert_eq!(receivers(&app, &p, &code), vec![p.p1, ADMIN]);
    assert_eq!(receivers(&app, &p, "GIVEAWAY"), vec![p.p1]);
    let audit = String::from_utf8_lossy(&app.cli(&["audit", "tail", "-n", "50"]).stdout).into_owned();
    assert!(audit.contains("giveaway_created") && audit.contains("@produk:1"), "{audit}");
    app.finish().await;
}

/// `quickcart demo`: the admin gives the customer a balance, aims a broadcast at `@saldo`, sees
/// the audience and presses `[Kirim]`; only the customer with a balance gets it.
#[test]
fn demo_script_sends_a_segmented_broadcast() {
    let script = "/start\n/skip\n/skip\n/skip\n:as 1002\n/start\n/skip\n/skip\n/skip\n:as admin\n\
                  /transfer 1001|5000\n/broadcast @saldo Promo khusus pemilik saldo\n:press Kirim\n";
    let (out, t) = crate::demo::run_demo(script);
    assert!(out.status.success(), "{t}");
    let asked = crate::demo::answer_to(&t, "/broadcast @saldo Promo khusus pemilik saldo").join("\n");
    assert!(asked.contains("Akan dikirim ke 1 pengguna (segmen: punya saldo)"), "{t}");
    assert!(asked.contains("[Kirim] [Batal]"), "{t}");
    let sent = crate::demo::answer_to(&t, ":press Kirim").join("\n");
    assert!(sent.contains("[ke 1001] 📣 Promo khusus pemilik saldo"), "{t}");
    assert!(sent.contains("Terkirim 1/1"), "{t}");
    assert!(!t.contains("[ke 1002] 📣"), "{t}");
}
