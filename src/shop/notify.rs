//! Telling the shop's admins: who they are, and one helper to tell them all now. Notices that
//! must not be lost (new orders, stuck deliveries) go through the outbox instead, to the same
//! recipients.

use super::{ports::Out, Result, Shop};
use crate::store;

impl Shop {
    /// Admins (role and `ADMIN_IDS`) and whitelisted groups: who gets shop notices.
    pub(crate) async fn notice_recipients(&self) -> Result<Vec<i64>> {
        let mut ids = self
            .db
            .call(|c| {
                let mut ids = store::users::admin_ids(c)?;
                ids.extend(store::groups::all(c)?);
                Ok(ids)
            })
            .await?;
        ids.extend(self.config.admin_ids.iter().copied());
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Sends a notice to every admin and whitelisted group now. One unreachable admin does not
    /// stop the others (logged with `what`).
    pub(crate) async fn notify_admins(&self, out: Out, what: &'static str) -> Result<()> {
        for chat in self.notice_recipients().await? {
            if let Err(e) = self.tg.send(chat, out.clone()).await {
                tracing::info!(chat, error = %e, what, "admin notice not delivered");
            }
        }
        Ok(())
    }
}
