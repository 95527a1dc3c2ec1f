//! The one pricing rule (SPEC §5). Every screen, checkout and export asks this function.

use super::{
    catalog::{Discount, Product},
    role::Role,
    tiers::{self, Tier},
};

/// The unit price `role` pays for `product` when buying `qty` items. The rules, in this order:
///
/// 1. **Base price for the role**: the reseller price for resellers when one is set, else the
///    customer price.
/// 2. **Discount**: the product's own discount, or if it has none its category's discount
///    (percent, or rupiah off).
/// 3. **Quantity tier** (bulk price): the percent of the deepest tier `qty` reaches, off the
///    price of step 2.
/// 4. A reseller never pays more than a customer would at the same quantity (the customer's
///    price of steps 1–3 caps the reseller's).
///
/// Then, at order level and outside this function, the voucher comes off the subtotal
/// (`domain::purchase`). Every percent rounds down to the rupiah (in the customer's favour).
/// Never negative. With validated tiers the price per item never rises with the quantity.
pub fn unit_price(product: &Product, role: Role, qty: i64) -> i64 {
    let discount = product.discount.or(product.category_discount);
    let tier = tier_percent(product, qty);
    let customer = apply_tier(apply(product.price, discount), tier);
    match (role, product.reseller_price) {
        (Role::Reseller, Some(reseller)) => apply_tier(apply(reseller, discount), tier).min(customer),
        _ => customer,
    }
}

/// The tier of `product` that applies to `qty` items (none below its first tier).
pub fn applied_tier(product: &Product, qty: i64) -> Option<Tier> {
    tiers::tier_for(&product.tiers, qty)
}

fn tier_percent(product: &Product, qty: i64) -> i64 {
    applied_tier(product, qty).map_or(0, |t| t.percent)
}

/// A tier's percent off an already discounted price, rounded down.
fn apply_tier(price: i64, percent: i64) -> i64 {
    if percent <= 0 {
        return price.max(0);
    }
    apply(price, Some(Discount::Percent(percent)))
}

/// The unit price `role` would pay without any discount: what a discounted price is shown
/// against ("was").
pub fn undiscounted_price(product: &Product, role: Role) -> i64 {
    let customer = product.price.max(0);
    match (role, product.reseller_price) {
        (Role::Reseller, Some(reseller)) => reseller.max(0).min(customer),
        _ => customer,
    }
}

fn apply(base: i64, discount: Option<Discount>) -> i64 {
    let base = base.max(0);
    let price = match discount {
        None => base,
        // i128 so that huge prices cannot overflow the multiplication.
        Some(Discount::Percent(p)) => {
            let keep = i128::from(100 - p.clamp(0, 100));
            i64::try_from(i128::from(base) * keep / 100).unwrap_or(base)
        }
        Some(Discount::Nominal(n)) => base.saturating_sub(n.max(0)),
    };
    price.max(0)
}

/// The lowest unit price a discount may leave: a typo in a discount never gives goods away.
pub const MIN_UNIT_PRICE: i64 = 1;

/// Which of a product's two base prices a rule is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceKind {
    Customer,
    Reseller,
}

/// A discount that would take one of a product's prices below [`MIN_UNIT_PRICE`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooCheap {
    /// `None` for a product not created yet (`/add` with `-` as id).
    pub product_id: Option<i64>,
    pub name: String,
    pub kind: PriceKind,
    /// The price the discount applies to.
    pub base: i64,
    pub discount: Discount,
    /// What the discount (and the product's deepest quantity tier) would leave (≤ 0 means free).
    pub after: i64,
    /// The percent of the product's deepest quantity tier, which comes on top (0 = no tiers).
    pub tier_percent: i64,
}

impl TooCheap {
    /// The largest nominal discount `base` allows (with the deepest tier on top).
    pub fn max_nominal(&self) -> i64 {
        let floor = if self.tier_percent > 0 {
            min_base_price(Discount::Percent(self.tier_percent)).unwrap_or(i64::MAX)
        } else {
            MIN_UNIT_PRICE
        };
        self.base.saturating_sub(floor).max(0)
    }

