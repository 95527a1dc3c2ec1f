//! What a customer buys and what it costs: the one place a purchase's amounts are worked out.

/// What to buy: one product line, or a deposit amount.
#[derive(Clone, Debug)]
pub enum Purchase {
    /// `voucher`: (voucher id, voucher amount) applied to this order.
    Product {
        product_id: i64,
        quantity: i64,
        unit_price: i64,
        voucher: Option<(i64, i64)>,
    },
    Deposit {
        amount: i64,
    },
}

impl Purchase {
    /// (subtotal, voucher discount): the one place a purchase's amounts are worked out; the
    /// order row, the summary, the balance check and the anomaly rules all ask this.
    pub fn amounts(&self) -> (i64, i64) {
        match self {
            Purchase::Product { quantity, unit_price, voucher, .. } => {
                let sub = super::pricing::subtotal(*unit_price, *quantity);
                (sub, voucher.map_or(0, |(_, v)| super::campaign::voucher_discount(v, sub)))
            }
            Purchase::Deposit { amount } => (*amount, 0),
        }
    }

    /// What the customer pays (before Pakasir's fee).
    pub fn total(&self) -> i64 {
        let (sub, discount) = self.amounts();
        sub - discount
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_voucher_never_makes_a_total_negative(unit in 1i64..1_000_000, qty in 1i64..100, voucher in 0i64..10_000_000) {
            let p = Purchase::Product { product_id: 1, quantity: qty, unit_price: unit, voucher: Some((1, voucher)) };
            let (sub, discount) = p.amounts();
            prop_assert_eq!(sub, unit * qty);
            prop_assert!(discount >= 0 && discount <= sub);
            prop_assert!(p.total() >= 0);
        }
    }

    #[test]
    fn a_deposit_costs_its_amount() {
        assert_eq!(Purchase::Deposit { amount: 50_000 }.amounts(), (50_000, 0));
    }
}
