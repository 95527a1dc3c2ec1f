//! Admin commands (SPEC §5). The caller has already passed the one permission check. Every
//! executed command is audited *before* it runs: if audit.db cannot be written, nothing happens.

use serde_json::json;

use crate::shop::{
    ports::{Out, SendError},
    Actor, Result, Shop,
};
use crate::{
    domain::{
        admin::{AdminCommand, CampaignKind, NewProduct},
        audit::{ActorType, AuditAction},
        catalog::{Discount, Product, NO_CATEGORY},
        commands::Grammar,
        pricing::{self, TooCheap},
        role::{self, Role, RoleCommand},
    },
    security::audit::{entry, EntryExt},
    store::{self, audit::Entry, products::AddProductError, products::EditIdOutcome, stock::DeleteOutcome},
    texts,
};

/// `/discat`: the discount must leave every active product of the category paid (customer and
/// reseller prices, whether or not the product has a discount of its own today).
fn check_category_discount(products: &[Product], discount: Discount) -> std::result::Result<(), TooCheap> {
    products.iter().try_for_each(|p| pricing::check_discount(p, discount))
}

/// Largest `.txt` stock import accepted.
const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024;

/// The outcome of a command checked and written in one writer job, so no other write can slip
/// between the check and the change (the price rule of SPEC §5, issue 12 defect 8).
enum Checked<T> {
    Done(T),
    /// No such product / category.
    Missing,
    /// Refused, with the answer for the admin; nothing was written.
    Refused(String),
}

/// `/add` and `/editcategory`: the category's discount (if any) must leave `product` paid.
fn check_category_for(
    c: &rusqlite::Connection,
    product: &Product,
    category: Option<&str>,
) -> std::result::Result<Option<String>, store::StoreError> {
    let Some(name) = category else { return Ok(None) };
    let Some(Some(discount)) = store::products::category_discount(c, name)? else { return Ok(None) };
    Ok(pricing::check_discount(product, discount).err().map(|e| texts::category_discount_makes_free(name, &e)))
}

