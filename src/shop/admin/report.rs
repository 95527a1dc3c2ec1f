//! `/laporan [hari]` (issue 16): the sales report as a chart with its numbers, from the same
//! rows as `quickcart report`, so the two always agree. Read only: the command's own audit
//! entry is the record.

use crate::shop::{chart, ports::Out, Actor, Result, Shop};
use crate::{domain::report::Window, store, store::audit::Entry, texts};

impl Shop {
    pub(super) async fn sales_report(&self, actor: &Actor, days: i64) -> Result<Option<Entry>> {
        let window = Window::last(days, store::now());
        let report = self.db.lookup(move |c| store::report::gather(c, window)).await?;
        let caption = texts::esc(&texts::report::caption(&report));
        let details = format!("<pre>{}</pre>", texts::esc(&texts::report::lists(&report)));
        match chart::png_off_thread(report).await {
            Ok(png) => {
                self.tg.send_photo(actor.chat, png, Out::text(caption)).await?;
            }
            // The numbers still go out; only the picture is missing.
            Err(e) => {
                tracing::error!(error = %e, "sales chart");
                self.say(actor, &caption).await?;
            }
        }
        self.say(actor, &details).await?;
        Ok(None)
    }
}
