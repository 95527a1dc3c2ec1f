//! Admin commands (SPEC §5). The caller has already passed the one permission check. Every
//! executed command is audited *before* it runs: if audit.db cannot be written, nothing happens.

use serde_json::json;

use super::{
    ports::{Out, SendError},
    Actor, Result, Shop,
};
use crate::{
    domain::{
        admin::{self, AdminCommand},
        catalog::NO_CATEGORY,
        role::Role,
    },
    security::audit::{entry, EntryExt},
    store::{self, audit::Entry, products::AddProductError, products::EditIdOutcome, stock::DeleteOutcome},
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
        AdminCommand::Campaign { name, args } if name == "broadcast" => format!("<{} karakter>", args.chars().count()),
        _ => args.chars().take(200).collect(),
    };
    format!("/{name} {shown}").trim_end().to_string()
}

impl Shop {
    pub(crate) async fn admin_command(
        &self,
        actor: &Actor,
        name: &str,
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
        let cmd = match admin::parse(name, args, content.as_deref()) {
            Ok(c) => c,
            Err(usage) => return self.say(actor, &texts::usage(usage)).await,
        };
        let command = audited_command(name, args, &cmd);
        tracing::info!(event = "admin_command", admin = actor.user.id, command = name, "admin command");
        self.db
            .append_audit(
                entry(Some(actor.user.id), "admin", "admin_command_executed")
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
        let admin = actor.user.id;
        let audit = |action: &str| entry(Some(admin), "admin", action);
        match cmd {
            AdminCommand::Add(new) => {
                let p = new.clone();
                let added = self.db.write(move |c| Ok(store::products::add(c, &p))).await?;
                let (text, effect) = match added {
                    Ok(id) => (
                        texts::product_added(id, &new.name, new.price, new.category.as_deref().unwrap_or(NO_CATEGORY)),
                        Some(
                            audit("product_created").entity("product", id).after(json!({"id": id, "price": new.price})),
                        ),
                    ),
                    Err(AddProductError::IdTaken(id)) => (texts::product_id_taken(id), None),
                    Err(AddProductError::NoFreeId) => (texts::NO_FREE_PRODUCT_ID.to_string(), None),
                    Err(AddProductError::Store(e)) => return Err(e.into()),
                };
                self.say(actor, &text).await?;
                Ok(effect)
            }
            AdminCommand::AddStock(import) => {
                let id = import.product_id;
                let report = self
                    .db
                    .write(move |c| match store::products::get(c, id)? {
                        None => Ok(None),
                        Some(_) => Ok(Some(store::stock::add(c, id, &import.items)?)),
                    })
                    .await?;
                match report {
                    None => {
                        self.say(actor, &texts::product_missing(id)).await?;
                        Ok(None)
                    }
                    Some(r) => {
                        self.say(actor, &texts::stock_added(id, r.added, r.duplicates, r.total)).await?;
                        Ok(Some(
                            audit("stock_added")
                                .entity("product", id)
                                .after(json!({"added": r.added, "duplicates": r.duplicates, "available": r.total})),
                        ))
                    }
                }
            }
            AdminCommand::Del(id) => {
                let before = self.db.write(move |c| store::products::deactivate(c, id)).await?;
                let Some(before) = before else { return self.missing_product(actor, id).await };
                self.say(actor, &texts::product_deactivated(id)).await?;
                Ok(Some(
                    audit("product_deactivated")
                        .entity("product", id)
                        .before(json!({"active": before}))
                        .after(json!({"active": false})),
                ))
            }
            AdminCommand::DelStock { product_id, stock_id } => {
                let outcome = self.db.write(move |c| store::stock::delete_one(c, product_id, stock_id)).await?;
                let text = match outcome {
                    DeleteOutcome::Deleted => texts::stock_deleted(product_id, stock_id),
                    DeleteOutcome::NotFound => texts::stock_not_found(product_id, stock_id),
                    DeleteOutcome::NotAvailable => texts::stock_not_deletable(stock_id),
                };
                self.say(actor, &text).await?;
                Ok((outcome == DeleteOutcome::Deleted).then(|| {
                    audit("stock_deleted").entity("stock_item", stock_id).meta(json!({"product": product_id}))
                }))
            }
            AdminCommand::DelAllStock(id) => {
                let n = self
                    .db
                    .write(move |c| match store::products::get(c, id)? {
                        None => Ok(None),
                        Some(_) => Ok(Some(store::stock::delete_available(c, id)?)),
                    })
                    .await?;
                let Some(n) = n else { return self.missing_product(actor, id).await };
                self.say(actor, &texts::all_stock_deleted(id, n)).await?;
                Ok(Some(audit("stock_deleted").entity("product", id).meta(json!({"deleted": n}))))
            }
            AdminCommand::EditId { old, new } => {
                let outcome = self.db.write(move |c| store::products::edit_id(c, old, new)).await?;
                match outcome {
                    EditIdOutcome::Missing => self.missing_product(actor, old).await,
                    EditIdOutcome::Taken => {
                        self.say(actor, &texts::product_id_taken(new)).await?;
                        Ok(None)
                    }
                    EditIdOutcome::Done => {
                        self.say(actor, &texts::id_changed(old, new)).await?;
                        Ok(Some(
                            audit("product_changed")
                                .entity("product", new)
                                .before(json!({"id": old}))
                                .after(json!({"id": new})),
                        ))
                    }
                }
            }
            AdminCommand::EditCategory { product_id, category } => {
                let c2 = category.clone();
                let before =
                    self.db.write(move |c| store::products::set_category(c, product_id, c2.as_deref())).await?;
                let Some(before) = before else { return self.missing_product(actor, product_id).await };
                let shown = category.as_deref().unwrap_or(NO_CATEGORY);
                self.say(actor, &texts::category_changed(product_id, shown)).await?;
                Ok(Some(
                    audit("product_changed")
                        .entity("product", product_id)
                        .before(json!({"category": before}))
                        .after(json!({"category": category})),
                ))
            }
            AdminCommand::EditSold { product_id, edit } => {
                let r = self.db.write(move |c| store::products::edit_sold(c, product_id, &edit)).await?;
                let Some((before, after)) = r else { return self.missing_product(actor, product_id).await };
                self.say(actor, &texts::sold_changed(product_id, before, after)).await?;
                Ok(Some(
                    audit("product_changed")
                        .entity("product", product_id)
                        .before(json!({"sold": before}))
                        .after(json!({"sold": after})),
                ))
            }
            AdminCommand::Disc { product_id, discount } => {
                let r = self.db.write(move |c| store::products::set_discount(c, product_id, discount)).await?;
                let Some(before) = r else { return self.missing_product(actor, product_id).await };
                self.say(actor, &texts::discount_changed(product_id, discount)).await?;
                Ok(Some(
                    audit("product_changed")
                        .entity("product", product_id)
                        .before(json!({"discount": texts::discount_text(before)}))
                        .after(json!({"discount": texts::discount_text(discount)})),
                ))
            }
            AdminCommand::DisCat { category, discount } => {
                let name = category.clone();
                let found = self.db.write(move |c| store::products::set_category_discount(c, &name, discount)).await?;
                if !found {
                    self.say(actor, &texts::category_missing(&category)).await?;
                    return Ok(None);
                }
                self.say(actor, &texts::category_discount_changed(&category, discount)).await?;
                Ok(Some(
                    audit("category_changed")
                        .entity("category", &category)
                        .after(json!({"discount": texts::discount_text(discount)})),
                ))
            }
            AdminCommand::PriceRess { product_id, price } => {
                let r = self.db.write(move |c| store::products::set_reseller_price(c, product_id, price)).await?;
                let Some(before) = r else { return self.missing_product(actor, product_id).await };
                self.say(actor, &texts::reseller_price_changed(product_id, price)).await?;
                Ok(Some(
                    audit("product_changed")
                        .entity("product", product_id)
                        .before(json!({"reseller_price": before}))
                        .after(json!({"reseller_price": price})),
                ))
            }
            AdminCommand::ExportStock(id) => {
                let items = self
                    .db
                    .call(move |c| match store::products::get(c, id)? {
                        None => Ok(None),
                        Some(_) => Ok(Some(store::stock::export_available(c, id)?)),
                    })
                    .await?;
                let Some(items) = items else { return self.missing_product(actor, id).await };
                if items.is_empty() {
                    self.say(actor, &texts::export_empty(id)).await?;
                    return Ok(None);
                }
                let mut body = String::new();
                for (_, content) in &items {
                    body.push_str(content);
                    body.push('\n');
                }
                let caption = Out::text(texts::export_caption(id, items.len()));
                self.tg.send_document(actor.chat, &format!("stok-produk-{id}.txt"), body.into_bytes(), caption).await?;
                Ok(Some(audit("stock_exported").entity("product", id).meta(json!({"items": items.len()}))))
            }
            AdminCommand::Info(id) => {
                let info = self.db.call(move |c| store::users::info(c, id)).await?;
                let Some(info) = info else { return self.missing_user(actor, id).await };
                self.say(actor, &texts::user_info(&info, self.config.is_env_admin(id))).await?;
                Ok(None)
            }
            AdminCommand::Pm { user_id, text } => {
                let known = self.db.lookup(move |c| store::users::get(c, user_id)).await?.is_some();
                if !known {
                    return self.missing_user(actor, user_id).await;
                }
                let reply = match self.tg.send(user_id, Out::text(texts::pm_to_user(&text))).await {
                    Ok(_) => texts::pm_sent(user_id),
                    Err(SendError::Blocked | SendError::Refused(_)) => texts::pm_failed(user_id),
                    Err(e) => return Err(e.into()),
                };
                self.say(actor, &reply).await?;
                Ok(Some(audit("user_messaged").entity("user", user_id)))
            }
            AdminCommand::Transfer { user_id, amount } | AdminCommand::EditBalance { user_id, amount } => {
                let set = matches!(cmd, AdminCommand::EditBalance { .. });
                let r = self.db.write(move |c| store::ledger::admin_adjust(c, user_id, amount, set, admin)).await?;
                let Some((before, after)) = r else { return self.missing_user(actor, user_id).await };
                if before == after {
                    self.say(actor, texts::BALANCE_UNCHANGED).await?;
                    return Ok(None);
                }
                self.say(actor, &texts::balance_changed(user_id, before, after)).await?;
                if after > before {
                    self.notify_user(user_id, &texts::balance_credited_user(after - before, after)).await;
                }
                Ok(Some(
                    audit("balance_changed")
                        .entity("user", user_id)
                        .before(json!({"balance": before}))
                        .after(json!({"balance": after}))
                        .meta(json!({"kind": if set { "admin_edit" } else { "admin_transfer" }})),
                ))
            }
            AdminCommand::Ban(id) | AdminCommand::Unban(id) => {
                let ban = matches!(cmd, AdminCommand::Ban(_));
                if ban {
                    let target = self.db.lookup(move |c| store::users::get(c, id)).await?;
                    if self.config.is_env_admin(id) || target.as_ref().is_some_and(|u| u.role == Role::Admin) {
                        self.say(actor, texts::CANNOT_BAN_ADMIN).await?;
                        return Ok(None);
                    }
                }
                let was_blocked = self
                    .db
                    .call(move |c| {
                        Ok(store::users::get(c, id)?.and_then(|u| u.blocked_until).is_some_and(|t| t > store::now()))
                    })
                    .await?;
                let r = self.db.write(move |c| store::users::set_banned(c, id, ban)).await?;
                let Some(before) = r else { return self.missing_user(actor, id).await };
                self.banned_notified.invalidate(&id);
                self.say(actor, &if ban { texts::banned_ok(id) } else { texts::unbanned_ok(id) }).await?;
                if !ban && (before || was_blocked) {
                    self.notify_user(id, texts::UNBANNED_USER).await;
                }
                Ok(Some(
                    audit(if ban { "user_banned" } else { "user_unbanned" })
                        .entity("user", id)
                        .before(json!({"banned": before}))
                        .after(json!({"banned": ban})),
                ))
            }
            AdminCommand::AddAdmin(id) => self.change_role(actor, id, Role::Admin).await,
            AdminCommand::RmAdmin(id) => {
                if self.config.is_env_admin(id) {
                    self.say(actor, texts::CANNOT_REMOVE_ENV_ADMIN).await?;
                    return Ok(None);
                }
                self.change_role(actor, id, Role::Customer).await
            }
            AdminCommand::AddReseller(id) => self.change_role(actor, id, Role::Reseller).await,
            AdminCommand::RmReseller(id) => self.change_role(actor, id, Role::Customer).await,
            AdminCommand::Whitelist(chat) | AdminCommand::RmGroup(chat) => {
                let add = matches!(cmd, AdminCommand::Whitelist(_));
                let changed = self
                    .db
                    .write(
                        move |c| if add { store::groups::add(c, chat, admin) } else { store::groups::remove(c, chat) },
                    )
                    .await?;
                let text = match (add, changed) {
                    (true, true) => texts::group_added(chat),
                    (true, false) => texts::group_exists(chat),
                    (false, true) => texts::group_removed(chat),
                    (false, false) => texts::group_missing(chat),
                };
                self.say(actor, &text).await?;
                Ok(changed
                    .then(|| audit(if add { "group_whitelisted" } else { "group_removed" }).entity("group", chat)))
            }
            AdminCommand::Version => {
                self.say(actor, &self.version_text().await?).await?;
                Ok(None)
            }
            AdminCommand::Campaign { name, args } => self.campaign(actor, &name, &args, reply_to).await,
        }
    }

    async fn missing_product(&self, actor: &Actor, id: i64) -> Result<Option<Entry>> {
        self.say(actor, &texts::product_missing(id)).await?;
        Ok(None)
    }

    async fn missing_user(&self, actor: &Actor, id: i64) -> Result<Option<Entry>> {
        self.say(actor, &texts::user_missing(id)).await?;
        Ok(None)
    }

    /// Tells a user something; a user who blocked the bot simply does not hear it.
    async fn notify_user(&self, user: i64, text: &str) {
        if let Err(e) = self.tg.send(user, Out::text(text)).await {
            tracing::info!(user, error = %e, "user notice not delivered");
        }
    }

    /// Role changes take effect at once: prices and permissions are resolved per update.
    async fn change_role(&self, actor: &Actor, id: i64, role: Role) -> Result<Option<Entry>> {
        let target = self.db.lookup(move |c| store::users::get(c, id)).await?;
        let Some(target) = target else { return self.missing_user(actor, id).await };
        // Resellers are promoted from customers; an admin must be demoted with /rmadmin first.
        if role == Role::Reseller && target.role == Role::Admin {
            self.say(actor, texts::CANNOT_DEMOTE_ADMIN).await?;
            return Ok(None);
        }
        if target.role == role {
            self.say(actor, &texts::role_unchanged(id, role.as_str())).await?;
            return Ok(None);
        }
        self.db.write(move |c| store::users::change_role(c, id, role)).await?;
        self.say(actor, &texts::role_set(id, role.as_str())).await?;
        match (target.role, role) {
            (_, Role::Admin) => {
                self.publish_admin_commands(id).await?;
                self.notify_user(id, texts::YOU_ARE_ADMIN).await;
            }
            (Role::Admin, _) => self.publish_public_commands(id).await?,
            (_, Role::Reseller) => self.notify_user(id, texts::YOU_ARE_RESELLER).await,
            (Role::Reseller, _) => self.notify_user(id, texts::YOU_ARE_NOT_RESELLER).await,
            _ => {}
        }
        Ok(Some(
            entry(Some(actor.user.id), "admin", "role_changed")
                .entity("user", id)
                .before(json!({"role": target.role.as_str()}))
                .after(json!({"role": role.as_str()})),
        ))
    }

    async fn version_text(&self) -> Result<String> {
        let dir = self.db.data_dir().to_path_buf();
        let size: u64 = [store::SHOP_FILE, "shop.db-wal", store::AUDIT_FILE, "audit.db-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
            .map(|m| m.len())
            .sum();
        let counts = self
            .db
            .call(|c| {
                Ok(c.query_row(
                    "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM products WHERE active = 1),
                            (SELECT count(*) FROM orders WHERE status = 'paid'),
                            (SELECT count(*) FROM stock_items WHERE status = 'available')",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?)
            })
            .await?;
        let up = self.started.elapsed().as_secs();
        let uptime = format!("{}h {}m {}s", up / 3600, up % 3600 / 60, up % 60);
        let build = format!(
            "{} ({})",
            option_env!("QUICKCART_BUILD").unwrap_or("lokal"),
            if cfg!(debug_assertions) { "debug" } else { "release" }
        );
        Ok(texts::version(env!("CARGO_PKG_VERSION"), &build, &uptime, size, counts.0, counts.1, counts.2, counts.3))
    }
}
