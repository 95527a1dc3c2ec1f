//! Inline-button callback data: one typed enum, one compact wire format (≤ 64 bytes, as Telegram
//! allows). Anything that does not parse is treated as a stale or forged button.

/// An inline button: a label and the callback it sends, or a link. The same value is shown now
/// or stored in the outbox (as `{"text", "data"}` or `{"text", "url"}`) and shown later.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Button {
    Callback { text: String, data: String },
    Url { text: String, url: String },
}

impl Button {
    pub fn cb(text: impl Into<String>, cb: Callback) -> Self {
        Button::Callback { text: text.into(), data: cb.encode() }
    }
}

/// Quantity steps offered on the product card.
pub const QTY_STEPS: [i64; 5] = [-1, 1, 2, 5, 10];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callback {
    /// Category list, page (1-based).
    Categories(u32),
    /// Products of a category (0 = Tanpa Kategori), page.
    Category(i64, u32),
    BestSellers(u32),
    TopBuyers,
    AllProducts(u32),
    /// The `/stock` list, page.
    Stock(u32),
    /// Open a product card.
    Product(i64),
    /// Change the quantity on the card of a product by a step from [`QTY_STEPS`].
    Qty(i64, i64),
    /// `[Kabari saya]` on a sold-out product card: a restock alert for the product.
    NotifyRestock(i64),
    /// `[Batal kabari]` on a sold-out product card the customer waits for: no alert after all.
    CancelRestock(i64),
    /// `[Lanjut ke pembayaran]` for a product card.
    Checkout(i64),
    /// `[Gunakan Voucher]` on the checkout summary.
    UseVoucher,
    /// `[Skip]` the voucher step.
    SkipVoucher,
    /// `[Lewati]` under a text-entry prompt that offers skipping: the same as typing `/skip`.
    SkipStep,
    /// `[QRIS]` on the checkout summary.
    PayQris,
    /// `[SALDO]` on the checkout summary.
    PaySaldo,
    /// `[Transfer Bank (VA)]` on the checkout or deposit summary: the bank choice.
    PayVa,
    /// A bank of the bank choice (its [`crate::domain::payment::Bank::index`]).
    PayBank(u8),
    /// `[⭐ Bayar dengan Stars]` on a checkout summary (issue 18).
    PayStars,
    /// `[Konfirmasi]` a balance payment.
    /// `[Konfirmasi]` of a SALDO payment, carrying the total the customer was shown: nothing
    /// else is ever debited.
    ConfirmSaldo(i64),
    /// `[Kembali]` from the summary to the product card.
    BackToCard,
    /// `[Kembali]` from the bank choice to the checkout or deposit summary.
    BackToSummary,
    /// `[Batalkan]` a pending order (by internal order id; ownership is checked).
    CancelOrder(i64),
    /// `[Status Pembayaran]` of an order.
    OrderStatus(i64),
    /// `[Setujui]` a held order (admins only).
    ReviewApprove(i64),
    /// `[Tolak]` a held order: refund to balance (admins only).
    ReviewReject(i64),
    /// `[Ajukan Refund]` for an order.
    RefundRequest(i64),
    /// `[Setujui]` a refund claim (admins only).
    RefundApprove(i64),
    /// `[Tolak]` a refund claim (admins only).
    RefundReject(i64),
    /// `[Klaim Garansi]` on a delivered item (its stock item id; ownership and warranty checked).
    WarrantyClaim(i64),
    /// `[Ganti]` a warranty claim: a replacement item (admins only).
    WarrantyReplace(i64),
    /// `[Refund]` a warranty claim to the balance (admins only).
    WarrantyRefund(i64),
    /// `[Tolak]` a warranty claim, with a reason asked next (admins only).
    WarrantyReject(i64),
    /// `[Ya, hapus data saya]` after `/hapusdata`.
    EraseConfirm,
    /// `[Batalkan]` the current flow.
    Cancel,
    /// Back to the welcome screen.
    Home,
    EditName,
    EditEmail,
    EditWhatsapp,
    History(u32),
    /// `[📦 INV…]` in history: the goods of a paid order, sent again.
    Resend(i64),
    Deposit,
    /// The page indicator; does nothing.
    Noop,
    /// `[Kirim]` a segmented campaign the admin was shown (its request's number; admins only).
    SegmentSend(u32),
    /// `[Batal]` a segmented campaign (admins only).
    SegmentCancel(u32),
}

