//! `quickcart report [--days N]`: the sales report as a table in the terminal.

use crate::{config::Config, domain::report::Window, store, texts};

pub fn run(config: &Config, days: i64) -> anyhow::Result<String> {
    let key = config.require_key()?;
    let conn = store::open_one(&config.data_dir.join(store::SHOP_FILE), key)?;
    let window = Window::last(days, chrono::Utc::now().timestamp());
    Ok(texts::report::table(&store::report::gather(&conn, window)?))
}