/// A product as `/add` would create it (id 0 when the id is picked later).
fn product_of(new: &NewProduct) -> Product {
    Product {
        id: new.id.unwrap_or(0),
        name: new.name.clone(),
        description: new.description.clone(),
        category: new.category.clone(),
        price: new.price,
        reseller_price: None,
        discount: None,
        category_discount: None,
        sold_count: 0,
        active: true,
        stock: 0,
    }
}

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
            Err(usage) => return self.say(actor, &texts::usage(usage)).await,
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
        let admin = actor.user.id;
        let audit = |action: AuditAction| entry(Some(admin), ActorType::Admin, action);
        match cmd {
            AdminCommand::Add(new) => {
                let p = new.clone();
                let added = self
                    .db
                    .write(move |c| {
                        if let Some(refusal) = check_category_for(c, &product_of(&p), p.category.as_deref())? {
                            return Ok(Checked::Refused(refusal));
                        }
                        Ok(Checked::Done(store::products::add(c, &p)))
                    })
                    .await?;
                let added = match added {
                    Checked::Done(added) => added,
                    Checked::Refused(text) => return self.refuse(actor, &text).await,
                    Checked::Missing => return Ok(None),
                };
                let (text, effect) = match added {
                    Ok(id) => (
                        texts::product_added(id, &new.name, new.price, new.category.as_deref().unwrap_or(NO_CATEGORY)),
                        Some(
                            audit(AuditAction::ProductCreated)
                                .entity("product", id)
                                .after(json!({"id": id, "price": new.price})),
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
                            audit(AuditAction::StockAdded)
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
                    audit(AuditAction::ProductDeactivated)
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
                    audit(AuditAction::StockDeleted).entity("stock_item", stock_id).meta(json!({"product": product_id}))
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
                Ok(Some(audit(AuditAction::StockDeleted).entity("product", id).meta(json!({"deleted": n}))))
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
                            audit(AuditAction::ProductChanged)
                                .entity("product", new)
                                .before(json!({"id": old}))
                                .after(json!({"id": new})),
                        ))
                    }
                }
            }
            AdminCommand::EditCategory { product_id, category } => {
                let c2 = category.clone();
                let outcome = self
                    .db
                    .write(move |c| {
                        let Some(p) = store::products::get(c, product_id)? else { return Ok(Checked::Missing) };
                        if let Some(refusal) = check_category_for(c, &p, c2.as_deref())? {
                            return Ok(Checked::Refused(refusal));
                        }
                        Ok(store::products::set_category(c, product_id, c2.as_deref())?
                            .map_or(Checked::Missing, Checked::Done))
                    })
                    .await?;
                let before = match outcome {
                    Checked::Done(before) => before,
                    Checked::Missing => return self.missing_product(actor, product_id).await,
                    Checked::Refused(text) => return self.refuse(actor, &text).await,
                };
                let shown = category.as_deref().unwrap_or(NO_CATEGORY);
                self.say(actor, &texts::category_changed(product_id, shown)).await?;
                Ok(Some(
                    audit(AuditAction::ProductChanged)
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
                    audit(AuditAction::ProductChanged)
                        .entity("product", product_id)
                        .before(json!({"sold": before}))
                        .after(json!({"sold": after})),
                ))
            }
            AdminCommand::Disc { product_id, discount } => {
                let outcome = self
                    .db
                    .write(move |c| {
                        let Some(p) = store::products::get(c, product_id)? else { return Ok(Checked::Missing) };
                        if let Some(Err(e)) = discount.map(|d| pricing::check_discount(&p, d)) {
                            return Ok(Checked::Refused(texts::discount_too_big("diskon", &e)));
                        }
                        Ok(store::products::set_discount(c, product_id, discount)?
                            .map_or(Checked::Missing, Checked::Done))
                    })
                    .await?;
                let before = match outcome {
                    Checked::Done(before) => before,
                    Checked::Missing => return self.missing_product(actor, product_id).await,
                    Checked::Refused(text) => return self.refuse(actor, &text).await,
                };
                self.say(actor, &texts::discount_changed(product_id, discount)).await?;
                Ok(Some(
                    audit(AuditAction::ProductChanged)
                        .entity("product", product_id)
                        .before(json!({"discount": texts::discount_text(before)}))
                        .after(json!({"discount": texts::discount_text(discount)})),
                ))
            }
            AdminCommand::DisCat { category, discount } => {
                let name = category.clone();
                let outcome = self
                    .db
                    .write(move |c| {
                        if store::products::category_discount(c, &name)?.is_none() {
                            return Ok(Checked::Missing);
                        }
                        if let Some(d) = discount {
                            let products = store::products::active_in_category(c, &name)?;
                            if let Err(e) = check_category_discount(&products, d) {
                                return Ok(Checked::Refused(texts::discount_too_big("diskon kategori", &e)));
                            }
                        }
                        let found = store::products::set_category_discount(c, &name, discount)?;
                        Ok(if found { Checked::Done(()) } else { Checked::Missing })
                    })
                    .await?;
                match outcome {
                    Checked::Done(()) => {}
                    Checked::Missing => {
                        self.say(actor, &texts::category_missing(&category)).await?;
                        return Ok(None);
                    }
                    Checked::Refused(text) => return self.refuse(actor, &text).await,
                }
                self.say(actor, &texts::category_discount_changed(&category, discount)).await?;
                Ok(Some(
                    audit(AuditAction::CategoryChanged)
                        .entity("category", &category)
                        .after(json!({"discount": texts::discount_text(discount)})),
                ))
            }
            AdminCommand::PriceRess { product_id, price } => {
                let outcome = self
                    .db
                    .write(move |c| {
                        let Some(p) = store::products::get(c, product_id)? else { return Ok(Checked::Missing) };
                        if let Some(Err(e)) = price.map(|r| pricing::check_reseller_price(&p, r)) {
                            return Ok(Checked::Refused(texts::reseller_price_refused(&e)));
                        }
                        Ok(store::products::set_reseller_price(c, product_id, price)?
                            .map_or(Checked::Missing, Checked::Done))
                    })
                    .await?;
                let before = match outcome {
                    Checked::Done(before) => before,
                    Checked::Missing => return self.missing_product(actor, product_id).await,
                    Checked::Refused(text) => return self.refuse(actor, &text).await,
                };
                self.say(actor, &texts::reseller_price_changed(product_id, price)).await?;
                Ok(Some(
                    audit(AuditAction::ProductChanged)
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
                Ok(Some(audit(AuditAction::StockExported).entity("product", id).meta(json!({"items": items.len()}))))
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
                Ok(Some(audit(AuditAction::UserMessaged).entity("user", user_id)))
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
                    audit(AuditAction::BalanceChanged)
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
                    audit(if ban { AuditAction::UserBanned } else { AuditAction::UserUnbanned })
                        .entity("user", id)
                        .before(json!({"banned": before}))
                        .after(json!({"banned": ban})),
                ))
            }
            AdminCommand::AddAdmin(id) => self.change_role(actor, id, RoleCommand::AddAdmin).await,
            AdminCommand::RmAdmin(id) => self.change_role(actor, id, RoleCommand::RmAdmin).await,
            AdminCommand::AddReseller(id) => self.change_role(actor, id, RoleCommand::AddReseller).await,
            AdminCommand::RmReseller(id) => self.change_role(actor, id, RoleCommand::RmReseller).await,
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
                Ok(changed.then(|| {
                    audit(if add { AuditAction::GroupWhitelisted } else { AuditAction::GroupRemoved })
                        .entity("group", chat)
                }))
            }
            AdminCommand::Version => {
                self.say(actor, &self.version_text().await?).await?;
                Ok(None)
            }
            AdminCommand::Campaign { kind, args } => self.campaign(actor, kind, &args, reply_to).await,
        }
    }

    async fn missing_product(&self, actor: &Actor, id: i64) -> Result<Option<Entry>> {
        self.say(actor, &texts::product_missing(id)).await?;
        Ok(None)
    }

    /// A refused command: the admin hears why; nothing changed, so no effect is audited.
    async fn refuse(&self, actor: &Actor, text: &str) -> Result<Option<Entry>> {
        self.say(actor, text).await?;
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

    /// Role changes follow the one rule table (`domain::role::role_change`) and take effect at
    /// once: prices and permissions are resolved per update.
    async fn change_role(&self, actor: &Actor, id: i64, cmd: RoleCommand) -> Result<Option<Entry>> {
        let env_admin = self.config.is_env_admin(id);
        // Decided on the row the writer sees, so two admins' commands cannot interleave.
        let outcome = self
            .db
            .write(move |c| {
                let Some(target) = store::users::get(c, id)? else { return Ok(None) };
                let decided = role::role_change(cmd, target.role, env_admin);
                if let Ok(new) = decided {
                    store::users::change_role(c, id, new)?;
                }
                Ok(Some((target, decided)))
            })
            .await?;
        let Some((target, decided)) = outcome else { return self.missing_user(actor, id).await };
        let role = match decided {
            Ok(role) => role,
            Err(why) => return self.refuse(actor, &texts::role_refused(id, cmd, why, env_admin)).await,
        };
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
            entry(Some(actor.user.id), ActorType::Admin, AuditAction::RoleChanged)
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
        let counts = self.db.call(store::stats::version_counts).await?;
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