impl Callback {
    /// The admin decision buttons (review and refund): only admins may press them, and they work
    /// in a whitelisted group as in a private chat. Every other button is a customer's own.
    pub fn is_admin_decision(&self) -> bool {
        matches!(
            self,
            Callback::ReviewApprove(_)
                | Callback::ReviewReject(_)
                | Callback::RefundApprove(_)
                | Callback::RefundReject(_)
                | Callback::WarrantyReplace(_)
                | Callback::WarrantyRefund(_)
                | Callback::WarrantyReject(_)
        )
    }

    /// Buttons only an admin may press, in a private chat only (the confirmation of a
    /// segmented campaign).
    pub fn is_admin_only(&self) -> bool {
        matches!(self, Callback::SegmentSend(_) | Callback::SegmentCancel(_))
    }

    pub fn encode(&self) -> String {
        match self {
            Callback::Categories(p) => format!("cats:{p}"),
            Callback::Category(c, p) => format!("cat:{c}:{p}"),
            Callback::BestSellers(p) => format!("best:{p}"),
            Callback::TopBuyers => "top".into(),
            Callback::AllProducts(p) => format!("all:{p}"),
            Callback::Stock(p) => format!("stk:{p}"),
            Callback::Product(id) => format!("p:{id}"),
            Callback::Qty(id, step) => format!("q:{id}:{step}"),
            Callback::Checkout(id) => format!("buy:{id}"),
            Callback::NotifyRestock(id) => format!("nt:{id}"),
            Callback::CancelRestock(id) => format!("un:{id}"),
            Callback::UseVoucher => "uv".into(),
            Callback::SkipVoucher => "sv".into(),
            Callback::SkipStep => "skp".into(),
            Callback::PayQris => "pq".into(),
            Callback::PaySaldo => "ps".into(),
            Callback::PayVa => "pv".into(),
            Callback::PayBank(i) => format!("pb:{i}"),
            Callback::PayStars => "xs:".into(),
            Callback::ConfirmSaldo(total) => format!("psc:{total}"),
            Callback::BackToCard => "ckb".into(),
            Callback::BackToSummary => "bsm".into(),
            Callback::CancelOrder(id) => format!("oc:{id}"),
            Callback::OrderStatus(id) => format!("os:{id}"),
            Callback::ReviewApprove(id) => format!("va:{id}"),
            Callback::ReviewReject(id) => format!("vr:{id}"),
            Callback::RefundRequest(id) => format!("rr:{id}"),
            Callback::RefundApprove(id) => format!("ra:{id}"),
            Callback::RefundReject(id) => format!("rj:{id}"),
            Callback::WarrantyClaim(id) => format!("wc:{id}"),
            Callback::WarrantyReplace(id) => format!("wg:{id}"),
            Callback::WarrantyRefund(id) => format!("wf:{id}"),
            Callback::WarrantyReject(id) => format!("wt:{id}"),
            Callback::EraseConfirm => "er".into(),
            Callback::Cancel => "x".into(),
            Callback::Home => "home".into(),
            Callback::EditName => "acc:name".into(),
            Callback::EditEmail => "acc:email".into(),
            Callback::EditWhatsapp => "acc:wa".into(),
            Callback::History(p) => format!("hist:{p}"),
            Callback::Resend(id) => format!("rs:{id}"),
            Callback::Deposit => "dep".into(),
            Callback::Noop => "noop".into(),
            Callback::SegmentSend(n) => format!("sg:ok:{n}"),
            Callback::SegmentCancel(n) => format!("sg:x:{n}"),
        }
    }

