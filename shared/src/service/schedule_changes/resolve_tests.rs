//! The rules of answering a schedule change, on the in-memory books.

use super::*;
use crate::domain::cancellation::{FareLine, QuoteFlight, QuotePassenger};
use crate::domain::fares::FareBrand;
use crate::domain::flight::FlightStatus;
use crate::domain::invoice::CreditReason;
use crate::domain::travellers::PassengerType;
use crate::service::fakes::{Ledger, Refund};
use crate::service::schedule_changes::LocalTimes;
use chrono::Duration;
use http::StatusCode;

const USER: i64 = 1;
const BOOKING: i64 = 5;
const CHANGE: i64 = 40;
const FARE: i64 = 500_000;
/// The flight the airline retimed, and another on its route.
const RETIMED: i64 = 7;
const OTHER: i64 = 8;

fn adult(position: i32) -> QuotePassenger {
    QuotePassenger { position, name: format!("Traveller {position}"), kind: PassengerType::Adult, infant_of: None }
}

fn seat(position: i32, seat: &str) -> FareLine {
    FareLine {
        position,
        slice: 1,
        leg: 1,
        flight_id: RETIMED,
        seat: Some(seat.into()),
        cabin: Cabin::Economy,
        fare: FARE,
        live: true,
        taxed: true,
    }
}

/// Two adults on flight 7 on a Saver fare (whose own cancellation would
/// keep 3,500 a passenger), paid, ticketed and invoiced; the airline moved
/// the flight three hours later, `accept_allowed` when that breaks no
/// connection.
fn retimed(now: DateTime<Utc>, accept_allowed: bool) -> Ledger {
    let departs = now + Duration::days(2);
    let flight = QuoteFlight { flight_id: RETIMED, status: FlightStatus::Scheduled, departs_at: departs };
    let mut ledger = Ledger::default()
        .with_booking(BOOKING, USER, 2 * FARE, now)
        .paid(BOOKING, None)
        .with_fares(
            BOOKING,
            FareBrand::Saver,
            vec![adult(1), adult(2)],
            vec![seat(1, "1A"), seat(2, "1B")],
            vec![flight],
        )
        .ticketed(BOOKING, now);
    let change = ScheduleChangeRow {
        id: CHANGE,
        booking_id: BOOKING,
        flight_id: RETIMED,
        flight_number: "XY 7".into(),
        previous: (departs, departs + Duration::hours(2)),
        new: (departs + Duration::hours(3), departs + Duration::hours(5)),
        status: ScheduleChangeStatus::Open,
        accept_allowed,
        rebooked_to: None,
        created_at: now,
        resolved_at: None,
    };
    ledger.schedule_changes.insert(CHANGE, change);
    ledger
}

const NEW_SEATS: [&str; 2] = ["14C", "14D"];

/// Flight 8, seats 14C and 14D held for passengers 1 and 2.
fn onto_other(seats: &[String]) -> RebookMove<'_> {
    RebookMove { flight_id: OTHER, flight_number: "XY 8", seats, positions: &[1, 2], slice: 1 }
}

fn held() -> Vec<String> {
    NEW_SEATS.map(String::from).to_vec()
}

/// The booking's live seats on a flight.
fn seats_on(ledger: &Ledger, flight_id: i64) -> Vec<String> {
    let live = ledger.seats.get(&BOOKING).map(Vec::as_slice).unwrap_or_default();
    let mut seats: Vec<String> = live.iter().filter(|s| s.flight_id == flight_id).map(|s| s.seat.clone()).collect();
    seats.sort();
    seats
}

#[tokio::test]
async fn accepting_keeps_the_seats_and_the_change_is_answered_once() {
    let now = Utc::now();
    let mut ledger = retimed(now, true);
    accept_in(ledger.books(), USER, (CHANGE, BOOKING), now).await.unwrap();
    let change = &ledger.schedule_changes[&CHANGE];
    assert_eq!((change.status, change.rebooked_to), (ScheduleChangeStatus::Accepted, None));
    assert!(change.resolved_at.is_some());
    assert_eq!(ledger.status(BOOKING), BookingStatus::Paid);
    assert_eq!(seats_on(&ledger, RETIMED), ["1A", "1B"]);
    assert!(ledger.voided_tickets.is_empty() && ledger.refunds.is_empty());
    assert_eq!((ledger.commits, ledger.notifications.len()), (1, 1));
    assert_eq!(ledger.notifications[0].kind, NotificationKind::ScheduleChanged);
    assert_eq!(ledger.notifications[0].subject, "New times accepted on booking PNR005");

    // Every later answer, whichever, finds it resolved and changes nothing.
    let seats = held();
    let answers = [
        accept_in(ledger.books(), USER, (CHANGE, BOOKING), now).await.unwrap_err(),
        refund_in(ledger.books(), USER, (CHANGE, BOOKING), now).await.unwrap_err(),
        rebook_in(ledger.books(), USER, (CHANGE, BOOKING), &onto_other(&seats), now).await.unwrap_err(),
    ];
    for refused in answers {
        assert_eq!((refused.status(), refused.error_code()), (StatusCode::CONFLICT, ErrorCode::ScheduleChangeResolved));
        assert_eq!(refused.extensions().unwrap()["status"], "ACCEPTED");
    }
    assert_eq!(ledger.schedule_changes[&CHANGE].status, ScheduleChangeStatus::Accepted);
    assert_eq!((ledger.commits, ledger.status(BOOKING)), (1, BookingStatus::Paid));
    assert!(ledger.refunds.is_empty() && seats_on(&ledger, OTHER).is_empty());
}

