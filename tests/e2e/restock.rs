//! Restock alerts end to end (issue 18 point 2): `[Kabari saya]` on a sold-out card, the waiting
//! count on the admins' `/stock`, one alert per subscriber with the product button when
//! `/addstock` brings stock (through the broadcast engine), subscriptions ended by the alert and
//! by `/hapusdata`.

use crate::common::{flat_labels, App, ADMIN};
use quickcart::testkit::BotMessage;

const NOTIFY: &str = "Kabari saya";
const ALERT: &str = "sudah tersedia lagi";
const OPEN: &str = "Lihat produk";
const SUBSCRIBED: &str = "Kami kabari";
const ALREADY: &str = "sudah ada di daftar tunggu";

/// The customer types the product number and gets its card.
async fn card(app: &mut App, user: i64, id: i64) -> BotMessage {
    app.say(user, &id.to_string());
    app.wait_text(user, &format!("Produk {id}")).await
}

/// The admin's (or a customer's) `/stock` line of product `id`.
async fn stock_line(app: &mut App, user: i64, id: i64) -> String {
    app.say(user, "/stock");
    let m = app.wait_text(user, "Stok Produk").await;
    let prefix = format!("{id}. ");
    m.text
        .lines()
        .find(|l| l.replace("<b>", "").replace("</b>", "").starts_with(&prefix))
        .unwrap_or_else(|| panic!("no line of product {id} in {}", m.text))
        .to_string()
}

fn alerts(app: &App, user: i64) -> Vec<BotMessage> {
    app.tg.all_messages(user).into_iter().filter(|m| m.text.contains(ALERT)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sold_out_card_subscribes_and_stock_alerts_each_subscriber_once() {
    let mut app = App::start().await;
    app.seed(&[1, 2], "Streaming", |id| if id == 1 { 0 } else { 2 }).await;
    let (a, b, c) = (6101, 6102, 6103);
    for u in [a, b, c] {
        app.onboard(u).await;
    }

    // In stock: no [Kabari saya]. Sold out: the button, and the existing ones stay.
    let in_stock = card(&mut app, c, 2).await;
    assert!(!flat_labels(&in_stock).contains(&NOTIFY.to_string()), "{:?}", flat_labels(&in_stock));
    let sold_out = card(&mut app, a, 1).await;
    assert_eq!(flat_labels(&sold_out), vec![NOTIFY.to_string(), "Batalkan".to_string()]);

    // Pressing twice (the card shows [Batal kabari] after the first press; the second is the
    // stale button): one subscription, and the second press says so.
    let (card_id, data) = app.button(a, NOTIFY);
    app.press(a, NOTIFY);
    assert!(app.wait_answer(a).await.contains(SUBSCRIBED));
    app.press_data(a, card_id, &data);
    assert!(app.wait_answer(a).await.contains(ALREADY));
    card(&mut app, b, 1).await;
    app.press(b, NOTIFY);
    assert!(app.wait_answer(b).await.contains(SUBSCRIBED));

    // Admins see how many wait; customers' /stock is unchanged.
    let line = stock_line(&mut app, ADMIN, 1).await;
    assert!(line.contains("2 menunggu"), "{line}");
    assert!(!stock_line(&mut app, ADMIN, 2).await.contains("menunggu"));
    let line = stock_line(&mut app, c, 1).await;
    assert!(!line.contains("menunggu"), "{line}");

    // Stock arrives: each subscriber gets one alert with the product button; c gets none.
    let since_c = app.calls_len();
    let report = app.add_stock(1, &["akun-1", "akun-2"]).await;
    assert!(report.text.contains("dikirim ke 2 pelanggan"), "{}", report.text);
    for u in [a, b] {
        let alert = app.wait_text_any(u, ALERT).await;
        assert!(alert.text.contains("Produk 1"), "{}", alert.text);
        assert_eq!(flat_labels(&alert), vec![OPEN.to_string()]);
    }
    app.assert_silent(c, since_c).await;

    // The button opens the card, now with the checkout.
    app.press(a, OPEN);
    let opened = app.wait_text(a, "Stok: 2").await;
    assert!(opened.text.contains("Produk 1"), "{}", opened.text);
    assert!(flat_labels(&opened).contains(&"Lanjut ke pembayaran".to_string()), "{:?}", flat_labels(&opened));

    // The subscriptions ended: the count is gone and more stock sends nothing.
    let line = stock_line(&mut app, ADMIN, 1).await;
    assert!(!line.contains("menunggu"), "{line}");
    let since = app.calls_len();
    let report = app.add_stock(1, &["akun-3"]).await;
    assert!(!report.text.contains("pelanggan"), "{}", report.text);
    app.assert_silent(a, since).await;
    app.assert_silent(b, since).await;
    for u in [a, b] {
        assert_eq!(alerts(&app, u).len(), 1, "{}", app.transcript(u));
    }
    app.finish().await;
}

/// `/hapusdata` ends the person's subscriptions: no count for admins, no alert later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_deletes_restock_subscriptions() {
    let mut app = App::start().await;
    app.seed(&[1], "Streaming", |_| 0).await;
    let a = 6201;
    app.onboard(a).await;
    card(&mut app, a, 1).await;
    app.press(a, NOTIFY);
    assert!(app.wait_answer(a).await.contains(SUBSCRIBED));
    assert!(stock_line(&mut app, ADMIN, 1).await.contains("1 menunggu"));

    app.say(a, "/hapusdata");
    app.wait_text(a, "tidak dapat dibatalkan").await;
    app.press(a, "Ya, hapus data saya");
    app.wait_text(a, "sudah dihapus").await;

    let line = stock_line(&mut app, ADMIN, 1).await;
    assert!(!line.contains("menunggu"), "{line}");
    let since = app.calls_len();
    app.add_stock(1, &["akun-1"]).await;
    app.assert_silent(a, since).await;
    assert!(alerts(&app, a).is_empty());
    app.finish().await;
}

/// `quickcart demo`: subscribe on the sold-out course (cancel with `[Batal kabari]` and subscribe
/// again), the admin adds stock, the alert shows in
/// the transcript and its button opens the card.
#[test]
fn demo_script_shows_the_restock_alert() {
    // Subscribe, cancel with [Batal kabari] (the card flips each time), subscribe again.
    let script = "/start\n/skip\n/skip\n/skip\n6\n:press Kabari saya\n:press Batal kabari\n:press Kabari saya\n\
                  :as admin\n/stock\n/addstock 6|kursus-1\n:as customer\n:press Lihat produk\n";
    let (out, t) = crate::demo::run_demo(script);
    assert!(out.status.success(), "{t}");
    let presses: Vec<&str> = t.lines().filter(|l| l.contains("(pemberitahuan)")).collect();
    assert!(presses.iter().any(|l| l.contains(SUBSCRIBED)), "{t}");
    assert!(presses.iter().any(|l| l.contains("tidak akan dikabari lagi")), "{t}");
    assert!(crate::demo::answer_to(&t, "/stock").join("\n").contains("1 menunggu"), "{t}");
    let alert = crate::demo::answer_to(&t, "/addstock 6|kursus-1").join("\n");
    assert!(alert.contains(ALERT) && alert.contains(&format!("[{OPEN}]")), "{t}");
    assert!(crate::demo::answer_to(&t, &format!(":press {OPEN}")).join("\n").contains("Stok: 1"), "{t}");
}
