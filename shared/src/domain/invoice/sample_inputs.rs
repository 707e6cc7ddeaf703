//! The invoice inputs the tests build on: one buyer, issued 14 March 2025, lines on the
//! routes below.

use chrono::{NaiveDate, TimeZone, Utc};

use super::{InvoiceInput, InvoiceLineInput};
use crate::domain::seating::Cabin;

pub(super) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(super) fn line(
    passenger: &str,
    route: (&str, &str, &str),
    cabin: Cabin,
    seat: &str,
    fare: i64,
) -> InvoiceLineInput {
    let (origin, origin_country, destination) = route;
    InvoiceLineInput {
        passenger_type: crate::domain::travellers::PassengerType::Adult,
        passenger: passenger.to_string(),
        flight_number: "AI 101".to_string(),
        origin: origin.to_string(),
        origin_country: origin_country.to_string(),
        destination: destination.to_string(),
        departure_date: date(2025, 3, 20),
        cabin,
        seat: seat.to_string(),
        ticket_number: format!("098{:010}", fare + seat.len() as i64),
        fare,
        seat_product: None,
    }
}

pub(super) fn input(lines: Vec<InvoiceLineInput>, discount: i64, cashback: i64) -> InvoiceInput {
    InvoiceInput {
        invoice_number: "FB/2024-25/000123".to_string(),
        issued_at: Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0).unwrap(),
        pnr: "X7K2QP".to_string(),
        buyer_name: "Asha Verma".to_string(),
        buyer_email: "asha@example.com".to_string(),
        currency: "INR".to_string(),
        lines,
        discount,
        cashback,
        discount_code: None,
    }
}

pub(super) const DEL_BOM: (&str, &str, &str) = ("DEL", "IN", "BOM");
pub(super) const BOM_DEL: (&str, &str, &str) = ("BOM", "IN", "DEL");
pub(super) const SIN_DEL: (&str, &str, &str) = ("SIN", "SG", "DEL");
