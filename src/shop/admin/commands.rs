//! Admin commands (SPEC §5): parsing, the audit of the command, and the dispatch to its handler
//! (one line per command; the handlers live in the room's modules by area). The caller has already
//! passed the one permission check. Every executed command is audited *before* it runs: if
//! audit.db cannot be written, nothing happens.

use serde_json::json;

use crate::shop::{ports::SendError, Actor, Result, Shop};
use crate::{
    domain::{
        admin::{AdminCommand, CampaignKind},
        audit::{ActorType, AuditAction},
        commands::Grammar,
        role::RoleCommand,
    },
    security::audit::{entry, EntryExt},
    store::{self, audit::Entry},
    texts,
};

/// Largest `.txt` stock import accepted.
const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024;

/// What goes into the audit log for a command: its arguments, except secrets and free text
/// (stock items are credentials; messages are personal).
fn audited_command(name: &str, args: &str, cmd: &AdminCommand) -> String {
    let shown = match cmd {
        AdminCommand::AddStock(i) => format!("{}|<{} item>", i.product_id, i.items.len()),
        AdminCommand::Pm { user_id, text } => format!("{user_id}|<{} karakter>", text.chars().count()),
        AdminCommand::Campaign { kind: CampaignKind::Broadcast, args } => {
            format!("<{} karakter>", args.chars().count())
        }
        _ => args.chars().take(200).collect(),
    };
    format!("/{name} {shown}").trim_end().to_string()
}

