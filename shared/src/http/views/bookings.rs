//! Bookings and payments on the wire. A booking keeps the original
//! contract's flat fields (`flightId`, `seatNumbers`, `seats`, `price` in
//! rupees) beside the richer ones (`legs`, money objects).

use super::fares::FareBrandBody;
use crate::domain::booking_actions::{still_due, BookingAction};
use crate::domain::booking_events::{Actor, BookingEvent, EventKind};
use crate::domain::fares::FareBrand;
use crate::domain::flight::FlightStatus;
use crate::domain::money::Money;
use crate::domain::seat_charges::SeatProduct;
use crate::domain::seating::Cabin;
use crate::domain::travellers::PassengerType;
use crate::service::bookings::{BookedLeg, BookingDetails, BookingPage, CancelledBooking};
use crate::service::payments::PaymentReceipt;
use crate::store::bookings::BookingRecord;
use crate::store::bookings::PassengerRow;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingBody<'a> {
    pub id: i64,
    pub booking_id: i64,
    pub pnr: &'a str,
    pub user_id: i64,
    pub status: &'static str,
    pub flight_id: Option<i64>,
    pub seat_numbers: Vec<&'a str>,
    pub seats: usize,
    /// The original contract's total, in rupees.
    pub price: f64,
    pub legs: Vec<LegBody<'a>>,
    pub passengers: Vec<PassengerBody<'a>>,
    /// The brand the booking chose.
    pub fare_brand: FareBrand,
    /// What that choice is in each cabin booked, with its conditions.
    pub fares: Vec<FareBrandBody>,
    pub total_amount: Money,
    pub discount: Money,
    /// Still to pay: nothing once paid or closed.
    pub amount_due: Money,
    pub amount_paid: Money,
    pub amount_refunded: Money,
    /// Routes the booking accepts now.
    pub available_actions: Vec<BookingAction>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegBody<'a> {
    pub slice: i32,
    pub leg: i32,
    pub flight_id: i64,
    pub flight_number: &'a str,
    pub origin: &'a str,
    pub destination: &'a str,
    pub departure_time: String,
    pub arrival_time: String,
    pub flight_status: Option<FlightStatus>,
    pub seats: Vec<BookedSeatBody<'a>>,
    /// Infants travelling on a lap on this leg, with their fares.
    pub infants: Vec<LapBody>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LapBody {
    pub passenger: i32,
    pub on_lap_of: Option<i32>,
    pub fare: Money,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookedSeatBody<'a> {
    pub seat_number: &'a str,
    pub cabin: &'a str,
    pub passenger: i32,
    /// What the seat costs its passenger, its seat charge included.
    pub fare: Money,
    /// The booking's brand as this seat's cabin sells it.
    pub fare_brand: Option<FareBrand>,
    /// What choosing this seat cost, when it cost anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seat_charge: Option<SeatChargeBody>,
    pub active: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatChargeBody {
    pub seat_product: SeatProduct,
    pub amount: Money,
}

/// A passenger: position and ticket name always; type, details and the
/// passport (its number masked) when they were given.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassengerBody<'a> {
    pub position: i32,
    pub name: &'a str,
    #[serde(rename = "type")]
    pub kind: PassengerType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infant_of: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passport: Option<PassportBody<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassportBody<'a> {
    /// The last four characters, the rest masked.
    pub number: String,
    pub issuing_country: Option<&'a str>,
    pub nationality: Option<&'a str>,
    pub expires_on: Option<String>,
}

impl<'a> From<&'a PassengerRow> for PassengerBody<'a> {
    fn from(p: &'a PassengerRow) -> Self {
        PassengerBody {
            position: p.position,
            name: &p.name,
            kind: p.kind,
            title: p.title.as_deref(),
            given_name: p.given_name.as_deref(),
            family_name: p.family_name.as_deref(),
            date_of_birth: p.date_of_birth.map(|d| d.to_string()),
            gender: p.gender.as_deref(),
            infant_of: p.infant_of,
            passport: p.passport_number.as_deref().map(|number| {
                let shown = number.len().saturating_sub(4);
                PassportBody {
                    number: format!("{}{}", "*".repeat(shown), &number[shown..]),
                    issuing_country: p.passport_issuing_country.as_deref(),
                    nationality: p.passport_nationality.as_deref(),
                    expires_on: p.passport_expires_on.map(|d| d.to_string()),
                }
            }),
        }
    }
}

impl<'a> BookingBody<'a> {
    pub fn new(details: &'a BookingDetails) -> Self {
        let record = &details.record;
        let money = |amount: i64| Money::new(amount, &record.currency);
        // The original's flat fields describe the first leg; after a change
        // of the first slice that is the first leg still held.
        let first_leg = record.seats.iter().filter(|s| s.live).map(|s| s.leg).min().unwrap_or(1);
        let seat_numbers: Vec<&str> =
            record.seats.iter().filter(|s| s.leg == first_leg).map(|s| s.seat.as_str()).collect();
        BookingBody {
            id: record.id,
            booking_id: record.id,
            pnr: &record.pnr,
            user_id: record.user_id,
            status: record.status.as_str(),
            flight_id: record.seats.iter().find(|s| s.leg == first_leg).map(|s| s.flight_id),
            seats: seat_numbers.len(),
            seat_numbers,
            price: record.total_amount as f64 / 100.0,
            legs: details.legs.iter().map(|leg| LegBody::new(leg, record)).collect(),
            passengers: record.passengers.iter().map(PassengerBody::from).collect(),
            fare_brand: record.fare_brand,
            fares: fares_booked(record),
            total_amount: money(record.total_amount),
            discount: money(record.discount_amount),
            amount_due: money(still_due(record.status, record.amount_due)),
            amount_paid: money(details.ledger.paid),
            amount_refunded: money(details.ledger.refunded),
            available_actions: details.available_actions(Utc::now()),
            expires_at: record.expires_at,
            created_at: record.created_at,
            paid_at: record.paid_at,
            cancelled_at: record.cancelled_at,
        }
    }
}

