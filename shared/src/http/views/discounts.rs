//! A discount code applied to a booking, on the wire.

use crate::domain::discount::DiscountKind;
use crate::domain::money::Money;
use crate::service::discounts::{AppliedAs, AppliedDiscount};
use serde::Serialize;

/// `discounts-apply`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedDiscountBody<'a> {
    pub booking_id: i64,
    pub discount: DiscountBody<'a>,
    pub amount_due: Money,
    pub final_amount: Money,
    pub cashback: Money,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscountBody<'a> {
    pub code: &'a str,
    pub description: &'a str,
    /// `PERCENT` or `FLAT`.
    pub kind: &'static str,
    pub amount: Money,
    /// `DISCOUNT` or `CASHBACK`.
    pub applied_as: &'static str,
}

impl<'a> From<&'a AppliedDiscount> for AppliedDiscountBody<'a> {
    fn from(applied: &'a AppliedDiscount) -> Self {
        AppliedDiscountBody {
            booking_id: applied.booking_id,
            discount: DiscountBody {
                code: &applied.code,
                description: &applied.description,
                kind: match applied.kind {
                    DiscountKind::Percent => "PERCENT",
                    DiscountKind::Flat => "FLAT",
                },
                amount: applied.amount.clone(),
                applied_as: match applied.applied_as {
                    AppliedAs::Discount => "DISCOUNT",
                    AppliedAs::Cashback => "CASHBACK",
                },
            },
            amount_due: applied.amount_due.clone(),
            final_amount: applied.final_amount.clone(),
            cashback: applied.cashback.clone(),
        }
    }
}
