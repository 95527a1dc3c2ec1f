//! Text-entry steps never trap anyone (issue 16, Flows; SPEC §12): `/batal` leaves any step with a
//! short confirmation and the menu, `/skip` is understood wherever a prompt offers it, a menu
//! button or command leaves the step and does what it says.

use crate::common::{flat_labels, has_all, App};

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

/// The WhatsApp step: the hint names both forms, onboarding and the account edit accept the same
/// formats, a product number or menu button leaves the step and does what it says, and the
/// prompt's buttons skip or cancel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_entry_takes_the_same_formats_and_lets_go() {
    let mut app = App::start().await;
    app.add_product("3", "Netflix Premium", "Streaming", "30000").await;
    app.add_stock(3, &["a"]).await;
    let u = 16_004;

    // Onboarding: the hint shows +62, which is accepted; every prompt says how to leave.
    app.say(u, "/start");
    let p = app.wait_text(u, "Siapa nama Anda").await;
    assert!(p.text.contains("/batal"), "{}", p.text);
    assert_eq!(flat_labels(&p), ["Lewati", "Batalkan"]);
    app.say(u, "Budi");
    let p = app.wait_text(u, "Nomor WhatsApp Anda").await;
    assert!(p.text.contains("+62") && p.text.contains("/batal"), "{}", p.text);
    app.say(u, "+62 812-1111-2222");
    app.wait_text(u, "Alamat email Anda").await;
    app.press(u, "Lewati");
    app.wait_text(u, "Selamat datang").await;
    app.say(u, "AKUN");
    let acc = app.wait_text(u, "Akun Saya").await;
    assert!(acc.text.contains("6281211112222"), "{}", acc.text);

    // The account edit: same hint, same formats.
    app.press(u, "Ubah Whatsapp");
    let p = app.wait_text(u, "WhatsApp baru").await;
    assert!(has_all(&p.text, &["081234567890", "+6281234567890", "/skip", "/batal"]), "{}", p.text);
    assert_eq!(flat_labels(&p), ["Lewati", "Batalkan"]);
    app.say(u, "+62 813-3333-4444");
    app.wait_text(u, "Tersimpan").await;
    let acc = app.wait_text(u, "Akun Saya").await;
    assert!(acc.text.contains("6281333334444"), "{}", acc.text);

    // A product number (a reply-keyboard button) leaves the step and opens the product.
    app.press(u, "Ubah Whatsapp");
    app.wait_text(u, "WhatsApp baru").await;
    app.say(u, "3");
    let card = app.wait_text(u, "Netflix Premium").await;
    assert!(!card.text.contains("tidak valid"), "{}", card.text);
    app.say(u, "081299998888");
    app.wait_text(u, "Perintah tidak dikenali").await;

    // A menu button leaves it and does what it says.
    app.say(u, "AKUN");
    app.wait_text(u, "Akun Saya").await;
    app.press(u, "Ubah Whatsapp");
    app.wait_text(u, "WhatsApp baru").await;
    app.say(u, "STOK");
    app.wait_text(u, "Stok Produk").await;

    // [Lewati] keeps the number; [Batalkan] leaves with the menu.
    app.say(u, "AKUN");
    app.wait_text(u, "Akun Saya").await;
    app.press(u, "Ubah Whatsapp");
    app.wait_text(u, "WhatsApp baru").await;
    app.press(u, "Lewati");
    app.wait_text(u, "Tidak diubah").await;
    let acc = app.wait_text(u, "Akun Saya").await;
    assert!(acc.text.contains("6281333334444"), "{}", acc.text);
    app.press(u, "Ubah Whatsapp");
    app.wait_text(u, "WhatsApp baru").await;
    app.press(u, "Batalkan");
    app.wait_text(u, "Dibatalkan").await;
    app.wait_text(u, "Selamat datang").await;

    // A wrong number: said what is accepted and how to leave, with the same buttons.
    app.say(u, "AKUN");
    app.wait_text(u, "Akun Saya").await;
    app.press(u, "Ubah Whatsapp");
    app.wait_text(u, "WhatsApp baru").await;
    app.say(u, "0812");
    let bad = app.wait_text(u, "tidak valid").await;
    assert!(has_all(&bad.text, &["08xxxxxxxxxx", "+628xxxxxxxxxx", "/batal"]), "{}", bad.text);
    assert_eq!(flat_labels(&bad), ["Lewati", "Batalkan"]);
    app.finish().await;
}

/// The deposit and KIRIM PESAN prompts say how to leave and carry a [Batalkan] button.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_prompt_says_how_to_leave() {
    let mut app = App::start().await;
    let u = 16_005;
    app.onboard(u).await;
    app.say(u, "AKUN");
    app.wait_text(u, "Akun Saya").await;
    app.press(u, "Deposit");
    let p = app.wait_text(u, "Ketik jumlah deposit").await;
    assert!(p.text.contains("/batal"), "{}", p.text);
    assert_eq!(flat_labels(&p), ["Batalkan"]);
    app.press(u, "Batalkan");
    app.wait_text(u, "Dibatalkan").await;
    // Left: the amount is no longer taken as a deposit.
    app.say(u, "50000");
    app.wait_text(u, "Produk tidak ditemukan").await;

    app.say(u, "KIRIM PESAN");
    let p = app.wait_text(u, "Tulis pesan untuk admin").await;
    assert!(p.text.contains("/batal"), "{}", p.text);
    assert_eq!(flat_labels(&p), ["Batalkan"]);
    app.finish().await;
}