    /// The largest percent discount `base` allows (0 = none at all), with the deepest tier on top.
    pub fn max_percent(&self) -> i64 {
        (0..=100)
            .rev()
            .find(|p| apply_tier(apply(self.base, Some(Discount::Percent(*p))), self.tier_percent) >= MIN_UNIT_PRICE)
            .unwrap_or(0)
    }
}

/// The largest nominal discount that keeps `base` at [`MIN_UNIT_PRICE`] or more.
pub fn max_nominal_discount(base: i64) -> i64 {
    base.saturating_sub(MIN_UNIT_PRICE).max(0)
}

/// The largest whole percent discount that keeps `base` at [`MIN_UNIT_PRICE`] or more.
pub fn max_percent_discount(base: i64) -> i64 {
    (0..=100).rev().find(|p| apply(base, Some(Discount::Percent(*p))) >= MIN_UNIT_PRICE).unwrap_or(0)
}

/// The lowest base price `discount` leaves at [`MIN_UNIT_PRICE`] or more; `None` for 100 %.
pub fn min_base_price(discount: Discount) -> Option<i64> {
    match discount {
        Discount::Nominal(n) => n.max(0).checked_add(MIN_UNIT_PRICE),
        Discount::Percent(p) if p >= 100 => None,
        // floor(base × (100 − p) / 100) ≥ 1  ⇔  base ≥ ceil(100 / (100 − p)).
        Discount::Percent(p) => {
            let keep = 100 - p.max(0);
            Some((100 + keep - 1) / keep)
        }
    }
}

/// The price rule of every admin command that sets a discount or a price: `discount` must leave
/// each base price of `product` (customer price, and reseller price when set) at
/// [`MIN_UNIT_PRICE`] or more. Checked against both bases whether or not the discount applies
/// today: a category discount applies as soon as the product's own discount is removed. The
/// product's deepest quantity tier counts on top (it applies after the discount).
pub fn check_discount(product: &Product, discount: Discount) -> Result<(), TooCheap> {
    let bases = [(PriceKind::Customer, Some(product.price)), (PriceKind::Reseller, product.reseller_price)];
    let tier_percent = tiers::deepest(&product.tiers).map_or(0, |t| t.percent);
    for (kind, base) in bases {
        let Some(base) = base else { continue };
        let left = after_discount(base, discount);
        let after = if left > 0 { apply_tier(left, tier_percent) } else { left };
        if after < MIN_UNIT_PRICE {
            return Err(TooCheap {
                product_id: (product.id > 0).then_some(product.id),
                name: product.name.clone(),
                kind,
                base,
                discount,
                after,
                tier_percent,
            });
        }
    }
    Ok(())
}

/// Both discounts a product can be sold under (its own and its category's) keep it paid.
pub fn check_discounts(product: &Product) -> Result<(), TooCheap> {
    for d in [product.discount, product.category_discount].into_iter().flatten() {
        check_discount(product, d)?;
    }
    Ok(())
}

/// What a reseller price may not be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResellerPriceError {
    /// A reseller never pays more than a customer.
    AboveCustomer { product_id: i64, name: String, customer: i64, reseller: i64 },
    /// A discount of the product or its category would make the reseller price free.
    TooCheap(TooCheap),
    /// The product's quantity tiers would take the reseller price below the minimum.
    Tier(TierTooCheap),
}

/// `/priceress`: the new reseller price of `product` is at most its customer price, and every
/// discount that may apply leaves it paid.
pub fn check_reseller_price(product: &Product, reseller: i64) -> Result<(), ResellerPriceError> {
    if reseller > product.price {
        return Err(ResellerPriceError::AboveCustomer {
            product_id: product.id,
            name: product.name.clone(),
            customer: product.price,
            reseller,
        });
    }
    let changed = Product { reseller_price: Some(reseller), ..product.clone() };
    check_discounts(&changed).map_err(ResellerPriceError::TooCheap)?;
    check_tiers(&changed, &changed.tiers).map_err(ResellerPriceError::Tier)
}

/// A quantity tier that would take one of a product's prices below [`MIN_UNIT_PRICE`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierTooCheap {
    pub product_id: i64,
    pub name: String,
    pub kind: PriceKind,
    /// The price the tier applies to (after the discount named, if any).
    pub price: i64,
    pub discount: Option<Discount>,
    pub tier: Tier,
    /// What the tier would leave.
    pub after: i64,
}

