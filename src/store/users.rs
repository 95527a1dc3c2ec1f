//! Users: the Telegram id is the primary key.

use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{now, StoreError};
use crate::domain::role::Role;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub username: Option<String>,
    pub email: Option<String>,
    pub whatsapp: Option<String>,
    pub role: Role,
    pub bank_id: String,
    pub balance: i64,
    pub banned: bool,
    pub blocked_until: Option<i64>,
    pub onboarded: bool,
    pub created_at: i64,
    /// Approved refund claims so far (warranty claims lower later refunds).
    pub refund_claims: i64,
    /// The user blocked the bot (a 403); cleared when they write again.
    pub bot_blocked: bool,
}

const COLUMNS: &str = "id, name, username, email, whatsapp, role, bank_id, balance, banned, blocked_until, onboarded,
                       created_at, refund_claims, bot_blocked";

fn from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(5)?;
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        username: r.get(2)?,
        email: r.get(3)?,
        whatsapp: r.get(4)?,
        role: Role::parse(&role).unwrap_or(Role::Customer),
        bank_id: r.get(6)?,
        balance: r.get(7)?,
        banned: r.get(8)?,
        blocked_until: r.get(9)?,
        onboarded: r.get(10)?,
        created_at: r.get(11)?,
        refund_claims: r.get(12)?,
        bot_blocked: r.get(13)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([id], from_row).optional()?)
}

/// Creates the user if new (with a fresh 6-digit bank id); returns the row and whether it is new.
pub fn get_or_create(
    conn: &mut Connection,
    id: i64,
    first_name: &str,
    username: Option<&str>,
) -> Result<(User, bool), StoreError> {
    // Names and usernames are shown to admins: hidden (bidi, zero-width) characters never get in.
    let username = username.and_then(crate::domain::validate::display_username);
    let username = username.as_deref();
    if let Some(user) = get(conn, id)? {
        if user.bot_blocked {
            // Writing to the bot means they unblocked it: broadcasts reach them again, and what
            // was parked for them (deliveries above all) goes out now.
            conn.prepare_cached("UPDATE users SET bot_blocked = 0 WHERE id = ?1")?.execute([id])?;
            super::outbox::unpark_chat(conn, id)?;
        }
        if user.username.as_deref() != username {
            // An erased user stays erased: the Telegram username is not stored again.
            conn.prepare_cached("UPDATE users SET username = ?2 WHERE id = ?1 AND erased = 0")?
                .execute(params![id, username])?;
        }
        return Ok((User { username: username.map(str::to_string), bot_blocked: false, ..user }, false));
    }
    let tx = super::writer::begin(conn)?;
    let t = now();
    let name = crate::domain::validate::name(first_name).unwrap_or_else(|| "Anonymous".into());
    let mut inserted = 0;
    for _ in 0..20 {
        let bank_id = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
        inserted = tx.execute(
            "INSERT INTO users (id, name, username, bank_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT DO NOTHING",
            params![id, name, username, bank_id, t],
        )?;
        if inserted == 1 || tx.query_row("SELECT 1 FROM users WHERE id = ?1", [id], |_| Ok(())).optional()?.is_some() {
            break;
        }
    }
    tx.commit()?;
    let user = get(conn, id)?.ok_or_else(|| StoreError::Migration("user insert lost".into()))?;
    Ok((user, inserted == 1))
}

#[derive(Clone, Copy, Debug)]
pub enum Field {
    Name,
    Email,
    Whatsapp,
}

pub fn set_field(conn: &Connection, id: i64, field: Field, value: Option<&str>) -> Result<(), StoreError> {
    let sql = match field {
        Field::Name => "UPDATE users SET name = coalesce(?2, 'Anonymous'), updated_at = ?3 WHERE id = ?1",
        Field::Email => "UPDATE users SET email = ?2, updated_at = ?3 WHERE id = ?1",
        Field::Whatsapp => "UPDATE users SET whatsapp = ?2, updated_at = ?3 WHERE id = ?1",
    };
    conn.prepare_cached(sql)?.execute(params![id, value, now()])?;
    Ok(())
}

pub fn set_onboarded(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE users SET onboarded = 1, updated_at = ?2 WHERE id = ?1")?
        .execute(params![id, now()])?;
    Ok(())
}

/// Keeps a voucher code from a voucher link for the user's next checkout (replacing any other).
pub fn set_pending_voucher(conn: &Connection, id: i64, code: &str) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE users SET pending_voucher = ?2, pending_voucher_at = ?3 WHERE id = ?1")?
        .execute(params![id, code, now()])?;
    Ok(())
}

