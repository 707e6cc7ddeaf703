//! Voluntary changes of one slice of a paid, ticketed booking, as quote →
//! confirm. Quoting checks the new flights as a booking would (same route,
//! legs that connect, slices still in order), holds their seats for the
//! caller, prices them in the booking's brand and stores the figures
//! (`domain::change`). Confirming, in one transaction over the locked
//! booking and quote (`confirm`, over `ChangeBooks`), charges a positive
//! total through the mock gateway or refunds a negative one, moves the
//! slice's seats (`change_slice`: the live-seat index and the cabin counts
//! guard the new seats as they guard a booking), reissues the slice's
//! tickets and issues a debit or credit note.

mod confirm;
mod quote;

pub use confirm::confirm_change;
pub use quote::quote_change;

use super::BookingDetails;
use crate::store::changes::ChangeQuoteRow;
use crate::ApiError;
use crate::ErrorCode;

/// The new legs of a slice, in travel order.
pub struct ChangeRequest {
    /// 1-based.
    pub slice: i32,
    /// (flight, seats named; empty: assigned).
    pub legs: Vec<(i64, Vec<String>)>,
}

/// A stored quote with its booking's currency.
pub struct ChangeQuote {
    pub quote: ChangeQuoteRow,
}

/// A confirmed change and the booking after it.
pub struct ConfirmedChange {
    pub quote: ChangeQuoteRow,
    pub booking: BookingDetails,
    /// The debit or credit note issued, by number.
    pub document: Option<String>,
}

fn not_changeable(booking_id: i64, why: &str) -> ApiError {
    ApiError::conflict(ErrorCode::BookingNotChangeable, format!("booking {booking_id} cannot be changed: {why}"))
}