#[tokio::test]
async fn new_times_that_break_a_connection_cannot_be_accepted_but_leave_the_other_answers() {
    let now = Utc::now();
    let mut ledger = retimed(now, false);
    let refused = accept_in(ledger.books(), USER, (CHANGE, BOOKING), now).await.unwrap_err();
    assert_eq!((refused.status(), refused.error_code()), (StatusCode::CONFLICT, ErrorCode::AcceptNotAllowed));
    assert_eq!((ledger.schedule_changes[&CHANGE].status, ledger.commits), (ScheduleChangeStatus::Open, 0));
    assert!(ledger.notifications.is_empty());

    let seats = held();
    rebook_in(ledger.books(), USER, (CHANGE, BOOKING), &onto_other(&seats), now).await.unwrap();
    assert_eq!(ledger.schedule_changes[&CHANGE].status, ScheduleChangeStatus::Rebooked);
}

#[tokio::test]
async fn the_refund_is_everything_paid_whatever_the_fare_keeps_of_a_cancellation() {
    let now = Utc::now();
    let mut ledger = retimed(now, true);
    let released = refund_in(ledger.books(), USER, (CHANGE, BOOKING), now).await.unwrap();
    let freed: Vec<&str> = released.iter().map(|s| s.seat.as_str()).collect();
    assert_eq!(freed, ["1A", "1B"]);
    let payment_id = ledger.payments[0].id;
    let everything = Refund { booking_id: BOOKING, payment_id, amount: 2 * FARE, reason: "CANCELLATION".into() };
    assert_eq!(ledger.refunds, [everything], "no penalty: the airline moved the flight");
    assert_eq!(ledger.status(BOOKING), BookingStatus::Cancelled);
    assert!(seats_on(&ledger, RETIMED).is_empty() && !ledger.tickets.contains_key(&BOOKING));
    assert_eq!(ledger.voided_tickets.len(), 2);
    let note = &ledger.credit_notes[0].1;
    assert_eq!((ledger.credit_notes.len(), note.credit_total, note.reason), (1, 2 * FARE, CreditReason::Cancellation));
    assert_eq!(ledger.schedule_changes[&CHANGE].status, ScheduleChangeStatus::Refunded);
    assert_eq!((ledger.commits, ledger.notifications.len()), (1, 1), "one commit: the refund and the answer");
    assert_eq!(ledger.notifications[0].kind, NotificationKind::Refund);
}

#[tokio::test]
async fn the_refund_gives_back_only_what_a_cashback_left() {
    let now = Utc::now();
    let mut ledger = retimed(now, true);
    let payment_id = ledger.payments[0].id;
    ledger.refunds.push(Refund { booking_id: BOOKING, payment_id, amount: 25_000, reason: "CASHBACK".into() });
    refund_in(ledger.books(), USER, (CHANGE, BOOKING), now).await.unwrap();
    assert_eq!(ledger.refunds[1].amount, 2 * FARE - 25_000);
    assert_eq!(ledger.refunds.iter().map(|r| r.amount).sum::<i64>(), 2 * FARE, "never more than was paid");
}

#[tokio::test]
async fn rebooking_moves_the_seats_reissues_the_slices_tickets_and_charges_nothing() {
    let now = Utc::now();
    let mut ledger = retimed(now, true);
    let seats = held();
    let released = rebook_in(ledger.books(), USER, (CHANGE, BOOKING), &onto_other(&seats), now).await.unwrap();
    let freed: Vec<(i64, &str)> = released.iter().map(|s| (s.flight_id, s.seat.as_str())).collect();
    assert_eq!(freed, [(RETIMED, "1A"), (RETIMED, "1B")]);
    assert_eq!(seats_on(&ledger, OTHER), NEW_SEATS);
    assert!(seats_on(&ledger, RETIMED).is_empty());
    assert_eq!(ledger.voided_tickets, ["5890000000001", "5890000000002"]);
    let reissued = &ledger.slice_tickets[&(BOOKING, 1)];
    assert!(reissued.len() == 2 && !reissued.contains(&ledger.voided_tickets[0]), "{reissued:?}");
    let change = &ledger.schedule_changes[&CHANGE];
    assert_eq!((change.status, change.rebooked_to), (ScheduleChangeStatus::Rebooked, Some(OTHER)));
    assert_eq!(ledger.status(BOOKING), BookingStatus::Paid);
    assert_eq!((ledger.payments.len(), ledger.refunds.len()), (1, 0), "at no extra cost");
    assert_eq!((ledger.commits, ledger.notifications.len()), (1, 1));
    let message = &ledger.notifications[0].message;
    assert!(
        message.contains("moved to flight XY 8 (seats 14C, 14D), at no extra cost. 2 new ticket(s) replace"),
        "{message}"
    );
}

