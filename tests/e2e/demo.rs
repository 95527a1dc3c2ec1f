//! `quickcart demo --script FILE` (issue 2 point 9): the whole shop in a terminal, no token, no
//! network; the transcript format and the exit code.

use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_quickcart");

/// Runs a demo script in a clean environment (no DATABASE_KEY, no token: the demo needs none).
pub(crate) fn run_demo(script: &str) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("script.txt");
    std::fs::write(&file, script).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("demo").arg("--script").arg(&file).env_clear().current_dir(dir.path()).stdin(Stdio::null());
    for k in ["PATH", "HOME"] {
        if let Ok(v) = std::env::var(k) {
            cmd.env(k, v);
        }
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{}", String::from_utf8_lossy(&out.stderr));
    (out, text)
}

/// The transcript lines from the one that is exactly `> input` up to the next input line.
pub(crate) fn answer_to<'a>(transcript: &'a str, input: &str) -> Vec<&'a str> {
    let want = format!("> {input}");
    let lines: Vec<&str> = transcript.lines().collect();
    let start =
        lines.iter().position(|l| *l == want).unwrap_or_else(|| panic!("no input line {want:?} in:\n{transcript}"));
    lines[start + 1..].iter().take_while(|l| !l.starts_with("> ")).copied().collect()
}

const SCRIPT: &str = r"# onboarding
/start
Budi Demo
08123
081234567890
/skip
# browsing
:press Kategori
:press Streaming
:press Kembali
:press Kembali
:press Semua Produk
:press Selanjutnya
:press Kembali
STOK
/order
AKUN
# a card by typed id
3
:press +10
:press -
:press -
:as admin
/add 20|Produk Demo Baru|-|12.500|Deskripsi demo
/addstock 20|kode-1\nkode-2\nkode-2
:as customer
20
:quit
this line is never reached
";

