//! Text-entry steps never trap anyone (issue 16, Flows; SPEC §12): `/batal` leaves any step with a
//! short confirmation and the menu, `/skip` is understood wherever a prompt offers it, a menu
//! button or command leaves the step and does what it says.

use crate::common::{flat_labels, App};

const LEFT: &str = "Dibatalkan. Pilih menu di bawah";
const UNKNOWN: &str = "Perintah tidak dikenali";

/// `/batal` in every text-entry step: the confirmation comes with the menu (reply keyboard and
/// the welcome screen), and the next text is no longer taken as the step's input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batal_leaves_every_text_entry_step() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_stock(1, &["a"]).await;
    let u = 16_001;

    // Onboarding, first step.
    app.say(u, "/start");
    app.wait_text(u, "Siapa nama Anda").await;
    app.say(u, "/batal");
    let m = app.wait_text(u, LEFT).await;
    assert!(m.reply_keyboard.as_ref().is_some_and(|k| k.iter().flatten().any(|l| l == "AKUN")), "{m:?}");
    app.wait_text(u, "Selamat datang").await;
    app.say(u, "Budi");
    app.wait_text(u, UNKNOWN).await;
    app.onboard(u).await;

    // The three account edits, the deposit amount and KIRIM PESAN.
    for (open, prompt) in [
        ("Ubah Nama", "nama baru"),
        ("Ubah Email", "email baru"),
        ("Ubah Whatsapp", "WhatsApp baru"),
        ("Deposit", "jumlah deposit"),
    ] {
        app.say(u, "AKUN");
        app.wait_text(u, "Akun Saya").await;
        app.press(u, open);
        app.wait_text(u, prompt).await;
        app.say(u, "/batal");
        app.wait_text(u, LEFT).await;
        // Left: a product number opens the product instead of being taken as the input.
        app.say(u, "1");
        app.wait_text(u, "Netflix Premium").await;
    }
    app.say(u, "KIRIM PESAN");
    app.wait_text(u, "Tulis pesan untuk admin").await;
    app.say(u, "/batal");
    app.wait_text(u, LEFT).await;

    // The voucher code.
    app.say(u, "1");
    app.wait_text(u, "Netflix Premium").await;
    app.press(u, "Lanjut ke pembayaran");
    app.wait_text(u, "Ringkasan").await;
    app.press(u, "Gunakan Voucher");
    app.wait_text(u, "kode voucher").await;
    app.say(u, "/batal");
    app.wait_text(u, LEFT).await;

    // Nothing open: said so, with the menu.
    app.say(u, "/batal");
    app.wait_text(u, "Tidak ada langkah yang sedang berjalan").await;
    app.finish().await;
}

/// `/skip` where a prompt offers it: an account edit keeps the old value, the voucher step goes on
/// without a voucher; outside any step it is not "Perintah tidak dikenali".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_is_understood_in_every_step() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_stock(1, &["a"]).await;
    let u = 16_002;
    app.onboard(u).await;

    app.say(u, "AKUN");
    app.wait_text(u, "Akun Saya").await;
    app.press(u, "Ubah Whatsapp");
    app.wait_text(u, "WhatsApp baru").await;
    app.say(u, "/skip");
    app.wait_text(u, "Tidak diubah").await;
    let acc = app.wait_text(u, "Akun Saya").await;
    assert!(!acc.text.contains(UNKNOWN), "{}", acc.text);

    app.say(u, "1");
    app.wait_text(u, "Netflix Premium").await;
    app.press(u, "Lanjut ke pembayaran");
    app.wait_text(u, "Ringkasan").await;
    app.press(u, "Gunakan Voucher");
    app.wait_text(u, "kode voucher").await;
    app.say(u, "/skip");
    let s = app.wait_text(u, "Ringkasan").await;
    let buttons = flat_labels(&s);
    assert!(buttons.contains(&"QRIS".to_string()) && !buttons.contains(&"Gunakan Voucher".to_string()), "{buttons:?}");

    app.say(u, "/batal");
    app.wait_text(u, LEFT).await;
    app.say(u, "/skip");
    let m = app.wait_text(u, "Tidak ada langkah yang bisa dilewati").await;
    assert!(!m.text.contains(UNKNOWN), "{}", m.text);
    app.finish().await;
}

/// After a refused voucher code the customer can try again or go on without a voucher, by button.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_voucher_code_offers_to_go_on_without_one() {
    let mut app = App::start().await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_stock(1, &["a"]).await;
    let u = 16_003;
    app.onboard(u).await;
    app.say(u, "1");
    app.wait_text(u, "Netflix Premium").await;
    app.press(u, "Lanjut ke pembayaran");
    app.wait_text(u, "Ringkasan").await;
    app.press(u, "Gunakan Voucher");
    let prompt = app.wait_text(u, "kode voucher").await;
    assert!(flat_labels(&prompt).contains(&"Lanjut tanpa voucher".to_string()), "{:?}", flat_labels(&prompt));

    app.say(u, "SALAH123");
    let bad = app.wait_text(u, "tidak valid").await;
    assert_eq!(flat_labels(&bad), ["Coba Lagi", "Lanjut tanpa voucher", "Batalkan"]);
    app.press(u, "Coba Lagi");
    app.wait_text(u, "kode voucher").await;
    app.say(u, "SALAH456");
    app.wait_text(u, "tidak valid").await;
    app.press(u, "Lanjut tanpa voucher");
    let s = app.wait_text(u, "Ringkasan").await;
    assert!(s.text.contains("Total: Rp30.000"), "{}", s.text);
    let buttons = flat_labels(&s);
    assert!(buttons.contains(&"QRIS".to_string()) && !buttons.contains(&"Gunakan Voucher".to_string()), "{buttons:?}");
    // The step is over: text is no longer taken as a code.
    app.say(u, "SALAH789");
    app.wait_text(u, "Perintah tidak dikenali").await;

    // [Batalkan] under the prompt leaves it, with the menu.
    app.say(u, "1");
    app.wait_text(u, "Netflix Premium").await;
    app.press(u, "Lanjut ke pembayaran");
    app.wait_text(u, "Ringkasan").await;
    app.press(u, "Gunakan Voucher");
    app.wait_text(u, "kode voucher").await;
    app.press(u, "Batalkan");
    app.wait_text(u, "Dibatalkan").await;
    app.wait_text(u, "Selamat datang").await;
    app.finish().await;
}
