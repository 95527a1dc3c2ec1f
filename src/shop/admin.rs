//! Admin commands. The caller has already passed the one permission check.

use super::{ports::SendError, Actor, Result, Shop};
use crate::{
    domain::{catalog::NO_CATEGORY, commands},
    store::{self, products::AddProductError},
    texts,
};

/// Largest `.txt` stock import accepted.
const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024;

impl Shop {
    pub(crate) async fn admin_command(
        &self,
        actor: &Actor,
        name: &str,
        args: &str,
        document: Option<(&str, u64)>,
    ) -> Result<()> {
        tracing::info!(event = "admin_command", admin = actor.user.id, command = name, "admin command");
        match name {
            "add" => self.add_product(actor, args).await,
            "addstock" => self.add_stock(actor, args, document).await,
            _ => self.say(actor, texts::FEATURE_SOON).await,
        }
    }

    async fn add_product(&self, actor: &Actor, args: &str) -> Result<()> {
        let new = match commands::parse_add(args) {
            Ok(p) => p,
            Err(usage) => return self.say(actor, &texts::usage(usage)).await,
        };
        let p = new.clone();
        let added = self.db.call(move |c| Ok(store::products::add(c, &p))).await?;
        let text = match added {
            Ok(id) => texts::product_added(id, &new.name, new.price, new.category.as_deref().unwrap_or(NO_CATEGORY)),
            Err(AddProductError::IdTaken(id)) => texts::product_id_taken(id),
            Err(AddProductError::NoFreeId) => texts::NO_FREE_PRODUCT_ID.to_string(),
            Err(AddProductError::Store(e)) => return Err(e.into()),
        };
        self.say(actor, &text).await
    }

    async fn add_stock(&self, actor: &Actor, args: &str, document: Option<(&str, u64)>) -> Result<()> {
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
        let import = match commands::parse_addstock(args, content.as_deref()) {
            Ok(i) => i,
            Err(usage) => return self.say(actor, &texts::usage(usage)).await,
        };
        let id = import.product_id;
        let report = self
            .db
            .call(move |c| match store::products::get(c, id)? {
                None => Ok(None),
                Some(_) => Ok(Some(store::stock::add(c, id, &import.items)?)),
            })
            .await?;
        let text = match report {
            None => texts::product_missing(id),
            Some(r) => texts::stock_added(id, r.added, r.duplicates, r.total),
        };
        self.say(actor, &text).await
    }
}