/// `/tier`: every tier of `tiers` (shaped by `tiers::validate`) must leave each base price of
/// `product` at [`MIN_UNIT_PRICE`] or more, under each discount that may apply (none, its own,
/// its category's), like the discount commands' rule.
pub fn check_tiers(product: &Product, tiers: &[Tier]) -> Result<(), TierTooCheap> {
    let Some(tier) = tiers::deepest(tiers) else { return Ok(()) };
    let bases = [(PriceKind::Customer, Some(product.price)), (PriceKind::Reseller, product.reseller_price)];
    for (kind, base) in bases {
        let Some(base) = base else { continue };
        for discount in [None, product.discount, product.category_discount] {
            let price = apply(base, discount);
            let after = apply_tier(price, tier.percent);
            if after < MIN_UNIT_PRICE {
                return Err(TierTooCheap {
                    product_id: product.id,
                    name: product.name.clone(),
                    kind,
                    price,
                    discount,
                    tier,
                    after,
                });
            }
        }
    }
    Ok(())
}

/// The price `discount` leaves of `base`, without the floor at zero (negative = how far below).
fn after_discount(base: i64, discount: Discount) -> i64 {
    match discount {
        Discount::Nominal(n) => base.saturating_sub(n.max(0)),
        Discount::Percent(_) => apply(base, Some(discount)),
    }
}

