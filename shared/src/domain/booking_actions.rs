//! What a booking's customer can do next, from its state alone: the
//! `availableActions` a client shows as buttons, and its money so far.

use super::booking::BookingStatus;
use super::flight::{unbookable_because, FlightStatus};
use chrono::{DateTime, Utc};

/// A booking's money: what was paid, what came back, whether a promo code
/// is on it (one per booking); and whether an airline's schedule change
/// awaits the customer's answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BookingLedger {
    pub paid: i64,
    pub refunded: i64,
    pub code_applied: bool,
    pub schedule_change_open: bool,
}

/// Routes the booking accepts now (the client need not try the others).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BookingAction {
    /// `POST /api/payments/pay`
    Pay,
    /// `POST /api/bookings/{id}/cancel`
    Cancel,
    /// `POST /api/discounts/apply`: off the amount due before payment,
    /// cashback after it.
    ApplyDiscount,
    /// `POST /api/bookings/{id}/change-quotes`: a slice to other flights.
    Change,
    /// `POST /api/schedule-changes/{id}/accept|rebook|refund` (listed by
    /// `GET /api/bookings/{id}/schedule-changes`).
    ResolveScheduleChange,
}

/// One flight of the booking as the rules see it.
#[derive(Clone, Copy, Debug)]
pub struct FlightOfBooking {
    /// `None` when unknown: read as scheduled; the clock still counts.
    pub status: Option<FlightStatus>,
    pub departs_at: DateTime<Utc>,
}

/// - Unpaid and within its hold: pay (every flight still bookable), cancel,
///   and a code if none is on it yet. Past its hold: nothing (it expires).
/// - Paid: cancel while something is left to cancel or to refund by the
///   fare rules (`domain::cancellation`): a flight not yet departed (or
///   cancelled by the airline), or, once all have left, taxes still to give
///   back to a no-show (less has come back than was paid); and a code as
///   cashback if none is on it yet; a change while a flight of it is still
///   to fly (the quote says which slice can move).
///   An open schedule change: resolve it, until its flight leaves.
/// - Cancelled or expired: nothing.
pub fn available_actions(
    status: BookingStatus,
    expires_at: DateTime<Utc>,
    flights: &[FlightOfBooking],
    ledger: &BookingLedger,
    now: DateTime<Utc>,
) -> Vec<BookingAction> {
    let why_not =
        |f: &FlightOfBooking| unbookable_because(f.status.unwrap_or(FlightStatus::Scheduled), f.departs_at, now);
    let all_bookable = flights.iter().all(|f| why_not(f).is_none());
    let all_departed = flights.iter().all(|f| why_not(f) == Some(FlightStatus::Departed));
    let any_departed = flights.iter().any(|f| why_not(f) == Some(FlightStatus::Departed));
    let mut actions = Vec::new();
    match status {
        BookingStatus::PendingPayment if expires_at > now => {
            if all_bookable {
                actions.push(BookingAction::Pay);
            }
            actions.push(BookingAction::Cancel);
            if all_bookable && !ledger.code_applied {
                actions.push(BookingAction::ApplyDiscount);
            }
        }
        BookingStatus::Paid => {
            if !all_departed || ledger.refunded < ledger.paid {
                actions.push(BookingAction::Cancel);
            }
            if !ledger.code_applied {
                actions.push(BookingAction::ApplyDiscount);
            }
            if flights.iter().any(|f| why_not(f).is_none()) {
                actions.push(BookingAction::Change);
            }
            if ledger.schedule_change_open && !any_departed {
                actions.push(BookingAction::ResolveScheduleChange);
            }
        }
        BookingStatus::PendingPayment | BookingStatus::Cancelled | BookingStatus::Expired => {}
    }
    actions
}