#[test]
fn script_transcript_shows_the_conversation() {
    let (out, t) = run_demo(SCRIPT);
    assert!(out.status.success(), "exit {:?}:\n{t}", out.status);

    // Every non-comment input is echoed as `> LINE`; comments are not.
    for input in
        ["/start", "Budi Demo", ":press Kategori", ":as admin", "/addstock 20|kode-1\\nkode-2\\nkode-2", ":quit"]
    {
        assert!(t.lines().any(|l| l == format!("> {input}")), "{input}:\n{t}");
    }
    assert!(!t.contains("# onboarding"), "{t}");
    assert!(!t.contains("never reached"), "{t}");

    // Every line is an input, a bot line, an indented continuation, or an error line.
    for l in t.lines() {
        assert!(
            l.starts_with("> ") || l.starts_with("< ") || l.starts_with("  ") || l.is_empty(),
            "unexpected transcript line {l:?}:\n{t}"
        );
    }

    // Onboarding: sticker, the questions in order, validation, the menu.
    let start = answer_to(&t, "/start");
    assert_eq!(start[0], "< (stiker)", "{t}");
    assert!(start[1].starts_with("< Siapa nama Anda"), "{t}");
    assert!(answer_to(&t, "Budi Demo")[0].starts_with("< Nomor WhatsApp"));
    assert!(answer_to(&t, "08123")[0].contains("tidak valid"), "{t}");
    assert!(answer_to(&t, "081234567890")[0].starts_with("< Alamat email"));
    let menu = answer_to(&t, "/skip");
    let joined = menu.join("\n");
    assert!(joined.contains("< Selamat datang di QuickCart Demo, Budi Demo!"), "{joined}");
    assert!(menu.contains(&"  [LIST PRODUK] [STOK]"), "{joined}");
    assert!(menu.contains(&"  [AKUN] [KIRIM PESAN]"), "{joined}");
    assert!(menu.contains(&"  [Kategori] [Terlaris] [Semua Produk]"), "{joined}");
    // The welcome's further lines are indented continuation lines.
    assert!(menu.iter().any(|l| l.starts_with("  👥 Total pengguna:")), "{joined}");

    // Browsing by buttons.
    let cats = answer_to(&t, ":press Kategori").join("\n");
    assert!(cats.contains("< (diubah) Kategori") && cats.contains("[Streaming"), "{cats}");
    let streaming = answer_to(&t, ":press Streaming").join("\n");
    assert!(streaming.contains("< (diubah) Streaming (halaman 1/1)"), "{streaming}");
    let all = answer_to(&t, ":press Semua Produk").join("\n");
    assert!(all.contains("< (diubah) Semua Produk (halaman 1/2)"), "{all}");
    assert!(all.contains("[Kembali] [Selanjutnya 2/2]"), "{all}");
    let p2 = answer_to(&t, ":press Selanjutnya").join("\n");
    assert!(p2.contains("(halaman 2/2)"), "{p2}");
    assert!(answer_to(&t, "STOK")[0].starts_with("< Stok Produk"), "{t}");
    assert!(answer_to(&t, "/order")[0].starts_with("< Cara memesan"), "{t}");
    let acc = answer_to(&t, "AKUN").join("\n");
    assert!(acc.contains("< Akun Saya") && acc.contains("[Ubah Nama]"), "{acc}");

    // The card: buttons, clamping notice, edits printed again and marked as edits.
    let card = answer_to(&t, "3").join("\n");
    assert!(card.contains("Jumlah: 1"), "{card}");
    assert!(card.contains("  [-] [+] [+2] [+5] [+10]"), "{card}");
    assert!(card.contains("  [Lanjut ke pembayaran]"), "{card}");
    assert!(card.contains("  [Batalkan]"), "{card}");
    let plus = answer_to(&t, ":press +10").join("\n");
    assert!(plus.contains("< (pemberitahuan) Stok tersedia hanya 3."), "{plus}");
    assert!(plus.contains("< (diubah) YouTube Premium 1 Bulan") && plus.contains("Jumlah: 3"), "{plus}");

    // Admin: /add and multi-line /addstock.
    let add = answer_to(&t, "/add 20|Produk Demo Baru|-|12.500|Deskripsi demo").join("\n");
    assert!(add.contains("< ✅ Produk ditambahkan.") && add.contains("  Harga: Rp12.500"), "{add}");
    assert!(add.contains("  Kategori: Tanpa Kategori"), "{add}");
    let stock = answer_to(&t, "/addstock 20|kode-1\\nkode-2\\nkode-2").join("\n");
    assert!(stock.contains("  Ditambahkan: 2"), "{stock}");
    assert!(stock.contains("  Duplikat dilewati: 1"), "{stock}");
    assert!(stock.contains("  Total stok tersedia: 2"), "{stock}");

    // Back as the customer, the new product opens.
    let card = answer_to(&t, "20").join("\n");
    assert!(card.contains("< Produk Demo Baru") && card.contains("Stok: 2"), "{card}");
}

#[test]
fn a_line_that_cannot_be_carried_out_fails_the_script() {
    let (out, t) = run_demo("/start\n:press NoSuchButton\n/stock\n");
    assert!(!out.status.success(), "exit 0 for a missing button:\n{t}");
    assert!(t.contains("> :press NoSuchButton"), "{t}");
    assert!(t.contains("! "), "the failure is explained:\n{t}");
    assert!(!t.contains("> /stock"), "the script stops at the failing line:\n{t}");

    // Unknown directives and `:press` without a label fail too.
    for script in [":fly\n", ":press\n", ":as nobody\n"] {
        let (out, t) = run_demo(script);
        assert!(!out.status.success(), "{script:?} succeeded:\n{t}");
    }
}