/// Quantity × unit price, saturating (a total this large is refused by the checkout bounds).
pub fn subtotal(unit: i64, quantity: i64) -> i64 {
    unit.saturating_mul(quantity.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn product(price: i64, reseller: Option<i64>, d: Option<Discount>, cd: Option<Discount>) -> Product {
        Product {
            id: 1,
            name: "Netflix".into(),
            description: String::new(),
            category: None,
            price,
            reseller_price: reseller,
            discount: d,
            category_discount: cd,
            sold_count: 0,
            active: true,
            stock: 1,
            tiers: Vec::new(),
            warranty_days: 0,
        }
    }

    #[test]
    fn spec_examples() {
        let p = product(30_000, Some(25_000), None, None);
        assert_eq!(unit_price(&p, Role::Customer, 1), 30_000);
        assert_eq!(unit_price(&p, Role::Reseller, 1), 25_000);
        assert_eq!(unit_price(&p, Role::Admin, 1), 30_000);
        let p = product(30_000, None, Some(Discount::Percent(10)), Some(Discount::Percent(50)));
        assert_eq!(unit_price(&p, Role::Customer, 1), 27_000, "product discount wins over category");
        let p = product(30_000, None, None, Some(Discount::Nominal(5_000)));
        assert_eq!(unit_price(&p, Role::Customer, 1), 25_000);
        let p = product(999, None, Some(Discount::Percent(15)), None);
        assert_eq!(unit_price(&p, Role::Customer, 1), 849, "849.15 rounds down");
        let p = product(5_000, None, Some(Discount::Nominal(9_000)), None);
        assert_eq!(unit_price(&p, Role::Customer, 1), 0);
    }

    #[test]
    fn reseller_never_pays_more() {
        let p = product(10_000, Some(12_000), None, None);
        assert_eq!(unit_price(&p, Role::Reseller, 1), 10_000);
    }

    fn discount() -> impl Strategy<Value = Option<Discount>> {
        prop_oneof![
            Just(None),
            (0i64..=100).prop_map(|p| Some(Discount::Percent(p))),
            (0i64..=10_000_000).prop_map(|n| Some(Discount::Nominal(n))),
        ]
    }

    #[test]
    fn discounts_that_make_a_product_free_are_refused() {
        let p = product(30_000, None, None, None);
        let err = check_discount(&p, Discount::Nominal(100_000)).unwrap_err();
        assert_eq!((err.product_id, err.base, err.after, err.kind), (Some(1), 30_000, -70_000, PriceKind::Customer));
        assert_eq!((err.max_nominal(), err.max_percent()), (29_999, 99));
        assert!(check_discount(&p, Discount::Percent(100)).is_err());
        assert!(check_discount(&p, Discount::Nominal(30_000)).is_err());
        assert_eq!(check_discount(&p, Discount::Nominal(29_999)), Ok(()));
        assert_eq!(check_discount(&p, Discount::Percent(99)), Ok(()));
        // The reseller price is checked too.
        let p = product(30_000, Some(5_000), None, None);
        let err = check_discount(&p, Discount::Nominal(5_000)).unwrap_err();
        assert_eq!((err.kind, err.base, err.max_nominal()), (PriceKind::Reseller, 5_000, 4_999));
        // Rp1 allows no discount at all; Rp50 allows 98% (Rp1 left).
        assert_eq!((max_percent_discount(1), max_nominal_discount(1)), (0, 0));
        assert_eq!(max_percent_discount(50), 98);
        assert_eq!(min_base_price(Discount::Nominal(20_000)), Some(20_001));
        assert_eq!(min_base_price(Discount::Percent(100)), None);
        assert_eq!(min_base_price(Discount::Percent(99)), Some(100));
        assert_eq!(min_base_price(Discount::Percent(50)), Some(2));
    }

    #[test]
    fn reseller_prices_stay_at_or_below_the_customer_price() {
        let p = product(30_000, None, None, None);
        assert_eq!(check_reseller_price(&p, 30_000), Ok(()));
        assert!(matches!(
            check_reseller_price(&p, 30_001),
            Err(ResellerPriceError::AboveCustomer { customer: 30_000, reseller: 30_001, .. })
        ));
        // A category discount of Rp10.000 would make a Rp10.000 reseller price free.
        let p = product(30_000, None, None, Some(Discount::Nominal(10_000)));
        assert!(matches!(check_reseller_price(&p, 10_000), Err(ResellerPriceError::TooCheap(_))));
        assert_eq!(check_reseller_price(&p, 10_001), Ok(()));
    }

    proptest! {
        #[test]
        fn an_accepted_discount_never_makes_a_product_free(
            price in 1i64..=100_000_000, reseller in proptest::option::of(1i64..=100_000_000),
            d in discount(), cd in discount(), own in any::<bool>()) {
            let p = product(price, reseller, None, None);
            let Some(new) = (if own { d } else { cd }) else { return Ok(()) };
            let after = if own { Product { discount: Some(new), ..p.clone() } }
                        else { Product { category_discount: Some(new), ..p.clone() } };
            match check_discount(&p, new) {
                Ok(()) => {
                    prop_assert!(unit_price(&after, Role::Customer, 1) >= MIN_UNIT_PRICE);
                    prop_assert!(unit_price(&after, Role::Reseller, 1) >= MIN_UNIT_PRICE);
                }
                Err(e) => {
                    prop_assert!(e.after < MIN_UNIT_PRICE);
                    // The limit it names is exact: one rupiah / percent less is accepted.
                    let base = product(e.base, None, None, None);
                    prop_assert!(check_discount(&base, Discount::Nominal(e.max_nominal())).is_ok());
                    prop_assert!(check_discount(&base, Discount::Nominal(e.max_nominal() + 1)).is_err());
                    if e.max_percent() > 0 {
                        prop_assert!(check_discount(&base, Discount::Percent(e.max_percent())).is_ok());
                    }
                    prop_assert!(check_discount(&base, Discount::Percent(e.max_percent() + 1)).is_err());
                }
            }
        }

        #[test]
        fn min_base_price_is_exact(d in discount()) {
            let Some(d) = d else { return Ok(()) };
            match min_base_price(d) {
                Some(min) => {
                    prop_assert!(check_discount(&product(min, None, None, None), d).is_ok());
                    if min > 1 {
                        prop_assert!(check_discount(&product(min - 1, None, None, None), d).is_err());
                    }
                }
                None => prop_assert!(check_discount(&product(100_000_000, None, None, None), d).is_err()),
            }
        }

        #[test]
        fn an_accepted_reseller_price_keeps_every_price_paid(
            price in 1i64..=100_000_000, reseller in 1i64..=100_000_000, d in discount(), cd in discount()) {
            let p = product(price, None, d, cd);
            if check_discounts(&p).is_err() { return Ok(()) }
            if check_reseller_price(&p, reseller).is_ok() {
                let after = Product { reseller_price: Some(reseller), ..p };
                prop_assert!(reseller <= price);
                prop_assert!(unit_price(&after, Role::Reseller, 1) >= MIN_UNIT_PRICE);
                prop_assert!(unit_price(&after, Role::Reseller, 1) <= unit_price(&after, Role::Customer, 1));
            }
        }

        #[test]
        fn price_is_bounded(price in 1i64..=100_000_000, reseller in proptest::option::of(1i64..=100_000_000),
                            d in discount(), cd in discount()) {
            let p = product(price, reseller, d, cd);
            let customer = unit_price(&p, Role::Customer, 1);
            let res = unit_price(&p, Role::Reseller, 1);
            prop_assert!(customer >= 0 && customer <= price);
            prop_assert!(res >= 0 && res <= customer);
            if reseller.is_none() { prop_assert_eq!(res, customer); }
        }

        #[test]
        fn percent_rounds_in_customer_favour(price in 1i64..=100_000_000, pct in 0i64..=100) {
            let p = product(price, None, Some(Discount::Percent(pct)), None);
            let got = unit_price(&p, Role::Customer, 1);
            // exact = price * (100 - pct) / 100; we never charge above it, and lose < 1 rupiah.
            prop_assert!(i128::from(got) * 100 <= i128::from(price) * i128::from(100 - pct));
            prop_assert!(i128::from(got + 1) * 100 > i128::from(price) * i128::from(100 - pct));
        }

        /// A customer never pays more per item for more items (issue 18 point 5), whatever the
        /// role, the discounts and the tiers.
        #[test]
        fn price_per_item_never_rises_with_the_quantity(
            p in any_product(), role in prop_oneof![Just(Role::Customer), Just(Role::Reseller)],
            qty in 1i64..=200, more in 1i64..=200) {
            prop_assert!(unit_price(&p, role, qty + more) <= unit_price(&p, role, qty));
        }

        /// A reseller never pays more than a customer at the same quantity.
        #[test]
        fn reseller_never_pays_more_at_any_quantity(p in any_product(), qty in 1i64..=200) {
            prop_assert!(unit_price(&p, Role::Reseller, qty) <= unit_price(&p, Role::Customer, qty));
        }

        /// Tiers, discounts and the reseller price the admin's checks accepted (in any order)
        /// never take a price below MIN_UNIT_PRICE at any quantity.
        #[test]
        fn accepted_tiers_never_go_below_the_minimum(
            // Small prices: where a tier or a discount reaches the minimum.
            price in 1i64..=300, reseller in proptest::option::of(1i64..=300),
            d in small_discount(), cd in small_discount(), t in tier_list(), tiers_first in any::<bool>(),
            qty in 1i64..=200) {
            let mut p = product(price, None, None, None);
            let set_tiers = |p: &mut Product| {
                if check_tiers(p, &t).is_ok() { p.tiers = t.clone(); }
            };
            if tiers_first { set_tiers(&mut p); }
            if let Some(r) = reseller {
                if check_reseller_price(&p, r).is_ok() { p.reseller_price = Some(r); }
            }
            if let Some(d) = d { if check_discount(&p, d).is_ok() { p.discount = Some(d); } }
            if let Some(cd) = cd { if check_discount(&p, cd).is_ok() { p.category_discount = Some(cd); } }
            if !tiers_first { set_tiers(&mut p); }
            prop_assert!(unit_price(&p, Role::Customer, qty) >= MIN_UNIT_PRICE);
            prop_assert!(unit_price(&p, Role::Reseller, qty) >= MIN_UNIT_PRICE);
        }

        /// The tier percent rounds down to the rupiah (in the customer's favour) and loses less
        /// than one rupiah per item; the written order of rules holds: discount first, then tier.
        #[test]
        fn tiers_round_in_the_customers_favour(p in any_product(), qty in 1i64..=200) {
            let no_tiers = Product { tiers: Vec::new(), ..p.clone() };
            let before = unit_price(&no_tiers, Role::Customer, qty);
            let pct = applied_tier(&p, qty).map_or(0, |t| t.percent);
            let got = unit_price(&p, Role::Customer, qty);
            prop_assert!(i128::from(got) * 100 <= i128::from(before) * i128::from(100 - pct));
            prop_assert!(i128::from(got + 1) * 100 > i128::from(before) * i128::from(100 - pct));
        }
    }

    fn small_discount() -> impl Strategy<Value = Option<Discount>> {
        prop_oneof![
            Just(None),
            (1i64..=100).prop_map(|p| Some(Discount::Percent(p))),
            (1i64..=300).prop_map(|n| Some(Discount::Nominal(n))),
        ]
    }

    fn tier_list() -> impl Strategy<Value = Vec<Tier>> {
        proptest::collection::vec((1i64..=10, 1i64..=30), 0..=5)
            .prop_map(|steps| {
                let (mut q, mut pct) = (1, 0);
                steps
                    .into_iter()
                    .map(|(dq, dp)| {
                        q += dq;
                        pct = (pct + dp).min(crate::domain::tiers::MAX_TIER_PERCENT);
                        Tier { min_qty: q, percent: pct }
                    })
                    .collect::<Vec<_>>()
            })
            .prop_filter("valid tiers", |t| crate::domain::tiers::validate(t).is_ok())
    }

    fn any_product() -> impl Strategy<Value = Product> {
        (1i64..=1_000_000, proptest::option::of(1i64..=1_000_000), discount(), discount(), tier_list())
            .prop_map(|(price, reseller, d, cd, tiers)| Product { tiers, ..product(price, reseller, d, cd) })
    }

    #[test]
    fn tiers_follow_the_written_order() {
        let tiers = vec![Tier { min_qty: 5, percent: 10 }, Tier { min_qty: 10, percent: 15 }];
        let p = Product { tiers, ..product(30_000, Some(25_000), Some(Discount::Nominal(5_000)), None) };
        assert_eq!(unit_price(&p, Role::Customer, 4), 25_000);
        assert_eq!(unit_price(&p, Role::Customer, 5), 22_500, "(30.000 − 5.000) × 90 %");
        assert_eq!(unit_price(&p, Role::Customer, 10), 21_250);
        assert_eq!(unit_price(&p, Role::Reseller, 5), 18_000, "(25.000 − 5.000) × 90 %");
        assert_eq!(applied_tier(&p, 7), Some(Tier { min_qty: 5, percent: 10 }));
        // 4 × Rp100 = Rp400 but 5 × Rp90 = Rp450: the total may grow, never the price per item.
        let p = Product { tiers: vec![Tier { min_qty: 5, percent: 10 }], ..product(100, None, None, None) };
        assert_eq!(
            (subtotal(unit_price(&p, Role::Customer, 4), 4), subtotal(unit_price(&p, Role::Customer, 5), 5)),
            (400, 450)
        );
    }

    #[test]
    fn tiers_that_make_a_price_too_low_are_refused() {
        let tiers = vec![Tier { min_qty: 5, percent: 50 }];
        let p = product(3, None, None, None);
        assert_eq!(check_tiers(&p, &tiers), Ok(()), "Rp3 − 50 % = Rp1");
        let p = product(1, None, None, None);
        let err = check_tiers(&p, &tiers).unwrap_err();
        assert_eq!((err.kind, err.price, err.after, err.discount), (PriceKind::Customer, 1, 0, None));
        // The reseller price under the category discount is checked too.
        let p = product(30_000, Some(2_000), None, Some(Discount::Nominal(1_999)));
        let err = check_tiers(&p, &tiers).unwrap_err();
        assert_eq!((err.kind, err.price, err.discount), (PriceKind::Reseller, 1, Some(Discount::Nominal(1_999))));
        // A discount after the tiers is checked with the deepest tier on top.
        let p = Product { tiers, ..product(100, None, None, None) };
        let err = check_discount(&p, Discount::Nominal(99)).unwrap_err();
        assert_eq!((err.tier_percent, err.max_nominal()), (50, 98));
        assert!(check_discount(&p, Discount::Nominal(98)).is_ok());
        assert!(check_discount(&p, Discount::Percent(err.max_percent())).is_ok());
        assert!(check_discount(&p, Discount::Percent(err.max_percent() + 1)).is_err());
        assert!(matches!(check_reseller_price(&p, 1), Err(ResellerPriceError::Tier(_))));
    }
}
