//! The wire format: each resource's response body as `Serialize` structs,
//! built from what the use cases return. Field names and shapes are the API
//! contract (`../shared/design/API.md`, `openapi/openapi.json`); nothing
//! below `http` knows them.

pub mod accounts;
pub mod bookings;
pub mod calendar;
pub mod cancellation_quotes;
pub mod changes;
pub mod discounts;
pub mod documents;
pub mod fares;
pub mod flights;
pub mod notifications;
pub mod schedule_changes;
pub mod seat_map;
pub mod seats;
pub mod tickets;

use crate::domain::money::Money;
use serde::Serialize;

/// Money in every response: minor units, the currency and a display string.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MoneyBody {
    pub amount: i64,
    pub currency: String,
    pub formatted: String,
}

impl MoneyBody {
    pub fn new(amount: i64, currency: &str) -> Self {
        MoneyBody::from(&Money::new(amount, currency))
    }
}

impl From<&Money> for MoneyBody {
    fn from(money: &Money) -> Self {
        MoneyBody { amount: money.amount, currency: money.currency.clone(), formatted: money.formatted() }
    }
}