impl Shop {
    pub(in crate::shop) async fn admin_command(
        &self,
        actor: &Actor,
        name: &str,
        grammar: Grammar,
        args: &str,
        document: Option<(&str, u64)>,
        reply_to: Option<i64>,
    ) -> Result<()> {
        let content = match document {
            None => None,
            Some((_, size)) if size > MAX_DOCUMENT_BYTES => return self.say(actor, texts::DOCUMENT_TOO_BIG).await,
            Some((file_id, _)) => match self.tg.download(file_id, MAX_DOCUMENT_BYTES).await {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => Some(text),
                    Err(_) => return self.say(actor, texts::DOCUMENT_NOT_TEXT).await,
                },
                Err(SendError::Refused(_)) => return self.say(actor, texts::DOCUMENT_TOO_BIG).await,
                Err(e) => return Err(e.into()),
            },
        };
        let cmd = match grammar.parse(args, content.as_deref()) {
            Ok(c) => c,
            Err(usage) => {
                let text = match crate::domain::commands::explain(name, args) {
                    Some(bad) => texts::bad_field(&bad, usage),
                    None => texts::usage(usage),
                };
                return self.say(actor, &text).await;
            }
        };
        let command = audited_command(name, args, &cmd);
        tracing::info!(event = "admin_command", admin = actor.user.id, command = name, "admin command");
        self.db
            .append_audit(
                entry(Some(actor.user.id), ActorType::Admin, AuditAction::AdminCommandExecuted)
                    .entity("command", name)
                    .meta(json!({ "command": command })),
            )
            .await?;
        if let Some(effect) = self.run_admin(actor, cmd, reply_to).await? {
            if let Err(e) = self.db.append_audit(effect).await {
                tracing::error!(error = %e, "audit: effect of an admin command not recorded");
            }
        }
        Ok(())
    }

    /// Runs a parsed command, answers the admin, and returns the audit entry of its effect.
    async fn run_admin(&self, actor: &Actor, cmd: AdminCommand, reply_to: Option<i64>) -> Result<Option<Entry>> {
        match cmd {
            AdminCommand::Add(new) => self.add_product(actor, new).await,
            AdminCommand::AddStock(import) => self.add_stock(actor, import).await,
            AdminCommand::Del(id) => self.deactivate_product(actor, id).await,
            AdminCommand::DelStock { product_id, stock_id } => self.delete_stock(actor, product_id, stock_id).await,
            AdminCommand::DelAllStock(id) => self.delete_all_stock(actor, id).await,
            AdminCommand::EditId { old, new } => self.edit_id(actor, old, new).await,
            AdminCommand::EditCategory { product_id: id, category } => self.edit_category(actor, id, category).await,
            AdminCommand::EditSold { product_id, edit } => self.edit_sold(actor, product_id, edit).await,
            AdminCommand::Disc { product_id, discount } => self.set_discount(actor, product_id, discount).await,
            AdminCommand::DisCat { category, discount } => self.set_category_discount(actor, category, discount).await,
            AdminCommand::PriceRess { product_id, price } => self.set_reseller_price(actor, product_id, price).await,
            AdminCommand::Tier { product_id, change } => self.set_tiers(actor, product_id, change).await,
            AdminCommand::ExportStock(id) => self.export_stock(actor, id).await,
            AdminCommand::Warranty { product_id, days } => self.set_warranty(actor, product_id, days).await,
            AdminCommand::ListStock(id) => self.list_stock(actor, id).await,
            AdminCommand::Info(id) => self.user_info(actor, id).await,
            AdminCommand::Pm { user_id, text } => self.pm(actor, user_id, text).await,
            AdminCommand::Transfer { user_id, amount } => self.adjust_balance(actor, user_id, amount, false).await,
            AdminCommand::EditBalance { user_id, amount } => self.adjust_balance(actor, user_id, amount, true).await,
            AdminCommand::Ban(id) => self.set_banned(actor, id, true).await,
            AdminCommand::Unban(id) => self.set_banned(actor, id, false).await,
            AdminCommand::AddAdmin(id) => self.change_role(actor, id, RoleCommand::AddAdmin).await,
            AdminCommand::RmAdmin(id) => self.change_role(actor, id, RoleCommand::RmAdmin).await,
            AdminCommand::AddReseller(id) => self.change_role(actor, id, RoleCommand::AddReseller).await,
            AdminCommand::RmReseller(id) => self.change_role(actor, id, RoleCommand::RmReseller).await,
            AdminCommand::Whitelist(chat) => self.set_group(actor, chat, true).await,
            AdminCommand::RmGroup(chat) => self.set_group(actor, chat, false).await,
            AdminCommand::Version => self.version(actor).await,
            AdminCommand::Report(days) => self.sales_report(actor, days).await,
            AdminCommand::Campaign { kind, args } => self.campaign(actor, kind, &args, reply_to).await,
            AdminCommand::Stars(cmd) => self.stars_setting(actor, cmd).await,
            AdminCommand::SetStars { product_id, stars } => self.set_product_stars(actor, product_id, stars).await,
            AdminCommand::RefundStars(invoice) => self.refund_stars_order(actor, invoice).await,
        }
    }

    pub(super) async fn missing_product(&self, actor: &Actor, id: i64) -> Result<Option<Entry>> {
        self.say(actor, &texts::product_missing(id)).await?;
        Ok(None)
    }

    /// A refused command: the admin hears why; nothing changed, so no effect is audited.
    pub(super) async fn refuse(&self, actor: &Actor, text: &str) -> Result<Option<Entry>> {
        self.say(actor, text).await?;
        Ok(None)
    }

    /// `/version`: read only, so nothing beyond the command itself is audited.
    async fn version(&self, actor: &Actor) -> Result<Option<Entry>> {
        self.say(actor, &self.version_text().await?).await?;
        Ok(None)
    }

    async fn version_text(&self) -> Result<String> {
        let dir = self.db.data_dir().to_path_buf();
        let size: u64 = [store::SHOP_FILE, "shop.db-wal", store::AUDIT_FILE, "audit.db-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
            .map(|m| m.len())
            .sum();
        let counts = self.db.call(store::stats::version_counts).await?;
        let uptime = texts::uptime(self.started.elapsed().as_secs());
        let build = format!(
            "{} ({})",
            option_env!("QUICKCART_BUILD").unwrap_or("lokal"),
            if cfg!(debug_assertions) { "debug" } else { "release" }
        );
        Ok(texts::version(env!("CARGO_PKG_VERSION"), &build, &uptime, size, counts.0, counts.1, counts.2, counts.3))
    }
}

/// The audit entry of a command's effect: done by this admin.
pub(super) fn admin_entry(actor: &Actor, action: AuditAction) -> Entry {
    entry(Some(actor.user.id), ActorType::Admin, action)
}