/// Still to pay: the amount due while unpaid, nothing once paid or closed.
pub fn still_due(status: BookingStatus, amount_due: i64) -> i64 {
    if status == BookingStatus::PendingPayment {
        amount_due
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use BookingAction::*;

    fn flight(status: FlightStatus, departs_in_hours: i64, now: DateTime<Utc>) -> FlightOfBooking {
        FlightOfBooking { status: Some(status), departs_at: now + Duration::hours(departs_in_hours) }
    }

    #[test]
    fn an_unpaid_booking_can_be_paid_cancelled_and_discounted_while_its_flights_fly() {
        let now = Utc::now();
        let held = now + Duration::minutes(10);
        let flights = [flight(FlightStatus::Scheduled, 48, now), flight(FlightStatus::Scheduled, 96, now)];
        let fresh = BookingLedger::default();
        assert_eq!(
            available_actions(BookingStatus::PendingPayment, held, &flights, &fresh, now),
            [Pay, Cancel, ApplyDiscount]
        );
        let coded = BookingLedger { code_applied: true, ..fresh };
        assert_eq!(available_actions(BookingStatus::PendingPayment, held, &flights, &coded, now), [Pay, Cancel]);
        let grounded = [flights[0], flight(FlightStatus::Cancelled, 96, now)];
        assert_eq!(available_actions(BookingStatus::PendingPayment, held, &grounded, &fresh, now), [Cancel]);
        let gone = [flight(FlightStatus::Scheduled, 0, now)];
        assert_eq!(available_actions(BookingStatus::PendingPayment, held, &gone, &fresh, now), [Cancel]);
        assert!(
            available_actions(BookingStatus::PendingPayment, now, &flights, &fresh, now).is_empty(),
            "held until now"
        );
    }

    #[test]
    fn a_paid_booking_can_be_cancelled_while_something_is_left_changed_while_a_flight_is_ahead_and_take_one_code() {
        let now = Utc::now();
        let paid = BookingLedger { paid: 500_000, ..Default::default() };
        let ahead = [flight(FlightStatus::Scheduled, 48, now)];
        assert_eq!(available_actions(BookingStatus::Paid, now, &ahead, &paid, now), [Cancel, ApplyDiscount, Change]);
        let with_cashback = BookingLedger { refunded: 10_000, code_applied: true, ..paid };
        assert_eq!(available_actions(BookingStatus::Paid, now, &ahead, &with_cashback, now), [Cancel, Change]);
        let grounded = [flight(FlightStatus::Cancelled, 48, now)];
        assert_eq!(available_actions(BookingStatus::Paid, now, &grounded, &with_cashback, now), [Cancel]);
        // Half flown: the rest can still be cancelled; all flown: a no-show's
        // taxes can come back until everything paid has.
        let half_flown = [flight(FlightStatus::Departed, -2, now), flight(FlightStatus::Scheduled, 48, now)];
        assert_eq!(available_actions(BookingStatus::Paid, now, &half_flown, &with_cashback, now), [Cancel, Change]);
        let flown = [flight(FlightStatus::Departed, -2, now), flight(FlightStatus::Scheduled, -1, now)];
        assert_eq!(available_actions(BookingStatus::Paid, now, &flown, &with_cashback, now), [Cancel]);
        let all_back = BookingLedger { refunded: 500_000, ..with_cashback };
        assert!(available_actions(BookingStatus::Paid, now, &flown, &all_back, now).is_empty());
    }

    #[test]
    fn an_open_schedule_change_is_resolvable_until_the_flight_leaves() {
        let now = Utc::now();
        let open =
            BookingLedger { paid: 500_000, code_applied: true, schedule_change_open: true, ..Default::default() };
        let ahead = [flight(FlightStatus::Scheduled, 48, now)];
        assert_eq!(
            available_actions(BookingStatus::Paid, now, &ahead, &open, now),
            [Cancel, Change, ResolveScheduleChange]
        );
        let flown = [flight(FlightStatus::Departed, -2, now)];
        assert_eq!(available_actions(BookingStatus::Paid, now, &flown, &open, now), [Cancel], "a no-show's taxes only");
        assert!(available_actions(BookingStatus::Cancelled, now, &ahead, &open, now).is_empty());
    }

    #[test]
    fn a_closed_booking_offers_nothing_and_owes_nothing() {
        let now = Utc::now();
        let ahead = [flight(FlightStatus::Scheduled, 48, now)];
        for status in [BookingStatus::Cancelled, BookingStatus::Expired] {
            assert!(
                available_actions(status, now + Duration::hours(1), &ahead, &BookingLedger::default(), now).is_empty()
            );
            assert_eq!(still_due(status, 500_000), 0);
        }
        assert_eq!(still_due(BookingStatus::Paid, 500_000), 0);
        assert_eq!(still_due(BookingStatus::PendingPayment, 500_000), 500_000);
    }
}