impl<'a> LegBody<'a> {
    fn new(leg: &'a BookedLeg, record: &BookingRecord) -> Self {
        let (currency, passengers) = (record.currency.as_str(), &record.passengers);
        LegBody {
            slice: leg.slice,
            leg: leg.leg,
            flight_id: leg.flight_id,
            flight_number: &leg.flight_number,
            origin: &leg.origin,
            destination: &leg.destination,
            departure_time: leg.departs_local.to_rfc3339(),
            arrival_time: leg.arrives_local.to_rfc3339(),
            flight_status: leg.flight_status,
            seats: leg
                .seats
                .iter()
                .map(|s| BookedSeatBody {
                    seat_number: &s.seat,
                    cabin: &s.cabin,
                    passenger: s.passenger_position,
                    fare: Money::new(s.fare, currency),
                    fare_brand: Cabin::parse(&s.cabin).and_then(|cabin| record.fare_brand.in_cabin(cabin)),
                    seat_charge: s.seat_charge.map(|(seat_product, amount)| SeatChargeBody {
                        seat_product,
                        amount: Money::new(amount, currency),
                    }),
                    active: s.live,
                })
                .collect(),
            infants: leg
                .laps
                .iter()
                .map(|l| LapBody {
                    passenger: l.passenger_position,
                    on_lap_of: passengers.iter().find(|p| p.position == l.passenger_position).and_then(|p| p.infant_of),
                    fare: Money::new(l.fare, currency),
                })
                .collect(),
        }
    }
}

/// The booking's brand in each cabin it has seats in, cabins in order.
fn fares_booked(record: &BookingRecord) -> Vec<FareBrandBody> {
    let cabins: BTreeSet<Cabin> = record.seats.iter().filter_map(|s| Cabin::parse(&s.cabin)).collect();
    cabins
        .into_iter()
        .filter_map(|cabin| Some(FareBrandBody::new(record.fare_brand.in_cabin(cabin)?, cabin, &record.currency)))
        .collect()
}

/// `GET /api/bookings`: a page of the caller's bookings.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingListBody<'a> {
    pub bookings: Vec<BookingBody<'a>>,
    pub count: usize,
    pub next_cursor: Option<&'a str>,
}

impl<'a> BookingListBody<'a> {
    pub fn new(page: &'a BookingPage) -> Self {
        BookingListBody {
            bookings: page.bookings.iter().map(BookingBody::new).collect(),
            count: page.bookings.len(),
            next_cursor: page.next_cursor.as_deref(),
        }
    }
}

/// `POST /api/bookings/{id}/cancel`: the booking and what was refunded.
#[derive(Serialize)]
pub struct CancelledBookingBody<'a> {
    #[serde(flatten)]
    pub booking: BookingBody<'a>,
    pub refund: Money,
}

impl<'a> CancelledBookingBody<'a> {
    pub fn new(cancelled: &'a CancelledBooking) -> Self {
        CancelledBookingBody { booking: BookingBody::new(&cancelled.booking), refund: cancelled.refund.clone() }
    }
}

/// `POST /api/payments/pay`: the payment and the booking it paid.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentBody<'a> {
    pub payment_id: i64,
    pub booking_id: i64,
    pub status: &'static str,
    pub amount: Money,
    pub method: &'a str,
    pub card_last4: Option<&'a str>,
    pub gateway_reference: &'a str,
    pub ticketing: &'static str,
    pub booking: BookingBody<'a>,
}

impl<'a> PaymentBody<'a> {
    pub fn new(receipt: &'a PaymentReceipt) -> Self {
        PaymentBody {
            payment_id: receipt.payment_id,
            booking_id: receipt.booking.record.id,
            status: "SUCCEEDED",
            amount: receipt.amount.clone(),
            method: &receipt.method,
            card_last4: receipt.card_last4.as_deref(),
            gateway_reference: &receipt.gateway_reference,
            ticketing: "QUEUED",
            booking: BookingBody::new(&receipt.booking),
        }
    }
}

/// `GET /api/bookings/{id}/events`: the booking's timeline.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingEventsBody<'a> {
    pub booking_id: i64,
    pub pnr: &'a str,
    pub status: &'static str,
    pub events: Vec<BookingEventBody<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingEventBody<'a> {
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub amount: Option<Money>,
    pub detail: Option<&'a str>,
}

impl<'a> BookingEventsBody<'a> {
    pub fn new(record: &'a BookingRecord, events: &'a [BookingEvent]) -> Self {
        BookingEventsBody {
            booking_id: record.id,
            pnr: &record.pnr,
            status: record.status.as_str(),
            events: events
                .iter()
                .map(|e| BookingEventBody {
                    kind: e.kind,
                    at: e.at,
                    actor: e.actor,
                    amount: e.amount.map(|a| Money::new(a, &record.currency)),
                    detail: e.detail.as_deref(),
                })
                .collect(),
        }
    }
}
