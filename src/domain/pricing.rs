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

    proptest! {
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
