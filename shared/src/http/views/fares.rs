//! Fare brands on the wire: a brand with what it allows, its penalties as
//! money in the fare's currency.

use crate::domain::fares::{Allowance, FareBrand, NoShowRefund};
use crate::domain::money::Money;
use crate::domain::seating::Cabin;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowanceBody {
    pub allowed: bool,
    /// Per passenger with a seat, per slice.
    pub penalty: Money,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionsBody {
    pub refund_before_departure: AllowanceBody,
    pub change_before_departure: AllowanceBody,
    pub no_show: NoShowRefund,
    pub cabin_baggage_kg: u8,
    pub checked_baggage_kg: u8,
    pub standard_seat_selection_free: bool,
}

/// A brand as sold in one cabin.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FareBrandBody {
    pub brand: FareBrand,
    pub name: &'static str,
    pub cabin: Cabin,
    pub conditions: ConditionsBody,
}

impl FareBrandBody {
    pub fn new(brand: FareBrand, cabin: Cabin, currency: &str) -> Self {
        let c = brand.conditions();
        let allowance = |a: Allowance| AllowanceBody { allowed: a.allowed, penalty: Money::new(a.penalty, currency) };
        FareBrandBody {
            brand,
            name: brand.name(),
            cabin,
            conditions: ConditionsBody {
                refund_before_departure: allowance(c.refund_before_departure),
                change_before_departure: allowance(c.change_before_departure),
                no_show: c.no_show,
                cabin_baggage_kg: c.cabin_baggage_kg,
                checked_baggage_kg: c.checked_baggage_kg,
                standard_seat_selection_free: c.standard_seat_selection_free,
            },
        }
    }
}
