//! The tamper-evident audit log end to end (issue 4, SPEC §8): a session of admin commands is
//! written to `audit.db`, `quickcart audit tail` shows it (without stock items, messages or
//! personal data), `quickcart audit verify` walks the chain, and a row edited through a keyed
//! connection (triggers dropped) is found.

use crate::common;
use crate::common::{App, ADMIN};
use quickcart::{config::DbKey, store};

fn audit(app: &App, args: &[&str]) -> (bool, String) {
    let mut all = vec!["audit"];
    all.extend_from_slice(args);
    let out = app.cli(&all);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn tail(app: &App, args: &[&str]) -> String {
    let mut all = vec!["tail"];
    all.extend_from_slice(args);
    let (ok, text) = audit(app, &all);
    assert!(ok, "audit tail failed: {text}");
    text
}

fn rows(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// A customer who gives a real-looking name, WhatsApp and email.
async fn onboard_with_details(app: &mut App, user: i64) {
    app.say(user, "/start");
    app.wait_text(user, "Siapa nama Anda").await;
    app.say(user, "Budi Rahasiawan");
    app.wait_text(user, "Nomor WhatsApp").await;
    app.say(user, "081299887766");
    app.wait_text(user, "Alamat email").await;
    app.say(user, "budi.rahasia@contoh.id");
    app.wait_text(user, "Selamat datang").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_session_is_audited_without_items_messages_or_personal_data() {
    let mut app = App::start().await;
    let (c, r) = (8101, 8102);
    onboard_with_details(&mut app, c).await;
    app.onboard(r).await;

    let secret_item = "akun-rahasia@mail.test:Sandi#8101";
    let secret_pm = "Kode OTP Anda 774411, jangan dibagikan";
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.add_stock(1, &[secret_item, "akun-kedua@mail.test:pw2"]).await;
    for (cmd, needle) in [
        (format!("/pm {c}|{secret_pm}"), "terkirim".to_string()),
        (format!("/transfer {c}|25000"), "Saldo".to_string()),
        (format!("/editbalance {c}|10000"), "Saldo".to_string()),
        (format!("/addreseller {r}"), "sekarang".to_string()),
        (format!("/rmress {r}"), "sekarang".to_string()),
        (format!("/addadmin {r}"), "sekarang".to_string()),
        (format!("/addreseller {r}"), "Cabut dulu".to_string()),
        (format!("/rmadmin {r}"), "sekarang".to_string()),
        (format!("/ban {c}"), "diblokir".to_string()),
        (format!("/unban {c}"), "dicabut".to_string()),
        ("/disc 1|10%".to_string(), "Diskon".to_string()),
        ("/delstock 1|2".to_string(), "dihapus".to_string()),
        ("/whitelist -1008101".to_string(), "whitelist".to_string()),
        ("/del 1".to_string(), "dinonaktifkan".to_string()),
    ] {
        app.admin(&cmd, &needle).await;
    }
    // A customer's denied admin command is audited too.
    let since = app.calls_len();
    let u = app.say(c, "/transfer 8101|99999");
    app.assert_silent_after(c, since, u).await;
    app.say(c, "/stock");
    app.wait_text(c, "Stok").await;

    let (ok, report) = audit(&app, &["verify"]);
    assert!(ok, "audit verify: {report}");

    let mine = tail(&app, &["--actor", &ADMIN.to_string(), "-n", "1000"]);
    for action in [
        " admin_command_executed ",
        " product_created ",
        " stock_added ",
        " user_messaged ",
        " balance_changed ",
        " role_changed ",
        " user_banned ",
        " user_unbanned ",
        " product_changed ",
        " stock_deleted ",
        " group_whitelisted ",
        " product_deactivated ",
    ] {
        assert!(mine.contains(action), "{action:?} missing:\n{mine}");
    }
    for r in rows(&mine) {
        assert!(r.contains(&format!(":{ADMIN} ")), "other actor in --actor: {r}");
    }
    // The full command is recorded (with counts instead of items and message text).
    assert!(mine.contains("/addstock 1|<2 item>"), "{mine}");
    assert!(mine.contains(&format!("/transfer {c}|25000")), "{mine}");
    assert!(mine.contains("\"balance\":0") && mine.contains("\"balance\":25000"), "balance before/after: {mine}");
    assert!(mine.contains("admin_transfer") && mine.contains("admin_edit"), "{mine}");
    assert!(mine.contains("\"role\":\"reseller\"") && mine.contains("\"role\":\"admin\""), "{mine}");

    // Filters.
    let executed = tail(&app, &["--action", "admin_command_executed", "-n", "1000"]);
    assert!(rows(&executed).len() >= 16, "{executed}");
    assert!(rows(&executed).iter().all(|r| r.contains(" admin_command_executed ")));
    let denied = tail(&app, &["--action", "rbac_deny", "--actor", &c.to_string()]);
    assert_eq!(rows(&denied).len(), 1, "{denied}");
    assert!(denied.contains("command:transfer"), "{denied}");
    assert!(denied.contains("\"role\":\"customer\""), "{denied}");
    assert_eq!(rows(&tail(&app, &["-n", "3"])).len(), 3);
    // A mistyped action is refused with a hint, not answered with nothing.
    let (ok, typo) = audit(&app, &["tail", "--action", "rbac_denied"]);
    assert!(!ok && typo.contains("'rbac_deny'"), "{typo}");

    // Never the stock items, the message, or personal data: only ids and counts.
    let everything = tail(&app, &["-n", "10000"]);
    for secret in [secret_item, "akun-kedua", secret_pm, "774411", "Budi", "Rahasiawan", "081299887766", "budi.rahasia"]
    {
        assert!(!everything.contains(secret), "{secret:?} in the audit log:\n{everything}");
    }
    // And not in plain text in the data directory (SQLCipher) or the log files.
    let logs = std::path::PathBuf::from(&app.env["LOG_DIR"]);
    for secret in [secret_item, secret_pm] {
        for dir in [app.data_dir(), logs.clone()] {
            let hits = common::files_containing(&dir, secret.as_bytes());
            assert!(hits.is_empty(), "{secret:?} readable in {hits:?}");
        }
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_row_is_found_by_audit_verify_and_the_triggers_refuse_edits() {
    let mut app = App::start().await;
    let c = 8201;
    app.onboard(c).await;
    app.add_product("1", "Netflix Premium", "Streaming", "30000").await;
    app.admin(&format!("/transfer {c}|5000"), "Saldo").await;
    app.admin("/version", "QuickCart").await;
    let status = app.stop().await;
    assert!(status.success(), "{status}");

    let (ok, report) = audit(&app, &["verify"]);
    assert!(ok, "audit verify before tampering: {report}");
    let rows_before = rows(&tail(&app, &["-n", "10000"])).len();
    assert!(rows_before >= 4, "{rows_before}");

    let key = DbKey::parse(&app.env["DATABASE_KEY"]).unwrap();
    let path = app.data_dir().join(store::AUDIT_FILE);
    let conn = store::open_one(&path, &key).unwrap();

    // While the triggers exist, UPDATE and DELETE are refused.
    let original: String = conn.query_row("SELECT action FROM audit_log WHERE id = 2", [], |r| r.get(0)).unwrap();
    let upd = conn.execute("UPDATE audit_log SET action = 'forged' WHERE id = 2", []);
    assert!(upd.is_err(), "UPDATE allowed: {upd:?}");
    let del = conn.execute("DELETE FROM audit_log WHERE id = 3", []);
    assert!(del.is_err(), "DELETE allowed: {del:?}");
    let del_all = conn.execute("DELETE FROM audit_log", []);
    assert!(del_all.is_err(), "DELETE allowed: {del_all:?}");
    let (ok, report) = audit(&app, &["verify"]);
    assert!(ok, "refused edits changed nothing: {report}");

    // Someone with the key drops the trigger and edits row 2: verify names row 2.
    conn.execute_batch("DROP TRIGGER audit_no_update; UPDATE audit_log SET action = 'forged' WHERE id = 2;").unwrap();
    let (ok, report) = audit(&app, &["verify"]);
    assert!(!ok, "a forged row passed verification: {report}");
    assert!(report.contains("baris 2"), "{report}");

    // Put it back exactly: the chain holds again.
    conn.execute("UPDATE audit_log SET action = ?1 WHERE id = 2", [original.as_str()]).unwrap();
    let (ok, report) = audit(&app, &["verify"]);
    assert!(ok, "restored row: {report}");

    // A deleted row is found too (the next row names the gap).
    conn.execute_batch("DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE id = 3;").unwrap();
    let (ok, report) = audit(&app, &["verify"]);
    assert!(!ok, "a deleted row passed verification: {report}");
    assert!(report.contains("baris 4"), "{report}");

    // A rewritten hash is caught by the next row's link.
    conn.execute_batch(
        "UPDATE audit_log SET hash = CASE WHEN substr(hash, 1, 1) = 'a' THEN 'b' ELSE 'a' END \
         || substr(hash, 2) WHERE id = 1;",
    )
    .unwrap();
    let (ok, report) = audit(&app, &["verify"]);
    assert!(!ok, "{report}");
    assert!(report.contains("baris 1"), "{report}");
    drop(conn);
    app.assert_no_panic();
}