/// The voucher code from a link waiting for the user's checkout, if it was set after `since`.
pub fn pending_voucher(conn: &Connection, id: i64, since: i64) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT pending_voucher FROM users WHERE id = ?1 AND pending_voucher_at > ?2")?
        .query_row(params![id, since], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// Forgets the voucher code from a link (applied at a checkout, refused, or expired).
pub fn clear_pending_voucher(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE users SET pending_voucher = NULL, pending_voucher_at = NULL WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Sets a role, creating a placeholder user for ids never seen yet (admin bootstrap).
/// Returns the previous role (`None` if the user was created).
pub fn set_role(conn: &mut Connection, id: i64, role: Role) -> Result<Option<Role>, StoreError> {
    let (user, created) = get_or_create(conn, id, "Anonymous", None)?;
    conn.prepare_cached("UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        id,
        role.as_str(),
        now()
    ])?;
    Ok((!created).then_some(user.role))
}

/// Ids of admins by role (the `ADMIN_IDS` whitelist is added by the caller).
pub fn admin_ids(conn: &Connection) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM users WHERE role = 'admin' ORDER BY id")?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(ids)
}

/// `/ban` and `/unban` (which also lifts an abuse block). Returns the previous flag.
pub fn set_banned(conn: &Connection, id: i64, banned: bool) -> Result<Option<bool>, StoreError> {
    let Some(before) = get(conn, id)? else { return Ok(None) };
    conn.prepare_cached("UPDATE users SET banned = ?2, blocked_until = CASE WHEN ?2 = 0 THEN NULL ELSE blocked_until END, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, banned, now()])?;
    Ok(Some(before.banned))
}

/// Sets the role of an existing user; `None` if the user is unknown.
pub fn change_role(conn: &Connection, id: i64, role: Role) -> Result<Option<Role>, StoreError> {
    let Some(before) = get(conn, id)? else { return Ok(None) };
    conn.prepare_cached("UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        id,
        role.as_str(),
        now()
    ])?;
    Ok(Some(before.role))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info {
    pub user: User,
    pub orders_paid: i64,
    pub spend: i64,
    pub deposits: i64,
    pub pending: i64,
}

/// `/info`: the profile with order counts and spend.
pub fn info(conn: &Connection, id: i64) -> Result<Option<Info>, StoreError> {
    let Some(user) = get(conn, id)? else { return Ok(None) };
    let (orders_paid, spend, deposits, pending) = conn
        .prepare_cached(
            "SELECT count(*) FILTER (WHERE kind = 'order' AND status = 'paid'),
                coalesce(sum(total) FILTER (WHERE kind = 'order' AND status = 'paid'), 0),
                coalesce(sum(total) FILTER (WHERE kind = 'deposit' AND status = 'paid'), 0),
                count(*) FILTER (WHERE status = 'pending')
         FROM orders WHERE user_id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(Some(Info { user, orders_paid, spend, deposits, pending }))
}

/// Marks a user who blocked the bot (sends to them are skipped).
pub fn set_bot_blocked(conn: &Connection, id: i64, blocked: bool) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE users SET bot_blocked = ?2 WHERE id = ?1")?.execute(params![id, blocked])?;
    Ok(())
}

/// Blocks a user until `until` (abuse escalation). False for unknown users and admins.
pub fn block_until(conn: &Connection, id: i64, until: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("UPDATE users SET blocked_until = ?2, updated_at = ?3 WHERE id = ?1 AND role <> 'admin'")?
        .execute(params![id, until, now()])?
        == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A voucher link's code: kept, read back only while fresh, cleared, and gone on erasure.
    #[test]
    fn pending_voucher_is_kept_expires_and_is_erased() {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate_shop(&mut c).unwrap();
        get_or_create(&mut c, 7, "A", None).unwrap();
        assert_eq!(pending_voucher(&c, 7, 0).unwrap(), None);
        set_pending_voucher(&c, 7, "AB12CD34").unwrap();
        assert_eq!(pending_voucher(&c, 7, now() - 60).unwrap().as_deref(), Some("AB12CD34"));
        assert_eq!(pending_voucher(&c, 7, now() + 1).unwrap(), None, "older than `since`: expired");
        clear_pending_voucher(&c, 7).unwrap();
        assert_eq!(pending_voucher(&c, 7, 0).unwrap(), None);
        set_pending_voucher(&c, 7, "AB12CD34").unwrap();
        assert!(super::super::privacy::erase(&mut c, 7).unwrap());
        assert_eq!(pending_voucher(&c, 7, 0).unwrap(), None, "erasure forgets the code");
    }
}