    pub fn parse(data: &str) -> Option<Self> {
        if data.len() > 64 {
            return None;
        }
        let mut parts = data.split(':');
        let head = parts.next()?;
        let a = parts.next();
        let b = parts.next();
        if parts.next().is_some() {
            return None;
        }
        let page = |s: Option<&str>| s.and_then(|s| s.parse::<u32>().ok()).filter(|p| (1..=10_000).contains(p));
        let id = |s: Option<&str>| s.and_then(|s| s.parse::<i64>().ok()).filter(|id| *id > 0);
        let cb = match (head, a, b) {
            ("cats", Some(_), None) => Callback::Categories(page(a)?),
            ("cat", Some(c), Some(_)) => Callback::Category(c.parse::<i64>().ok().filter(|c| *c >= 0)?, page(b)?),
            ("best", Some(_), None) => Callback::BestSellers(page(a)?),
            ("top", None, None) => Callback::TopBuyers,
            ("all", Some(_), None) => Callback::AllProducts(page(a)?),
            ("stk", Some(_), None) => Callback::Stock(page(a)?),
            ("p", Some(_), None) => Callback::Product(id(a)?),
            ("q", Some(_), Some(s)) => {
                let step = s.parse::<i64>().ok().filter(|s| QTY_STEPS.contains(s))?;
                Callback::Qty(id(a)?, step)
            }
            ("buy", Some(_), None) => Callback::Checkout(id(a)?),
            ("nt", Some(_), None) => Callback::NotifyRestock(id(a)?),
            ("un", Some(_), None) => Callback::CancelRestock(id(a)?),
            ("uv", None, None) => Callback::UseVoucher,
            ("sv", None, None) => Callback::SkipVoucher,
            ("skp", None, None) => Callback::SkipStep,
            ("pq", None, None) => Callback::PayQris,
            ("ps", None, None) => Callback::PaySaldo,
            ("pv", None, None) => Callback::PayVa,
            ("pb", Some(i), None) => Callback::PayBank(
                i.parse::<u8>().ok().filter(|i| usize::from(*i) < crate::domain::payment::Bank::ALL.len())?,
            ),
            ("xs", Some(""), None) => Callback::PayStars,
            ("psc", Some(t), None) => Callback::ConfirmSaldo(t.parse::<i64>().ok().filter(|t| *t >= 0)?),
            ("ckb", None, None) => Callback::BackToCard,
            ("bsm", None, None) => Callback::BackToSummary,
            ("oc", Some(_), None) => Callback::CancelOrder(id(a)?),
            ("os", Some(_), None) => Callback::OrderStatus(id(a)?),
            ("va", Some(_), None) => Callback::ReviewApprove(id(a)?),
            ("vr", Some(_), None) => Callback::ReviewReject(id(a)?),
            ("rr", Some(_), None) => Callback::RefundRequest(id(a)?),
            ("ra", Some(_), None) => Callback::RefundApprove(id(a)?),
            ("rj", Some(_), None) => Callback::RefundReject(id(a)?),
            ("wc", Some(_), None) => Callback::WarrantyClaim(id(a)?),
            ("wg", Some(_), None) => Callback::WarrantyReplace(id(a)?),
            ("wf", Some(_), None) => Callback::WarrantyRefund(id(a)?),
            ("wt", Some(_), None) => Callback::WarrantyReject(id(a)?),
            ("er", None, None) => Callback::EraseConfirm,
            ("x", None, None) => Callback::Cancel,
            ("home", None, None) => Callback::Home,
            ("acc", Some("name"), None) => Callback::EditName,
            ("acc", Some("email"), None) => Callback::EditEmail,
            ("acc", Some("wa"), None) => Callback::EditWhatsapp,
            ("hist", Some(_), None) => Callback::History(page(a)?),
            ("rs", Some(_), None) => Callback::Resend(id(a)?),
            ("dep", None, None) => Callback::Deposit,
            ("noop", None, None) => Callback::Noop,
            ("sg", Some("ok"), Some(n)) => Callback::SegmentSend(n.parse().ok()?),
            ("sg", Some("x"), Some(n)) => Callback::SegmentCancel(n.parse().ok()?),
            _ => return None,
        };
        Some(cb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_callback() -> impl Strategy<Value = Callback> {
        let page = 1u32..=10_000;
        let id = 1i64..=i64::MAX;
        prop_oneof![
            page.clone().prop_map(Callback::Categories),
            (0i64..=i64::MAX, page.clone()).prop_map(|(c, p)| Callback::Category(c, p)),
            page.clone().prop_map(Callback::BestSellers),
            Just(Callback::TopBuyers),
            page.clone().prop_map(Callback::AllProducts),
            page.clone().prop_map(Callback::Stock),
            id.clone().prop_map(Callback::Product),
            (id.clone(), proptest::sample::select(QTY_STEPS.to_vec())).prop_map(|(i, s)| Callback::Qty(i, s)),
            id.clone().prop_map(Callback::NotifyRestock),
            id.clone().prop_map(Callback::CancelRestock),
            id.prop_map(Callback::Checkout),
            Just(Callback::Cancel),
            Just(Callback::EraseConfirm),
            (1i64..=i64::MAX).prop_map(Callback::RefundRequest),
            (1i64..=i64::MAX).prop_map(Callback::ReviewApprove),
            (1i64..=i64::MAX).prop_map(Callback::ReviewReject),
            (1i64..=i64::MAX).prop_map(Callback::RefundApprove),
            (1i64..=i64::MAX).prop_map(Callback::RefundReject),
            (1i64..=i64::MAX).prop_map(Callback::WarrantyClaim),
            (1i64..=i64::MAX).prop_map(Callback::WarrantyReplace),
            (1i64..=i64::MAX).prop_map(Callback::WarrantyRefund),
            (1i64..=i64::MAX).prop_map(Callback::WarrantyReject),
            Just(Callback::PayQris),
            Just(Callback::UseVoucher),
            Just(Callback::SkipVoucher),
            Just(Callback::SkipStep),
            Just(Callback::PaySaldo),
            Just(Callback::PayVa),
            Just(Callback::PayStars),
            (0u8..9).prop_map(Callback::PayBank),
            (0i64..=i64::MAX).prop_map(Callback::ConfirmSaldo),
            Just(Callback::BackToCard),
            Just(Callback::BackToSummary),
            (1i64..=i64::MAX).prop_map(Callback::CancelOrder),
            (1i64..=i64::MAX).prop_map(Callback::OrderStatus),
            Just(Callback::Home),
            Just(Callback::EditName),
            Just(Callback::EditEmail),
            Just(Callback::EditWhatsapp),
            page.prop_map(Callback::History),
            (1i64..=i64::MAX).prop_map(Callback::Resend),
            Just(Callback::Deposit),
            Just(Callback::Noop),
            any::<u32>().prop_map(Callback::SegmentSend),
            any::<u32>().prop_map(Callback::SegmentCancel),
        ]
    }

    proptest! {
        #[test]
        fn round_trips_within_telegram_limit(cb in any_callback()) {
            let wire = cb.encode();
            prop_assert!(wire.len() <= 64);
            prop_assert_eq!(Callback::parse(&wire), Some(cb));
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,100}") {
            let _ = Callback::parse(&s);
        }
    }

    #[test]
    fn buttons_keep_the_stored_outbox_form() {
        let stored = r#"[{"text":"Setujui","data":"va:7"},{"text":"Bayar","url":"https://x.test/p"}]"#;
        let buttons: Vec<Button> = serde_json::from_str(stored).unwrap();
        assert_eq!(
            buttons,
            vec![
                Button::cb("Setujui", Callback::ReviewApprove(7)),
                Button::Url { text: "Bayar".into(), url: "https://x.test/p".into() },
            ]
        );
        assert_eq!(serde_json::to_string(&buttons).unwrap(), stored);
    }

    #[test]
    fn forged_data_is_refused() {
        for bad in
            ["", "q:1:3", "q:0:1", "p:-5", "cats:0", "p:1:2", "cat:x:1", "all:99999999999", "acc:root", "p:1;DROP"]
        {
            assert_eq!(Callback::parse(bad), None, "{bad}");
        }
    }
}
