//! Change quotes on the wire: the figures as money, the new legs with
//! their seats, and, once confirmed, the booking after the change.

use super::bookings::BookingBody;
use crate::domain::money::Money;
use crate::service::bookings::ConfirmedChange;
use crate::store::changes::{ChangeQuoteRow, QuotedLeg};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotedLegBody<'a> {
    pub flight_id: i64,
    pub cabin: &'a str,
    pub seat_numbers: &'a [String],
    /// What each seated passenger pays on this leg, with their positions.
    pub fares: Vec<PassengerFareBody>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassengerFareBody {
    pub passenger: i32,
    pub fare: Money,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeQuoteBody<'a> {
    pub id: i64,
    pub booking_id: i64,
    pub slice: i32,
    pub legs: Vec<QuotedLegBody<'a>>,
    /// New fares less what the slice was paid (negative: cheaper).
    pub fare_difference: Money,
    pub penalty_amount: Money,
    /// Charged at confirm when positive, refunded when negative.
    pub total_due: Money,
    pub status: &'static str,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl<'a> ChangeQuoteBody<'a> {
    pub fn new(quote: &'a ChangeQuoteRow) -> Self {
        let money = |amount| Money::new(amount, &quote.currency);
        let leg = |leg: &'a QuotedLeg| QuotedLegBody {
            flight_id: leg.flight_id,
            cabin: &leg.cabin,
            seat_numbers: &leg.seats,
            fares: leg
                .positions
                .iter()
                .zip(&leg.fares)
                .map(|(passenger, fare)| PassengerFareBody { passenger: *passenger, fare: money(*fare) })
                .chain(
                    leg.laps
                        .iter()
                        .map(|(passenger, fare)| PassengerFareBody { passenger: *passenger, fare: money(*fare) }),
                )
                .collect(),
        };
        ChangeQuoteBody {
            id: quote.id,
            booking_id: quote.booking_id,
            slice: quote.slice,
            legs: quote.legs.iter().map(leg).collect(),
            fare_difference: money(quote.fare_difference),
            penalty_amount: money(quote.penalty),
            total_due: money(quote.total_due),
            status: if quote.confirmed { "CONFIRMED" } else { "QUOTED" },
            expires_at: quote.expires_at,
            created_at: quote.created_at,
            confirmed_at: quote.confirmed_at,
        }
    }
}

/// `POST /api/change-quotes/{id}/confirm`: the quote, what was charged or
/// refunded, the note issued and the booking after the change.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmedChangeBody<'a> {
    pub quote: ChangeQuoteBody<'a>,
    pub charged: Money,
    pub refunded: Money,
    /// The debit note (charged) or credit note (refunded) issued.
    pub document_number: Option<&'a str>,
    pub booking: BookingBody<'a>,
}

impl<'a> ConfirmedChangeBody<'a> {
    pub fn new(confirmed: &'a ConfirmedChange) -> Self {
        let due = confirmed.quote.total_due;
        let money = |amount| Money::new(amount, &confirmed.quote.currency);
        ConfirmedChangeBody {
            quote: ChangeQuoteBody::new(&confirmed.quote),
            charged: money(due.max(0)),
            refunded: money((-due).max(0)),
            document_number: confirmed.document.as_deref(),
            booking: BookingBody::new(&confirmed.booking),
        }
    }
}
