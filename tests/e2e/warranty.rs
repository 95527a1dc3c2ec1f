//! Warranty claims end to end (issue 18 point 1): `/garansi` and the card line, `[Klaim Garansi]`
//! under the goods sent again from history, the admins' `[Ganti]` (through the outbox, once even
//! when pressed twice), out of stock → waiting → served first by `/addstock`, `[Refund]` with the
//! refund calculator's amount, `[Tolak]` with a reason, one open claim per item, forged buttons,
//! and an expired warranty.

use crate::common::{cli_ok, flat_labels, App, ADMIN};
use crate::pay_support::*;
use quickcart::testkit::{BotMessage, MsgKind};
use serde_json::Value;

const CLAIM: &str = "Klaim Garansi";
const CLAIM_LIST: &str = "Item yang masih bergaransi";
const ASK_PROBLEM: &str = "Apa masalahnya?";
const HISTORY: &str = "Riwayat Transaksi";
const REPLACED_USER: &str = "Item pengganti garansi";
const WAITING_USER: &str = "stok sedang habis";
const ALREADY_OPEN: &str = "sudah diajukan";
const NOT_CLAIMABLE: &str = "tidak bisa diklaim";
const ALREADY_DECIDED: &str = "sudah diproses";

/// Product `id` (`Produk id`, price) with the items and a warranty of `days`.
async fn product(app: &mut App, id: i64, price: &str, items: &[&str], days: i64) {
    app.add_product(&id.to_string(), &format!("Produk {id}"), "Digital", price).await;
    if !items.is_empty() {
        app.add_stock(id, items).await;
    }
    app.admin(&format!("/garansi {id}|{days}"), "aransi").await;
}

async fn buyer(app: &mut App, user: i64, balance: i64) {
    app.onboard(user).await;
    app.admin(&format!("/transfer {user}|{balance}"), "Saldo").await;
}

/// AKUN → Riwayat Transaksi → `[📦 Kirim ulang INV…]` of the newest order: the claim list.
async fn claim_list(app: &mut App, user: i64) -> BotMessage {
    app.say(user, "AKUN");
    app.wait_text(user, "Akun Saya").await;
    app.press(user, "Riwayat Transaksi");
    app.wait_text(user, HISTORY).await;
    app.press(user, "Kirim ulang");
    app.wait_text(user, CLAIM_LIST).await
}

/// Presses `[Klaim Garansi]` on the list and describes the problem; returns the admin's notice.
async fn claim(app: &mut App, user: i64, problem: &str) -> BotMessage {
    app.press(user, CLAIM);
    app.wait_text(user, ASK_PROBLEM).await;
    app.say(user, problem);
    app.wait_text(user, "diteruskan ke admin").await;
    app.wait_text_any(ADMIN, problem).await
}

fn claim_data(m: &BotMessage, prefix: &str) -> String {
    m.inline_buttons
        .iter()
        .flatten()
        .find_map(|b| b.callback_data.clone().filter(|d| d.starts_with(prefix)))
        .unwrap_or_else(|| panic!("no {prefix} button on {}", m.text))
}

