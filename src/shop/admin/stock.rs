//! Stock commands (SPEC §5): import, delete and export the items of a product. Only available
//! items are touched: sold ones belong to their orders.

use serde_json::json;

use super::commands::admin_entry;
use crate::shop::{ports::Out, Actor, Result, Shop};
use crate::{
    domain::{
        admin::StockImport,
        audit::AuditAction,
        callback::{Button, Callback},
        expiry::{self, ItemLine, Refusal},
    },
    security::audit::EntryExt,
    store::{
        self,
        audit::Entry,
        broadcasts::Content,
        stock::{DeleteOutcome, NewItem},
    },
    texts,
};

impl Shop {
    /// `/addstock`: duplicates of items already in stock are skipped (the store counts them).
    pub(super) async fn add_stock(&self, actor: &Actor, import: StockImport) -> Result<Option<Entry>> {
        let id = import.product_id;
        let admin = actor.user.id;
        // Expiring stock: `[s/d YYYY-MM-DD]` lines get their limits; a bad or too-late date
        // refuses that line (reported below), never stored without its limit.
        let lifetime = self.config.invoice_lifetime();
        let t = store::now();
        let (mut items, mut refused, mut dated) = (Vec::new(), Vec::new(), 0usize);
        for (n, line) in import.items.iter().enumerate() {
            match expiry::split(line) {
                ItemLine::Plain(content) => items.push((content.to_string(), None)),
                ItemLine::Until(date, content) => match expiry::limits(date, t, lifetime) {
                    Ok(l) => {
                        dated += 1;
                        items.push((content.to_string(), Some(l)));
                    }
                    Err(why) => refused.push((n + 1, why)),
                },
                ItemLine::BadDate => refused.push((n + 1, Refusal::Unparsable)),
            }
        }
        // Restock alerts: the product's waiting customers become the recipients of a broadcast
        // of kind `restock` in the transaction that adds the stock, and stop waiting there. The
        // broadcast engine already targets a stored recipient list, so the alerts get its rate
        // limit (the bulk lane, behind replies and deliveries), its resume after a restart and
        // its one-copy-per-recipient rule without a second sending path; the outbox would have
        // sent them at the priority of notices, ahead of the bot's budget for bulk messages.
        let arrival = self
            .db
            .write(move |c| match store::products::get(c, id)? {
                None => Ok(None),
                Some(p) => {
                    let content = Content::Card {
                        text: texts::restock_alert(&p.name),
                        buttons: vec![vec![Button::cb(texts::BTN_OPEN_PRODUCT, Callback::Product(id))]],
                    };
                    let items: Vec<NewItem<'_>> =
                        items.iter().map(|(content, limits)| NewItem { content, limits: *limits }).collect();
                    // Waiting warranty claims are served first, oldest first, in the transaction
                    // that adds the stock: what they take is never on sale.
                    let serve = |tx: &rusqlite::Connection| {
                        let served = store::warranty::serve_waiting(tx, id)?;
                        for (claim, item) in &served {
                            let delivery = super::warranty::replacement_delivery(claim, item);
                            store::outbox::enqueue(tx, &delivery, Some(claim.order_id))?;
                        }
                        Ok(served.iter().map(|(c, _)| c.id).collect())
                    };
                    Ok(Some(store::restock::stock_arrived(c, id, &items, admin, &content, serve)?))
                }
            })
            .await?;
        match arrival {
            None => {
                self.say(actor, &texts::product_missing(id)).await?;
                Ok(None)
            }
            Some(a) => {
                let r = a.report;
                if a.alert.is_some() {
                    self.broadcast_wake.notify_one();
                }
                if !a.served.is_empty() {
                    self.outbox_wake.notify_one();
                }
                for claim in &a.served {
                    let served = admin_entry(actor, AuditAction::WarrantyReplaced)
                        .entity("warranty_claim", *claim)
                        .meta(json!({"product": id, "served_on_restock": true}));
                    if let Err(e) = self.db.append_audit(served).await {
                        tracing::error!(error = %e, claim, "audit: warranty claim served on restock not recorded");
                    }
                }
                let alerted = a.alert.map_or(0, |(_, n)| n);
                let mut text = texts::stock_added(id, r.added, r.duplicates, r.total);
                text.push_str(&texts::expiry::import_lines(dated, &refused));
                if !a.served.is_empty() {
                    text.push_str(&texts::warranty::served_on_restock(a.served.len()));
                }
                if alerted > 0 {
                    text.push_str(&texts::restock_alerts_queued(alerted));
                }
                self.say(actor, &text).await?;
                Ok(Some(admin_entry(actor, AuditAction::StockAdded).entity("product", id).after(
                    json!({"added": r.added, "duplicates": r.duplicates, "available": r.total, "restock_alerts": alerted,
                           "warranty_served": a.served.len(), "dated": dated, "refused": refused.len()}),
                )))
            }
        }
    }

