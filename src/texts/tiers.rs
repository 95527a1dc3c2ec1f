//! Bulk prices' words (issue 18 point 5): the card's tier lines, the applied tier on the card and
//! the summary, and the `/tier` answers.

use super::{product_label, rupiah};
use crate::domain::{
    catalog::Product,
    pricing::{self, PriceKind, TierTooCheap},
    role::Role,
    tiers::{Tier, TierError, MAX_TIERS, MAX_TIER_PERCENT, MAX_TIER_QTY, MIN_TIER_QTY},
};

/// "Beli 5+: −10%"
pub fn tier_label(t: Tier) -> String {
    format!("Beli {}+: −{}%", t.min_qty, t.percent)
}

/// The card's block of tiers, each with the price per item `role` pays there; empty without tiers.
pub fn card_tiers(p: &Product, role: Role) -> String {
    if p.tiers.is_empty() {
        return String::new();
    }
    let mut s = "\n\n📉 Harga grosir:".to_string();
    for t in &p.tiers {
        s.push_str(&format!("\n• {} ({}/item)", tier_label(*t), rupiah(pricing::unit_price(p, role, t.min_qty))));
    }
    s
}

/// On the card under "Jumlah": the price per item at this quantity and the tier that gives it
/// (or how many more items reach the first tier). Empty without tiers.
pub fn card_quantity(p: &Product, role: Role, qty: i64) -> String {
    if p.tiers.is_empty() {
        return String::new();
    }
    let unit = rupiah(pricing::unit_price(p, role, qty));
    match pricing::applied_tier(p, qty) {
        Some(t) => format!("\nHarga satuan: <b>{unit}</b>{}", summary_tier(t)),
        None => format!("\nHarga satuan: <b>{unit}</b>"),
    }
}

/// After the unit price on the card and the summary: the tier it comes from.
pub fn summary_tier(t: Tier) -> String {
    format!(" (harga grosir {})", tier_label(t))
}

fn list(tiers: &[Tier]) -> String {
    tiers.iter().map(|t| tier_label(*t)).collect::<Vec<_>>().join(", ")
}

/// `/tier id`: the product's tiers.
pub fn shown(id: i64, tiers: &[Tier]) -> String {
    if tiers.is_empty() {
        format!("Produk {id} belum punya harga grosir. Atur dengan /tier {id}|5=10,10=15")
    } else {
        format!("📉 Harga grosir produk {id}: {}.", list(tiers))
    }
}

/// `/tier id|…` done.
pub fn changed(id: i64, tiers: &[Tier]) -> String {
    if tiers.is_empty() {
        format!("✅ Harga grosir produk {id} dihapus.")
    } else {
        format!("✅ Harga grosir produk {id}: {}.", list(tiers))
    }
}

/// `/tier` refused by the shape rules.
pub fn refused(e: &TierError) -> String {
    let why = match e {
        TierError::TooMany { count } => format!("{count} tingkat; paling banyak {MAX_TIERS}"),
        TierError::QtyTooSmall { qty } => format!("jumlah {qty}; tingkat mulai dari {MIN_TIER_QTY} item"),
        TierError::QtyTooLarge { qty } => format!("jumlah {qty}; paling banyak {MAX_TIER_QTY} item"),
        TierError::PercentOutOfRange { percent } => {
            format!("potongan {percent}%; potongan harus 1–{MAX_TIER_PERCENT}%")
        }
        TierError::QtyNotIncreasing { qty } => {
            format!("jumlah {qty} tidak lebih besar dari tingkat sebelumnya; jumlah harus naik")
        }
        TierError::PercentNotIncreasing { qty, percent } => format!(
            "potongan {percent}% untuk {qty} item tidak lebih besar dari tingkat sebelumnya; beli lebih banyak harus lebih murah"
        ),
    };
    format!("❌ Ditolak: {why}. Tidak ada yang diubah.")
}

/// `/tier` (or `/priceress`) refused: a tier would take a price below the minimum.
pub fn too_cheap(e: &TierTooCheap) -> String {
    let price = match e.kind {
        PriceKind::Customer => "harga",
        PriceKind::Reseller => "harga reseller",
    };
    let after_discount = match e.discount {
        Some(d) => format!(" (setelah diskon {})", super::discount_text(Some(d))),
        None => String::new(),
    };
    format!(
        "❌ Ditolak: harga grosir {} membuat {price} {}{after_discount} dari {} menjadi {}. Harga per item minimal {}. Tidak ada yang diubah.",
        tier_label(e.tier),
        product_label(Some(e.product_id), &e.name),
        rupiah(e.price),
        rupiah(e.after.max(0)),
        rupiah(pricing::MIN_UNIT_PRICE)
    )
}

/// Appended to a discount refusal when the product's deepest tier counts on top.
pub fn with_tier_note(tier_percent: i64) -> String {
    if tier_percent > 0 {
        format!(" (Harga grosir −{tier_percent}% ikut dihitung.)")
    } else {
        String::new()
    }
}