async fn balance(app: &App, user: i64) -> i64 {
    let out = app.cli(&["user", "export", &user.to_string()]);
    assert!(out.status.success(), "user export: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["user"]["balance"].as_i64().unwrap()
}

/// The outbox drained, the stats' invariants hold and `db check` is clean.
async fn settle_and_check(app: &App) {
    let s = wait_stats(app, "the outbox drained", |s| num(s, "/outbox/pending") == 0).await;
    assert_invariants(&s);
    assert_db_check(app).await;
}

fn export(app: &App, user: i64) -> Value {
    let out = app.cli(&["user", "export", &user.to_string()]);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_is_delivered_once_through_the_outbox_and_audited() {
    let mut app = App::start().await;
    product(&mut app, 1, "10000", &["akun-lama", "akun-baru", "akun-cadangan"], 30).await;
    let u = 7101;
    buyer(&mut app, u, 50_000).await;

    // The card shows the warranty.
    let card = open_card(&mut app, u, 1).await;
    assert!(card.text.contains("Garansi: 30 hari"), "{}", card.text);
    let delivery = saldo_buy(&mut app, u, 1).await;
    assert!(delivery.text.contains("akun-lama"), "{}", delivery.text);

    let list = claim_list(&mut app, u).await;
    assert!(list.text.contains("akun-lama"), "{}", list.text);
    assert_eq!(flat_labels(&list), vec![CLAIM.to_string()]);
    let notice = claim(&mut app, u, "Password sudah diganti penjual lain").await;
    assert!(notice.text.contains("Produk 1") && notice.text.contains("akun-lama"), "{}", notice.text);
    assert!(notice.text.contains(&u.to_string()) && notice.text.contains("INV"), "{}", notice.text);
    assert!(notice.text.contains("Klaim pembeli sejauh ini: 0"), "{}", notice.text);
    assert_eq!(flat_labels(&notice), vec!["Ganti", "Refund", "Tolak"]);

    // One open claim per item: the same button again is answered, no second notice; the
    // history's list leaves the item out meanwhile.
    let again = claim_data(&list, "wc:");
    let since = app.calls_len();
    app.press_data(u, list.message_id, &again);
    assert!(app.wait_answer(u).await.contains(ALREADY_OPEN));
    app.assert_silent(ADMIN, since).await;

    // [Ganti] pressed twice (two admins, a double tap): one replacement.
    let replace = claim_data(&notice, "wg:");
    app.press_data(ADMIN, notice.message_id, &replace);
    assert!(app.wait_answer(ADMIN).await.contains("item pengganti dikirim"));
    app.press_data(ADMIN, notice.message_id, &replace);
    assert!(app.wait_answer(ADMIN).await.contains(ALREADY_DECIDED));
    let got = app.wait_text_any(u, REPLACED_USER).await;
    assert!(got.text.contains("akun-baru"), "{}", got.text);
    settle_and_check(&app).await;
    assert_eq!(messages_with(&app, u, &[REPLACED_USER]).len(), 1, "one replacement");
    // The admin's message shows the outcome without buttons.
    let edited = app.tg.all_messages(ADMIN).into_iter().find(|m| m.message_id == notice.message_id).unwrap();
    assert!(edited.text.contains("item pengganti dikirim") && edited.inline_buttons.is_empty(), "{}", edited.text);

    // The replaced item cannot be claimed again; the replacement can.
    app.press_data(u, list.message_id, &again);
    assert!(app.wait_answer(u).await.contains(NOT_CLAIMABLE));
    let list = claim_list(&mut app, u).await;
    assert!(list.text.contains("akun-baru") && !list.text.contains("akun-lama"), "{}", list.text);

    let audit = cli_ok(&app, &["audit", "tail", "--action", "warranty_claim_opened"]).await;
    assert!(audit.contains("warranty_claim_opened"), "{audit}");
    let audit = cli_ok(&app, &["audit", "tail", "--action", "warranty_replaced"]).await;
    assert!(audit.contains("warranty_replaced"), "{audit}");
    let audit = cli_ok(&app, &["audit", "tail", "--action", "product_changed"]).await;
    assert!(audit.contains("warranty_days"), "{audit}");

    // /info and /mydata show the claim; /hapusdata erases what the buyer wrote.
    let info = app.admin(&format!("/info {u}"), "Klaim garansi").await;
    assert!(info.text.contains("Klaim garansi: 1") && info.text.contains("diganti"), "{}", info.text);
    let mine = export(&app, u);
    assert_eq!(mine["warranty_claims"][0]["problem"], "Password sudah diganti penjual lain", "{mine:#}");
    app.say(u, "/hapusdata");
    app.wait_text(u, "Hapus data pribadi").await;
    app.press(u, "Ya, hapus data saya");
    wait_until_async("the erasure", SLOW, || async { export(&app, u)["user"]["erased"] == 1 }).await;
    assert_eq!(export(&app, u)["warranty_claims"][0]["problem"], "", "the problem text is erased");
    assert_db_check(&app).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_stock_claims_wait_and_are_served_first_by_addstock() {
    let mut app = App::start().await;
    product(&mut app, 2, "10000", &["satu"], 7).await;
    let u = 7201;
    buyer(&mut app, u, 50_000).await;
    saldo_buy(&mut app, u, 2).await;
    claim_list(&mut app, u).await;
    let notice = claim(&mut app, u, "Tidak bisa login").await;
    let replace = claim_data(&notice, "wg:");
    app.press_data(ADMIN, notice.message_id, &replace);
    assert!(app.wait_answer(ADMIN).await.contains("Klaim menunggu"));
    app.wait_text_any(u, WAITING_USER).await;
    // The waiting notice still offers the other decisions.
    let edited = app.tg.all_messages(ADMIN).into_iter().find(|m| m.message_id == notice.message_id).unwrap();
    assert_eq!(flat_labels(&edited), vec!["Refund", "Tolak"]);

    // Stock arrives: the claim takes the oldest new item first; customers see the rest.
    let report = app.add_stock(2, &["dua", "tiga"]).await;
    assert!(report.text.contains("Total stok tersedia: 1"), "{}", report.text);
    assert!(report.text.contains("1 item dipakai untuk klaim garansi"), "{}", report.text);
    let got = app.wait_text_any(u, REPLACED_USER).await;
    assert!(got.text.contains("dua"), "{}", got.text);
    let other = 7202;
    app.onboard(other).await;
    let card = open_card(&mut app, other, 2).await;
    assert!(card.text.contains("Stok: 1"), "{}", card.text);
    settle_and_check(&app).await;
    let audit = cli_ok(&app, &["audit", "tail", "--action", "warranty_waiting"]).await;
    assert!(audit.contains("warranty_waiting"), "{audit}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_pays_the_calculator_amount_once_and_reject_sends_the_reason() {
    let mut app = App::start().await;
    product(&mut app, 3, "10000", &["a1", "a2", "a3"], 30).await;
    let u = 7301;
    buyer(&mut app, u, 50_000).await;
    saldo_buy(&mut app, u, 3).await;
    claim_list(&mut app, u).await;
    let notice = claim(&mut app, u, "Akun kena suspend").await;
    assert_eq!(balance(&app, u).await, 40_000);

    // The default formula, day 0, no earlier claim: 10.000 × 30/30 × 0,8.
    let refund = claim_data(&notice, "wf:");
    app.press_data(ADMIN, notice.message_id, &refund);
    assert!(app.wait_answer(ADMIN).await.contains("Rp8.000"));
    app.press_data(ADMIN, notice.message_id, &refund);
    assert!(app.wait_answer(ADMIN).await.contains(ALREADY_DECIDED));
    app.wait_text_any(u, "Rp8.000 dikembalikan ke saldo").await;
    assert_eq!(balance(&app, u).await, 48_000, "credited once");
    let mine = export(&app, u);
    assert_eq!(mine["user"]["refund_claims"], 1, "the claim is counted: {mine:#}");
    settle_and_check(&app).await;

    // A second order; its claim is rejected with a reason the buyer reads.
    saldo_buy(&mut app, u, 3).await;
    claim_list(&mut app, u).await;
    let notice = claim(&mut app, u, "Lambat").await;
    assert!(notice.text.contains("Klaim pembeli sejauh ini: 1"), "{}", notice.text);
    app.press_data(ADMIN, notice.message_id, &claim_data(&notice, "wt:"));
    app.wait_text_any(ADMIN, "alasan penolakan").await;
    app.say(ADMIN, "Kecepatan tidak termasuk garansi");
    app.wait_text(ADMIN, "ditolak").await;
    let told = app.wait_text_any(u, "ditolak").await;
    assert!(told.text.contains("Kecepatan tidak termasuk garansi"), "{}", told.text);
    assert_eq!(balance(&app, u).await, 38_000);
    settle_and_check(&app).await;
    let audit = cli_ok(&app, &["audit", "tail", "--action", "warranty_refunded"]).await;
    assert!(audit.contains("warranty_refunded"), "{audit}");
    let audit = cli_ok(&app, &["audit", "tail", "--action", "warranty_rejected"]).await;
    assert!(audit.contains("warranty_rejected"), "{audit}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_claims_get_a_notice_and_an_expired_warranty_no_button() {
    let mut app = App::start().await;
    product(&mut app, 4, "10000", &["rahasia-a"], 30).await;
    product(&mut app, 5, "10000", &["tanpa-garansi"], 0).await;
    let (a, b) = (7401, 7402);
    buyer(&mut app, a, 50_000).await;
    app.onboard(b).await;
    saldo_buy(&mut app, a, 4).await;
    let list = claim_list(&mut app, a).await;
    let data = claim_data(&list, "wc:");

    // B forges A's button: a short notice, nothing of A's, no prompt, no admin notice.
    let since = app.calls_len();
    app.press_data(b, 1, &data);
    let answer = app.wait_answer(b).await;
    assert!(answer.contains(NOT_CLAIMABLE) && !answer.contains("rahasia"), "{answer}");
    assert!(messages_with(&app, b, &["rahasia"]).is_empty());
    app.assert_silent(ADMIN, since).await;

    // No warranty: the resend has no claim list.
    saldo_buy(&mut app, a, 5).await;
    app.say(a, "AKUN");
    app.wait_text(a, "Akun Saya").await;
    app.press(a, "Riwayat Transaksi");
    let history = app.wait_text(a, HISTORY).await;
    let newest = history.inline_buttons.iter().flatten().find(|l| l.text.contains("Kirim ulang")).unwrap().clone();
    let lists = messages_with(&app, a, &[CLAIM_LIST]).len();
    app.press_data(a, history.message_id, newest.callback_data.as_deref().unwrap());
    app.wait_answer(a).await;
    app.wait_text(a, "tanpa-garansi").await;
    assert_eq!(messages_with(&app, a, &[CLAIM_LIST]).len(), lists, "no claim list without a warranty");

    // The warranty of product 4 ran out (paid 31 days ago): no button, and the old one is refused.
    app.stop().await;
    let (path, key) = (app.data_dir().join("shop.db"), app.env["DATABASE_KEY"].clone());
    tokio::task::spawn_blocking(move || {
        let key = quickcart::config::DbKey::parse(&key).unwrap();
        let conn = quickcart::store::open_one(&path, &key).unwrap();
        conn.execute("UPDATE orders SET paid_at = paid_at - 31 * 86400, created_at = created_at - 31 * 86400", [])
            .unwrap();
    })
    .await
    .unwrap();
    app.restart().await;
    app.press_data(a, list.message_id, &data);
    assert!(app.wait_answer(a).await.contains(NOT_CLAIMABLE));
    let lists = messages_with(&app, a, &[CLAIM_LIST]).len();
    app.say(a, "AKUN");
    app.wait_text(a, "Akun Saya").await;
    app.press(a, "Riwayat Transaksi");
    app.wait_text(a, HISTORY).await;
    for l in flat_labels(&app.tg.last_with_buttons(a).unwrap()).iter().filter(|l| l.contains("Kirim ulang")) {
        app.press(a, l);
        app.wait_answer(a).await;
    }
    app.wait_text(a, "rahasia-a").await;
    assert_eq!(messages_with(&app, a, &[CLAIM_LIST]).len(), lists, "no claim list after the warranty");
    app.finish().await;
}

/// `quickcart demo`: the admin sets a warranty, the customer buys, claims from history, and the
/// admin's `[Ganti]` delivers a replacement.
#[test]
fn demo_script_claims_and_replaces() {
    let script = ":as admin\n/garansi 3|30\n:as customer\n/start\nBudi Demo\n081234567890\n/skip\n3\n\
                  :press Lanjut ke\n:press QRIS\n:pay\nAKUN\n:press Riwayat Transaksi\n:press Kirim ulang\n\
                  :press Klaim Garansi\nAkun tidak bisa login\n:as admin\n:press Ganti\n:as customer\nAKUN\n";
    let (out, t) = crate::demo::run_demo(script);
    assert!(out.status.success(), "{t}");
    assert!(crate::demo::answer_to(&t, "/garansi 3|30").join("\n").contains("30 hari"), "{t}");
    assert!(crate::demo::answer_to(&t, "3").join("\n").contains("Garansi: 30 hari"), "{t}");
    let list = crate::demo::answer_to(&t, ":press Kirim ulang").join("\n");
    assert!(list.contains(CLAIM_LIST) && list.contains(&format!("[{CLAIM}]")), "{t}");
    assert!(crate::demo::answer_to(&t, ":press Klaim Garansi").join("\n").contains(ASK_PROBLEM), "{t}");
    let replaced = crate::demo::answer_to(&t, ":press Ganti").join("\n");
    assert!(replaced.contains("item pengganti dikirim"), "{t}");
    assert!(t.contains(REPLACED_USER), "the customer's replacement shows in the transcript:\n{t}");
}

/// "What is wrong" may be a photo with a caption: the admins get the claim notice and the photo
/// itself, captioned with the claim number; a photo outside the claim step stays unsupported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_with_a_photo_reaches_the_admins_with_the_photo() {
    let mut app = App::start().await;
    product(&mut app, 4, "10000", &["p1", "p2"], 30).await;
    let u = 7501;
    buyer(&mut app, u, 20_000).await;
    saldo_buy(&mut app, u, 4).await;
    claim_list(&mut app, u).await;
    app.press(u, CLAIM);
    app.wait_text(u, ASK_PROBLEM).await;
    let photo_copies = |app: &App| {
        let copies = app.tg.messages(ADMIN).into_iter().filter(|m| m.kind == MsgKind::Copy && m.file_bytes.is_some());
        copies.filter(|m| m.text.contains("Foto klaim garansi")).count()
    };
    assert_eq!(photo_copies(&app), 0);
    app.tg.send_photo(u, Some("Layar login error"));
    app.wait_text(u, "diteruskan ke admin").await;
    let notice = app.wait_text_any(ADMIN, "Layar login error").await;
    assert!(notice.text.contains("p1"), "{}", notice.text);
    wait_until("the claim photo", SLOW, || photo_copies(&app) == 1).await;
    // Outside the claim step a photo is still not something the shop takes.
    app.tg.send_photo(u, Some("lagi"));
    app.wait_text(u, "jenis pesan ini tidak didukung").await;
    assert_eq!(photo_copies(&app), 1);
    // The claim is decided as any other.
    app.press_data(ADMIN, notice.message_id, &claim_data(&notice, "wg:"));
    app.wait_text_any(u, REPLACED_USER).await;
    settle_and_check(&app).await;
    app.finish().await;
}
