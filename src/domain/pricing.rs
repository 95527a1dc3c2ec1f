//! The one pricing rule (SPEC §5). Every screen, checkout and export asks this function.

use super::{
    catalog::{Discount, Product},
    role::Role,
};

/// The unit price `role` pays for `product`: the reseller price for resellers when one is set,
/// else the customer price; then the product discount, or if none the category discount.
/// A reseller never pays more than a customer would. Percent discounts round down to the rupiah
/// (in the customer's favour). Never negative.
pub fn unit_price(product: &Product, role: Role) -> i64 {
    let discount = product.discount.or(product.category_discount);
    let customer = apply(product.price, discount);
    match (role, product.reseller_price) {
        (Role::Reseller, Some(reseller)) => apply(reseller, discount).min(customer),
        _ => customer,
    }
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
    /// What the discount would leave (≤ 0 means free).
    pub after: i64,
}

impl TooCheap {
    /// The largest nominal discount `base` allows.
    pub fn max_nominal(&self) -> i64 {
        max_nominal_discount(self.base)
    }

    /// The largest percent discount `base` allows (0 = none at all).
    pub fn max_percent(&self) -> i64 {
        max_percent_discount(self.base)
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
/// today: a category discount applies as soon as the product's own discount is removed.
pub fn check_discount(product: &Product, discount: Discount) -> Result<(), TooCheap> {
    let bases = [(PriceKind::Customer, Some(product.price)), (PriceKind::Reseller, product.reseller_price)];
    for (kind, base) in bases {
        let Some(base) = base else { continue };
        let after = after_discount(base, discount);
        if after < MIN_UNIT_PRICE {
            return Err(TooCheap {
                product_id: (product.id > 0).then_some(product.id),
                name: product.name.clone(),
                kind,
                base,
                discount,
                after,
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
    check_discounts(&changed).map_err(ResellerPriceError::TooCheap)
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
            warranty_days: 0,
        }
    }

    #[test]
    fn spec_examples() {
        let p = product(30_000, Some(25_000), None, None);
        assert_eq!(unit_price(&p, Role::Customer), 30_000);
        assert_eq!(unit_price(&p, Role::Reseller), 25_000);
        assert_eq!(unit_price(&p, Role::Admin), 30_000);
        let p = product(30_000, None, Some(Discount::Percent(10)), Some(Discount::Percent(50)));
        assert_eq!(unit_price(&p, Role::Customer), 27_000, "product discount wins over category");
        let p = product(30_000, None, None, Some(Discount::Nominal(5_000)));
        assert_eq!(unit_price(&p, Role::Customer), 25_000);
        let p = product(999, None, Some(Discount::Percent(15)), None);
        assert_eq!(unit_price(&p, Role::Customer), 849, "849.15 rounds down");
        let p = product(5_000, None, Some(Discount::Nominal(9_000)), None);
        assert_eq!(unit_price(&p, Role::Customer), 0);
    }

    #[test]
    fn reseller_never_pays_more() {
        let p = product(10_000, Some(12_000), None, None);
        assert_eq!(unit_price(&p, Role::Reseller), 10_000);
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
                    prop_assert!(unit_price(&after, Role::Customer) >= MIN_UNIT_PRICE);
                    prop_assert!(unit_price(&after, Role::Reseller) >= MIN_UNIT_PRICE);
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
                prop_assert!(unit_price(&after, Role::Reseller) >= MIN_UNIT_PRICE);
                prop_assert!(unit_price(&after, Role::Reseller) <= unit_price(&after, Role::Customer));
            }
        }

        #[test]
        fn price_is_bounded(price in 1i64..=100_000_000, reseller in proptest::option::of(1i64..=100_000_000),
                            d in discount(), cd in discount()) {
            let p = product(price, reseller, d, cd);
            let customer = unit_price(&p, Role::Customer);
            let res = unit_price(&p, Role::Reseller);
            prop_assert!(customer >= 0 && customer <= price);
            prop_assert!(res >= 0 && res <= customer);
            if reseller.is_none() { prop_assert_eq!(res, customer); }
        }

        #[test]
        fn percent_rounds_in_customer_favour(price in 1i64..=100_000_000, pct in 0i64..=100) {
            let p = product(price, None, Some(Discount::Percent(pct)), None);
            let got = unit_price(&p, Role::Customer);
            // exact = price * (100 - pct) / 100; we never charge above it, and lose < 1 rupiah.
            prop_assert!(i128::from(got) * 100 <= i128::from(price) * i128::from(100 - pct));
            prop_assert!(i128::from(got + 1) * 100 > i128::from(price) * i128::from(100 - pct));
        }
    }
}
