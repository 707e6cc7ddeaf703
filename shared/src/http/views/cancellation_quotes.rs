//! Cancellation quotes on the wire: every amount is money, per passenger
//! and slice with the rule that decided it.

use crate::domain::booking::BookingStatus;
use crate::domain::cancellation::{PartRule, PassengerRefund, SliceRefund};
use crate::domain::money::Money;
use crate::domain::travellers::PassengerType;
use crate::service::bookings::ConfirmedCancellation;
use crate::store::cancellation_quotes::{QuoteStatus, StoredQuote};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// `POST /api/bookings/{id}/cancellation-quotes`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancellationQuoteBody<'a> {
    pub id: i64,
    pub booking_id: i64,
    pub scope: ScopeBody<'a>,
    pub refund_amount: Money,
    pub penalty_amount: Money,
    /// Taken off because refunds never exceed what was paid (a cashback
    /// already given back).
    pub deducted_amount: Money,
    pub per_passenger: Vec<PassengerRefundBody<'a>>,
    /// Confirming it leaves the booking without a seat: it is cancelled.
    pub cancels_booking: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// `QUOTED`, `EXPIRED` (quoted, past `expiresAt`) or `CONFIRMED`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<i64>,
}

#[derive(Serialize)]
pub struct ScopeBody<'a> {
    pub passengers: &'a [i32],
    pub slices: &'a [i32],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassengerRefundBody<'a> {
    pub position: i32,
    pub name: &'a str,
    #[serde(rename = "type")]
    pub kind: PassengerType,
    pub refund_amount: Money,
    pub penalty_amount: Money,
    pub slices: Vec<SliceRefundBody<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SliceRefundBody<'a> {
    pub slice: i32,
    pub fare_brand: &'a str,
    pub paid_amount: Money,
    /// The GST inside what was paid: all a departed slice gives back.
    pub taxes_amount: Money,
    pub refund_amount: Money,
    pub penalty_amount: Money,
    pub rule: PartRule,
}

impl<'a> CancellationQuoteBody<'a> {
    pub fn new(stored: &'a StoredQuote, now: DateTime<Utc>) -> Self {
        let money = |amount: i64| Money::new(amount, &stored.currency);
        let slice = |s: &'a SliceRefund| SliceRefundBody {
            slice: s.slice,
            fare_brand: &s.fare_brand,
            paid_amount: money(s.paid),
            taxes_amount: money(s.taxes),
            refund_amount: money(s.refund),
            penalty_amount: money(s.penalty),
            rule: s.rule,
        };
        let passenger = |p: &'a PassengerRefund| PassengerRefundBody {
            position: p.position,
            name: &p.name,
            kind: p.kind,
            refund_amount: money(p.refund),
            penalty_amount: money(p.penalty),
            slices: p.slices.iter().map(slice).collect(),
        };
        let quote = &stored.quote;
        CancellationQuoteBody {
            id: stored.id,
            booking_id: stored.booking_id,
            scope: ScopeBody { passengers: &quote.passengers, slices: &quote.slices },
            refund_amount: money(quote.refund),
            penalty_amount: money(quote.penalty),
            deducted_amount: money(quote.deducted),
            per_passenger: quote.per_passenger.iter().map(passenger).collect(),
            cancels_booking: quote.closes_booking,
            created_at: stored.created_at,
            expires_at: stored.expires_at,
            status: match stored.status {
                QuoteStatus::Quoted if stored.expires_at <= now => "EXPIRED",
                status => status.as_str(),
            },
            confirmed_at: stored.confirmed_at,
            refund_id: stored.refund_id,
        }
    }
}

/// `POST /api/cancellation-quotes/{id}/confirm`: the quote as confirmed and
/// where the booking stands.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmedCancellationBody<'a> {
    #[serde(flatten)]
    pub quote: CancellationQuoteBody<'a>,
    pub booking_status: &'static str,
}

impl<'a> ConfirmedCancellationBody<'a> {
    pub fn new(confirmed: &'a ConfirmedCancellation, now: DateTime<Utc>) -> Self {
        let status: BookingStatus = confirmed.booking_status;
        ConfirmedCancellationBody {
            quote: CancellationQuoteBody::new(&confirmed.quote, now),
            booking_status: status.as_str(),
        }
    }
}