#[test]
fn a_missing_script_file_is_one_clear_error() {
    let out = Command::new(BIN)
        .args(["demo", "--script", "/nonexistent/quickcart-demo-script.txt"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("quickcart-demo-script.txt"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

const ONBOARD: &str = "/start\nBudi Demo\n081234567890\n/skip\n";

/// Issue 16: `:press` finds a button on an older message (the admin's `[Setujui]` after a newer
/// message got buttons); a label wins over a button number, numbers still work; edits are
/// marked as edits.
#[test]
fn press_reaches_older_messages_labels_win_and_edits_are_marked() {
    let script = format!(
        "{ONBOARD}AKUN\n3\n:press Ubah Nama\n/batal\n3\n:press +2\n:press 6\n:press QRIS\n:pay\n/refund $INVOICE\n\
         :press Ajukan Refund\nAkun tidak bisa login\n:as admin\n3\n:press Setujui\n"
    );
    let (out, t) = run_demo(&script);
    assert!(out.status.success(), "exit {:?}:\n{t}", out.status);

    // [Ubah Nama] sits on the account card, older than the product card.
    let ask = answer_to(&t, ":press Ubah Nama").join("\n");
    assert!(ask.contains("nama"), "{ask}");

    // "+2" is the button labelled +2 (1 + 2 = 3), not button #2 ("+"), and the card is an edit.
    let plus = answer_to(&t, ":press +2");
    assert!(plus[0].starts_with("< (diubah) YouTube Premium 1 Bulan"), "{}", plus.join("\n"));
    assert!(plus.contains(&"  Jumlah: 3"), "{}", plus.join("\n"));
    // No label has a 6: button #6 of the newest message, [Lanjut ke pembayaran].
    let summary = answer_to(&t, ":press 6").join("\n");
    assert!(summary.contains("< (diubah) Ringkasan Pesanan"), "{summary}");

    // `$INVOICE` is the newest invoice; the admin presses [Setujui] on the refund request although
    // the product card they opened afterwards has buttons too.
    let refund = answer_to(&t, "/refund $INVOICE").join("\n");
    assert!(refund.contains("< Perhitungan Refund") && refund.contains("  Invoice: INV"), "{refund}");
    let approved = answer_to(&t, ":press Setujui").join("\n");
    assert!(!approved.is_empty() && !approved.contains("! "), "{approved}\n{t}");
    assert!(approved.contains("[ke 1001]"), "the customer hears the decision:\n{approved}");
}

/// Issue 16: the QRIS invoice's code is drawn in the terminal; `:expire` lets the newest unpaid
/// invoice expire the way the scheduler does.
#[test]
fn qris_code_is_drawn_and_expire_fast_forwards_the_invoice() {
    let script = format!("{ONBOARD}3\n:press Lanjut ke\n:press QRIS\n:expire\n:expire\n");
    let (out, t) = run_demo(&script);
    let qris = answer_to(&t, ":press QRIS");
    let joined = qris.join("\n");
    assert!(joined.contains("< (gambar) Tagihan QRIS"), "{joined}");
    let drawn: Vec<&&str> = qris.iter().filter(|l| l.starts_with("  ") && l.contains('█')).collect();
    assert!(drawn.len() > 15, "no QR code drawn:\n{joined}");
    assert!(qris.iter().any(|l| l.contains('▄') || l.contains('▀')), "{joined}");

    let expired = answer_to(&t, ":expire").join("\n");
    assert!(expired.contains("kedaluwarsa"), "{expired}");
    // Nothing left to expire: the second one fails the script and says why.
    assert!(!out.status.success(), "{t}");
    assert!(t.contains("! tidak ada tagihan yang menunggu pembayaran"), "{t}");
}

/// Issue 16: `:reply` answers a KIRIM PESAN relay, `:upload` sends a document (an /addstock
/// file), `:help` lists the demo commands.
#[test]
fn reply_upload_and_help() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stok.txt"), "kode-baru-1\nkode-baru-2\n").unwrap();
    let script = format!(
        ":help\n{ONBOARD}KIRIM PESAN\nHalo admin, akun saya tidak bisa login\n:as admin\n:reply Siap kak, kami cek\n\
         :upload {} /addstock 3\n",
        dir.path().join("stok.txt").display()
    );
    let (out, t) = run_demo(&script);
    assert!(out.status.success(), "exit {:?}:\n{t}", out.status);

    let help = answer_to(&t, ":help").join("\n");
    for cmd in [":press LABEL", ":as admin", ":pay", ":expire", ":reply", ":upload", "$INVOICE", ":quit"] {
        assert!(help.contains(cmd), "{cmd} missing from :help:\n{help}");
    }

    let reply = answer_to(&t, ":reply Siap kak, kami cek").join("\n");
    assert!(reply.contains("< ✅ Balasan terkirim."), "{reply}");
    assert!(reply.contains("< [ke 1001] 💬 Balasan admin") && reply.contains("  Siap kak, kami cek"), "{reply}");

    let upload = answer_to(&t, &format!(":upload {} /addstock 3", dir.path().join("stok.txt").display())).join("\n");
    assert!(upload.contains("  Ditambahkan: 2"), "{upload}");
    assert!(upload.contains("  Total stok tersedia: 5"), "{upload}");

    // Without a relayed message there is nothing to reply to.
    let (out, t) = run_demo(":as admin\n:reply halo\n");
    assert!(!out.status.success() && t.contains("! "), "{t}");
}

/// Issue 16: the interactive banner lists the demo commands.
#[test]
fn interactive_banner_lists_the_commands() {
    let mut cmd = Command::new(BIN);
    cmd.arg("demo").env_clear().stdin(Stdio::piped()).stdout(Stdio::piped());
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b":quit\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    for cmd in [":press", ":expire", ":reply", ":upload", "$INVOICE", ":help"] {
        assert!(t.contains(cmd), "{cmd}:\n{t}");
    }
}

/// Issue 16: on a terminal the interactive demo edits lines and keeps a history: ↑ then Enter
/// sends the previous line again. Runs under util-linux `script` for a pseudo-terminal; each input
/// goes only once the demo has answered the one before.
#[test]
fn interactive_mode_recalls_the_previous_line() {
    use std::io::{Read, Write};
    use std::sync::mpsc;
    use std::time::Duration;
    if !std::path::Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: no /usr/bin/script for a pseudo-terminal");
        return;
    }
    let mut child = Command::new("/usr/bin/script")
        .args(["-qec", &format!("{BIN} demo"), "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    let mut wait_for = |needle: &str, count: usize| {
        while seen.matches(needle).count() < count {
            let chunk =
                rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("no {needle:?} in:\n{seen}"));
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        seen.clone()
    };
    let mut stdin = child.stdin.take().unwrap();
    wait_for("> ", 1);
    stdin.write_all(b"/start\n").unwrap();
    wait_for("Siapa nama Anda", 1);
    wait_for("> ", 2);
    // Arrow up, then Enter: /start again, answered again.
    stdin.write_all(b"\x1b[A\n").unwrap();
    let t = wait_for("Siapa nama Anda", 2);
    stdin.write_all(b":quit\n").unwrap();
    drop(stdin);
    let _ = child.wait();
    assert_eq!(t.matches("(stiker)").count(), 2, "{t}");
}

/// Issue 17: the demo offers bank transfers (virtual accounts) next to QRIS, shows Pakasir's fees
/// before the customer commits, and `:pay` settles a VA invoice too.
#[test]
fn bank_transfer_in_the_demo_and_pay_settles_it() {
    let script = format!("{ONBOARD}3\n:press Lanjut ke\n:press Transfer Bank\n:press BRI\n:pay\n");
    let (out, t) = run_demo(&script);
    assert!(out.status.success(), "exit {:?}:\n{t}", out.status);
    let summary = answer_to(&t, ":press Lanjut ke").join("\n");
    assert!(summary.contains("Transfer Bank (VA)") && summary.contains("QRIS"), "{summary}");
    assert!(summary.contains("Biaya QRIS ±Rp") && summary.contains("Biaya Transfer Bank ±Rp3.500"), "{summary}");
    let choice = answer_to(&t, ":press Transfer Bank").join("\n");
    assert!(choice.contains("Pilih bank tujuan") && choice.contains("BRI"), "{choice}");
    let invoice = answer_to(&t, ":press BRI").join("\n");
    assert!(invoice.contains("Tagihan Transfer Bank") && invoice.contains("Bank: BRI"), "{invoice}");
    assert!(invoice.contains("Nomor Virtual Account: 8808"), "{invoice}");
    assert!(!invoice.contains("(gambar)"), "no QR for a bank transfer:\n{invoice}");
    let paid = answer_to(&t, ":pay").join("\n");
    assert!(paid.contains("Pembayaran berhasil"), "{paid}");
}