#[tokio::test]
async fn a_rebooking_goes_only_to_an_offered_alternative() {
    let now = Utc::now();
    let alternative = |flight_id: i64| Alternative {
        flight_id,
        flight_number: format!("XY {flight_id}"),
        times: LocalTimes { departs: now.fixed_offset(), arrives: (now + Duration::hours(2)).fixed_offset() },
        seats_left: 30,
    };
    let offered = [alternative(OTHER), alternative(9)];
    assert!(check_offered(&offered, OTHER).is_ok() && check_offered(&offered, 9).is_ok());
    for flight_id in [RETIMED, 10] {
        let refused = check_offered(&offered, flight_id).unwrap_err();
        assert_eq!(
            (refused.status(), refused.error_code()),
            (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::NotAnAlternative)
        );
        let listed: Vec<i64> = refused.extensions().unwrap()["alternatives"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_i64())
            .collect();
        assert_eq!(listed, [OTHER, 9], "the refusal names what is offered");
    }
    assert_eq!(check_offered(&[], OTHER).unwrap_err().error_code(), ErrorCode::NotAnAlternative);
}

#[tokio::test]
async fn a_rebooking_refused_by_the_books_leaves_the_change_open() {
    let now = Utc::now();
    let seats = held();
    // A seat of the hold was sold to someone else after it ran out.
    let mut ledger = retimed(now, true);
    ledger.seats.insert(6, vec![ReleasedSeat { booking_id: 6, flight_id: OTHER, seat: "14D".into() }]);
    let refused = rebook_in(ledger.books(), USER, (CHANGE, BOOKING), &onto_other(&seats), now).await.unwrap_err();
    assert_eq!((refused.status(), refused.error_code()), (StatusCode::CONFLICT, ErrorCode::SeatUnavailable));
    // The flight was cancelled meanwhile.
    let mut closed = retimed(now, true);
    closed.closed_flights.insert(OTHER);
    let refused = rebook_in(closed.books(), USER, (CHANGE, BOOKING), &onto_other(&seats), now).await.unwrap_err();
    assert_eq!(refused.error_code(), ErrorCode::FlightNotBookable);
    for ledger in [ledger, closed] {
        assert_eq!((ledger.schedule_changes[&CHANGE].status, ledger.commits), (ScheduleChangeStatus::Open, 0));
        assert_eq!(seats_on(&ledger, RETIMED), ["1A", "1B"]);
        assert!(ledger.voided_tickets.is_empty());
    }
}

#[tokio::test]
async fn a_change_is_answered_only_while_its_booking_is_paid_and_its_flight_has_not_left() {
    let now = Utc::now();
    let mut ledger = retimed(now, true);
    let after_departure = ledger.schedule_changes[&CHANGE].new.0;
    let refused = refund_in(ledger.books(), USER, (CHANGE, BOOKING), after_departure).await.unwrap_err();
    assert_eq!(refused.error_code(), ErrorCode::FlightDeparted);

    ledger.bookings.get_mut(&BOOKING).unwrap().status = BookingStatus::Cancelled;
    let refused = accept_in(ledger.books(), USER, (CHANGE, BOOKING), now).await.unwrap_err();
    assert_eq!(refused.error_code(), ErrorCode::BookingCancelled);
    ledger.bookings.get_mut(&BOOKING).unwrap().status = BookingStatus::PendingPayment;
    let refused = accept_in(ledger.books(), USER, (CHANGE, BOOKING), now).await.unwrap_err();
    assert_eq!(refused.error_code(), ErrorCode::BookingNotPaid);
    assert_eq!((ledger.schedule_changes[&CHANGE].status, ledger.commits), (ScheduleChangeStatus::Open, 0));
    assert!(ledger.refunds.is_empty());
}

#[tokio::test]
async fn another_customers_change_does_not_exist() {
    let now = Utc::now();
    let mut ledger = retimed(now, true);
    let refused = refund_in(ledger.books(), USER + 1, (CHANGE, BOOKING), now).await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let unknown = accept_in(ledger.books(), USER, (CHANGE + 1, BOOKING), now).await.unwrap_err();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!((ledger.status(BOOKING), ledger.commits, ledger.refunds.len()), (BookingStatus::Paid, 0, 0));
}
