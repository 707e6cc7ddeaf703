//! Discount code rules: validity, minimum fare, and the amount a code takes
//! off a booking. Usage limits are counted atomically by the store.

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscountKind {
    /// `value` minor units off.
    Flat,
    /// `value` percent off, at most `max_discount`.
    Percent,
}

#[derive(Clone, Debug)]
pub struct DiscountCode {
    pub code: String,
    pub description: String,
    pub kind: DiscountKind,
    pub value: i64,
    pub max_discount: Option<i64>,
    pub min_fare: i64,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub active: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    Inactive,
    NotYetValid,
    Expired,
    BelowMinimumFare { min_fare: i64 },
}

/// The amount `code` takes off a booking whose fares total `total` and of
/// which `payable` is still the customer's money to discount (never more).
pub fn discount_amount(code: &DiscountCode, total: i64, payable: i64, now: DateTime<Utc>) -> Result<i64, Rejection> {
    if !code.active {
        return Err(Rejection::Inactive);
    }
    if now < code.valid_from {
        return Err(Rejection::NotYetValid);
    }
    if now >= code.valid_until {
        return Err(Rejection::Expired);
    }
    if total < code.min_fare {
        return Err(Rejection::BelowMinimumFare { min_fare: code.min_fare });
    }
    let raw = match code.kind {
        DiscountKind::Flat => code.value,
        DiscountKind::Percent => {
            let percent = total.saturating_mul(code.value) / 100;
            code.max_discount.map_or(percent, |cap| percent.min(cap))
        }
    };
    Ok(raw.min(payable).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn code(kind: DiscountKind, value: i64) -> DiscountCode {
        let now = Utc::now();
        DiscountCode {
            code: "X".into(),
            description: "x".into(),
            kind,
            value,
            max_discount: Some(75_000),
            min_fare: 100_000,
            valid_from: now - Duration::days(1),
            valid_until: now + Duration::days(1),
            active: true,
        }
    }

    #[test]
    fn flat_and_capped_percent() {
        let now = Utc::now();
        assert_eq!(discount_amount(&code(DiscountKind::Flat, 10_000), 500_000, 500_000, now), Ok(10_000));
        assert_eq!(discount_amount(&code(DiscountKind::Percent, 10), 500_000, 500_000, now), Ok(50_000));
        assert_eq!(discount_amount(&code(DiscountKind::Percent, 50), 500_000, 500_000, now), Ok(75_000), "capped");
        assert_eq!(
            discount_amount(&code(DiscountKind::Flat, 900_000), 500_000, 200_000, now),
            Ok(200_000),
            "never more than payable"
        );
    }

    #[test]
    fn rejections() {
        let now = Utc::now();
        let mut c = code(DiscountKind::Flat, 100);
        assert_eq!(discount_amount(&c, 50_000, 50_000, now), Err(Rejection::BelowMinimumFare { min_fare: 100_000 }));
        c.active = false;
        assert_eq!(discount_amount(&c, 500_000, 500_000, now), Err(Rejection::Inactive));
        c.active = true;
        assert_eq!(discount_amount(&c, 500_000, 500_000, now + Duration::days(2)), Err(Rejection::Expired));
        assert_eq!(discount_amount(&c, 500_000, 500_000, now - Duration::days(2)), Err(Rejection::NotYetValid));
    }
}