    /// `/delstock`: one available item.
    pub(super) async fn delete_stock(&self, actor: &Actor, product_id: i64, stock_id: i64) -> Result<Option<Entry>> {
        let outcome = self.db.write(move |c| store::stock::delete_one(c, product_id, stock_id)).await?;
        let text = match outcome {
            DeleteOutcome::Deleted => texts::stock_deleted(product_id, stock_id),
            DeleteOutcome::NotFound => texts::stock_not_found(product_id, stock_id),
            DeleteOutcome::NotAvailable => texts::stock_not_deletable(stock_id),
        };
        self.say(actor, &text).await?;
        Ok((outcome == DeleteOutcome::Deleted).then(|| {
            admin_entry(actor, AuditAction::StockDeleted)
                .entity("stock_item", stock_id)
                .meta(json!({"product": product_id}))
        }))
    }

    /// `/delallstock`: every available item of the product.
    pub(super) async fn delete_all_stock(&self, actor: &Actor, id: i64) -> Result<Option<Entry>> {
        let n = self
            .db
            .write(move |c| match store::products::get(c, id)? {
                None => Ok(None),
                Some(_) => Ok(Some(store::stock::delete_available(c, id)?)),
            })
            .await?;
        let Some(n) = n else { return self.missing_product(actor, id).await };
        self.say(actor, &texts::all_stock_deleted(id, n)).await?;
        Ok(Some(admin_entry(actor, AuditAction::StockDeleted).entity("product", id).meta(json!({"deleted": n}))))
    }

    /// The product's available items (with their valid-until; expired ones marked); `None` once
    /// the admin has been told there is no such product or nothing in stock.
    async fn available_items(&self, actor: &Actor, id: i64) -> Result<Option<Vec<store::stock::Listed>>> {
        let items = self
            .db
            .call(move |c| match store::products::get(c, id)? {
                None => Ok(None),
                Some(_) => Ok(Some(store::stock::list_available(c, id)?)),
            })
            .await?;
        let Some(items) = items else {
            self.missing_product(actor, id).await?;
            return Ok(None);
        };
        if items.is_empty() {
            self.say(actor, &texts::export_empty(id)).await?;
            return Ok(None);
        }
        Ok(Some(items))
    }

    /// `/liststock id`: the unsold items with their stock ids, so one can be deleted with
    /// `/delstock`. Audited like an export (it shows the items).
    pub(super) async fn list_stock(&self, actor: &Actor, id: i64) -> Result<Option<Entry>> {
        let Some(listed) = self.available_items(actor, id).await? else { return Ok(None) };
        let items: Vec<(i64, String, String)> = listed
            .into_iter()
            .map(|i| {
                let after = texts::expiry::listed_until(i.valid_until, i.expired);
                (i.id, i.content, after)
            })
            .collect();
        self.say(actor, &texts::stock_ids(id, &items)).await?;
        Ok(Some(
            admin_entry(actor, AuditAction::StockExported)
                .entity("product", id)
                .meta(json!({"items": items.len(), "listed": true})),
        ))
    }

    /// `/exportstock`: the available items as a `.txt` document, dated ones with their
    /// `[s/d …]` token so the file imports back as it was (the audit keeps only the count).
    pub(super) async fn export_stock(&self, actor: &Actor, id: i64) -> Result<Option<Entry>> {
        let Some(items) = self.available_items(actor, id).await? else { return Ok(None) };
        let mut body = String::new();
        for item in &items {
            body.push_str(&crate::domain::expiry::export_line(&item.content, item.valid_until));
            body.push('\n');
        }
        let caption = Out::text(texts::export_caption(id, items.len()));
        self.tg.send_document(actor.chat, &format!("stok-produk-{id}.txt"), body.into_bytes(), caption).await?;
        Ok(Some(
            admin_entry(actor, AuditAction::StockExported).entity("product", id).meta(json!({"items": items.len()})),
        ))
    }
}
