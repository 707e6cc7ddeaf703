//! The Postgres errors the product handles, named once: which SQLSTATEs
//! mean "Postgres is out of reach or busy" (a `503`, retried), and which
//! constraint or trigger refusals are expected outcomes a store turns into
//! a typed answer. Everything else is a bug in our SQL.

use tokio_postgres::error::SqlState;
use tokio_postgres::Error;

/// Unique constraints and indexes whose violation is an expected outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UniqueConstraint {
    /// Two bookings drew the same PNR (`V3__bookings.sql`): draw another.
    BookingPnr,
    /// A seat already belongs to a live booking (`V3__bookings.sql`).
    OneLiveBookingPerSeat,
    /// A booking already has its successful payment (`V4__payments_tickets.sql`).
    OneSuccessfulPaymentPerBooking,
    /// A retimed flight would leave when another of its number does (`V2__flights.sql`).
    FlightNumberOncePerDeparture,
}

impl UniqueConstraint {
    /// The constraint's (or index's) name in the schema.
    pub const fn name(self) -> &'static str {
        match self {
            UniqueConstraint::BookingPnr => "bookings_pnr_key",
            UniqueConstraint::OneLiveBookingPerSeat => "booking_seats_one_live_booking_per_seat",
            UniqueConstraint::OneSuccessfulPaymentPerBooking => "payments_one_success_per_booking",
            UniqueConstraint::FlightNumberOncePerDeparture => "flights_number_once_per_departure",
        }
    }
}

/// Check constraints whose violation is an expected outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckConstraint {
    /// A cabin's seats sold would pass its total (`V2__flights.sql`).
    FlightFaresNeverOversold,
}

impl CheckConstraint {
    pub const fn name(self) -> &'static str {
        match self {
            CheckConstraint::FlightFaresNeverOversold => "flight_fares_never_oversold",
        }
    }
}

/// Errors our own SQL functions raise (`RAISE … USING ERRCODE`, class `FB`),
/// each with the flight's id as its `DETAIL` (`V6__book_seats.sql`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaisedError {
    /// `FB001`: the flight is not scheduled any more, or has departed.
    FlightNotBookable,
    /// `FB002`: a fare differs from the one the booking was priced with.
    FareChanged,
    /// `FB003`: the customer would have too many unpaid seats on a flight.
    UnpaidSeatsPerFlight,
    /// `FB004`: the customer would have too many unpaid seats in all.
    UnpaidSeatsInAll,
}

impl RaisedError {
    pub const fn sqlstate(self) -> &'static str {
        match self {
            RaisedError::FlightNotBookable => "FB001",
            RaisedError::FareChanged => "FB002",
            RaisedError::UnpaidSeatsPerFlight => "FB003",
            RaisedError::UnpaidSeatsInAll => "FB004",
        }
    }

    const ALL: [RaisedError; 4] = [
        RaisedError::FlightNotBookable,
        RaisedError::FareChanged,
        RaisedError::UnpaidSeatsPerFlight,
        RaisedError::UnpaidSeatsInAll,
    ];
}

/// True for a unique violation of that constraint.
pub fn is_unique_violation(e: &Error, constraint: UniqueConstraint) -> bool {
    e.as_db_error()
        .is_some_and(|db| db.code() == &SqlState::UNIQUE_VIOLATION && db.constraint() == Some(constraint.name()))
}

/// True for a check violation of that constraint.
pub fn is_check_violation(e: &Error, constraint: CheckConstraint) -> bool {
    e.as_db_error()
        .is_some_and(|db| db.code() == &SqlState::CHECK_VIOLATION && db.constraint() == Some(constraint.name()))
}

/// One of our functions' errors, with the flight id of its `DETAIL` (`0`
/// when the detail is not a number).
pub fn raised(e: &Error) -> Option<(RaisedError, i64)> {
    let db = e.as_db_error()?;
    let raised = RaisedError::ALL.into_iter().find(|r| db.code().code() == r.sqlstate())?;
    Some((raised, db.detail().and_then(|d| d.parse().ok()).unwrap_or_default()))
}

/// The server refused the password: after a rotation, read the secret again.
pub fn is_invalid_password(e: &Error) -> bool {
    e.code() == Some(&SqlState::INVALID_PASSWORD)
}

/// SQLSTATE class `08`: connection exceptions.
const CONNECTION_EXCEPTION_CLASS: &str = "08";

/// True when the error means "Postgres is not reachable right now" rather
/// than a bug in our SQL: the caller answers 503 instead of 500.
pub fn is_connection_error(e: &Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        return code.code().starts_with(CONNECTION_EXCEPTION_CLASS)
            || code == &SqlState::ADMIN_SHUTDOWN
            || code == &SqlState::CRASH_SHUTDOWN
            || code == &SqlState::CANNOT_CONNECT_NOW
            || code == &SqlState::TOO_MANY_CONNECTIONS
            // statement_timeout and lock_timeout (the role's, V7): busy, not broken.
            || code == &SqlState::QUERY_CANCELED
            || code == &SqlState::LOCK_NOT_AVAILABLE;
    }
    // No SQLSTATE: an I/O or protocol failure on the connection.
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()) || e.as_db_error().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raised_codes_are_distinct_and_in_our_class() {
        let codes: std::collections::HashSet<_> = RaisedError::ALL.iter().map(|r| r.sqlstate()).collect();
        assert_eq!(codes.len(), RaisedError::ALL.len());
        assert!(codes.iter().all(|c| c.starts_with("FB") && c.len() == 5));
    }
}
