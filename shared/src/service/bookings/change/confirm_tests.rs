//! The rules of confirming a change quote, on the in-memory books. A retry
//! replayed under its `Idempotency-Key` never reaches the use case
//! (`http::idempotency` answers it; `local/tests/api/changes.rs` covers it).

use super::*;
use crate::domain::cancellation::{FareLine, QuoteFlight, QuotePassenger};
use crate::domain::fares::FareBrand;
use crate::domain::flight::FlightStatus;
use crate::domain::seating::Cabin;
use crate::domain::travellers::PassengerType;
use crate::service::fakes::{Ledger, Refund};
use crate::store::bookings::ReleasedSeat;
use crate::store::changes::QuotedLeg;
use chrono::Duration;
use http::StatusCode;

const USER: i64 = 1;
const BOOKING: i64 = 5;
const FARE: i64 = 5_000_00;
const PENALTY: i64 = 1_000_00;
/// Slice 1 (not changed), slice 2 (changed), and where slice 2 goes.
const OUT: i64 = 7;
const BACK: i64 = 8;
const LATER: i64 = 9;

fn adult(position: i32) -> QuotePassenger {
    QuotePassenger { position, name: format!("Traveller {position}"), kind: PassengerType::Adult, infant_of: None }
}

fn seat(position: i32, slice: i32, flight_id: i64, seat: &str) -> FareLine {
    FareLine {
        position,
        slice,
        leg: slice,
        flight_id,
        seat: Some(seat.into()),
        cabin: Cabin::Economy,
        fare: FARE,
        live: true,
        taxed: true,
    }
}

/// Two adults there (flight 7) and back (flight 8), paid, ticketed (one
/// ticket per passenger and slice) and invoiced.
fn round_trip(now: DateTime<Utc>) -> Ledger {
    let flight = |flight_id, days| QuoteFlight {
        flight_id,
        status: FlightStatus::Scheduled,
        departs_at: now + Duration::days(days),
    };
    Ledger::default()
        .with_booking(BOOKING, USER, 4 * FARE, now)
        .paid(BOOKING, None)
        .with_fares(
            BOOKING,
            FareBrand::Flexi,
            vec![adult(1), adult(2)],
            vec![seat(1, 1, OUT, "1A"), seat(2, 1, OUT, "1B"), seat(1, 2, BACK, "2A"), seat(2, 2, BACK, "2B")],
            vec![flight(OUT, 2), flight(BACK, 5)],
        )
        .ticketed(BOOKING, now)
}

/// Stores a quote moving slice 2 onto flight 9 (seats 3A and 3B) whose new
/// fares differ from the old by `difference` in all, plus the penalty, as
/// `quote_change` would; its id.
fn quoted(ledger: &mut Ledger, difference: i64, now: DateTime<Utc>) -> i64 {
    let id = 900 + ledger.change_quotes.len() as i64;
    let fare = FARE + difference / 2;
    let leg = QuotedLeg {
        flight_id: LATER,
        cabin: Cabin::Economy.as_str().into(),
        seats: vec!["3A".into(), "3B".into()],
        positions: vec![1, 2],
        fares: vec![fare, fare],
        published: fare,
        laps: Vec::new(),
    };
    let quote = ChangeQuoteRow {
        id,
        booking_id: BOOKING,
        user_id: USER,
        slice: 2,
        legs: vec![leg],
        replaced_seats: vec![format!("{BACK}:2A"), format!("{BACK}:2B")],
        currency: "INR".into(),
        fare_difference: difference,
        penalty: PENALTY,
        total_due: difference + PENALTY,
        confirmed: false,
        expires_at: now + Duration::minutes(15),
        created_at: now,
        confirmed_at: None,
    };
    ledger.change_quotes.insert(id, quote);
    id
}

fn card(number: &str) -> PaymentMethod {
    PaymentMethod::card(number).unwrap()
}

/// The booking's live seats on a flight.
fn seats_on(ledger: &Ledger, flight_id: i64) -> Vec<String> {
    let mut seats: Vec<String> =
        ledger.seats[&BOOKING].iter().filter(|s| s.flight_id == flight_id).map(|s| s.seat.clone()).collect();
    seats.sort();
    seats
}

/// Nothing of the change is in the books (`payments` attempts recorded).
fn assert_unchanged(ledger: &Ledger, id: i64, payments: usize) {
    assert_eq!(ledger.payments.len(), payments);
    assert!(!ledger.change_quotes[&id].confirmed, "the quote stays confirmable");
    assert_eq!(seats_on(ledger, BACK), ["2A", "2B"]);
    assert!(seats_on(ledger, LATER).is_empty());
    assert!(ledger.voided_tickets.is_empty() && ledger.debit_notes.is_empty() && ledger.credit_notes.is_empty());
    assert!(ledger.refunds.is_empty() && ledger.notifications.is_empty());
}

#[tokio::test]
async fn a_dearer_change_charges_the_total_moves_the_slice_reissues_its_tickets_and_adds_a_debit_note() {
    let now = Utc::now();
    let mut ledger = round_trip(now);
    let id = quoted(&mut ledger, 2_000_00, now);
    let total = 2_000_00 + PENALTY;
    let confirmed =
        confirm_change_in(ledger.books(), USER, BOOKING, id, &card("4242 4242 4242 4242"), now).await.unwrap();

    let charge = &ledger.payments[1];
    assert_eq!((charge.amount, charge.succeeded, charge.change_quote_id), (total, true, Some(id)));
    assert_eq!((charge.method.as_str(), ledger.payments.len()), ("card", 2));
    assert_eq!(seats_on(&ledger, LATER), ["3A", "3B"]);
    assert!(seats_on(&ledger, BACK).is_empty(), "the old seats are free");
    assert_eq!(seats_on(&ledger, OUT), ["1A", "1B"], "the other slice stays");
    let freed: Vec<&str> = confirmed.moved.iter().filter(|m| !m.live).map(|m| m.seat.as_str()).collect();
    let taken: Vec<&str> = confirmed.moved.iter().filter(|m| m.live).map(|m| m.seat.as_str()).collect();
    assert_eq!((freed, taken), (vec!["2A", "2B"], vec!["3A", "3B"]));
    assert_eq!(ledger.bookings[&BOOKING].total_amount, 4 * FARE + 2_000_00, "the total follows the new fares");

    let (old_back, old_out) = (vec!["5890000000003", "5890000000004"], vec!["5890000000001", "5890000000002"]);
    assert_eq!(ledger.voided_tickets, old_back, "the changed slice's tickets are void");
    assert_eq!(ledger.slice_tickets[&(BOOKING, 1)], old_out);
    let reissued = &ledger.slice_tickets[&(BOOKING, 2)];
    assert!(reissued.len() == 2 && reissued.iter().all(|t| !old_back.contains(&t.as_str())), "{reissued:?}");

    assert_eq!(ledger.debit_notes.len(), 1);
    let (booking, note) = &ledger.debit_notes[0];
    assert_eq!((*booking, note.debit_total), (BOOKING, total));
    assert_eq!(confirmed.document.as_deref(), Some(note.debit_note_number.as_str()));
    let added: Vec<i64> = note.lines.iter().map(|l| l.total).collect();
    assert_eq!(added[..2], [0, 0], "nothing is added to the slice that did not change");
    assert_eq!(added[2] + added[3], total, "the changed slice's lines carry the charge");
    assert!(ledger.refunds.is_empty() && ledger.credit_notes.is_empty());

    let quote = &ledger.change_quotes[&id];
    assert!(quote.confirmed && quote.confirmed_at.is_some());
    assert_eq!((ledger.commits, ledger.notifications.len()), (1, 1));
    assert_eq!(ledger.notifications[0].kind, NotificationKind::BookingChanged);
    assert_eq!(ledger.notifications[0].subject, "Booking PNR005 changed");
}

#[tokio::test]
async fn a_quote_is_confirmed_once() {
    let now = Utc::now();
    let mut ledger = round_trip(now);
    let id = quoted(&mut ledger, 2_000_00, now);
    confirm_change_in(ledger.books(), USER, BOOKING, id, &PaymentMethod::Wallet, now).await.unwrap();
    let again = confirm_change_in(ledger.books(), USER, BOOKING, id, &PaymentMethod::Wallet, now).await.unwrap_err();
    assert_eq!((again.status(), again.error_code()), (StatusCode::CONFLICT, ErrorCode::QuoteAlreadyConfirmed));
    let charges = ledger.payments.iter().filter(|p| p.change_quote_id == Some(id)).count();
    assert_eq!((charges, ledger.debit_notes.len(), ledger.voided_tickets.len()), (1, 1, 2), "charged and moved once");
    assert_eq!((ledger.commits, ledger.notifications.len()), (1, 1));
}

#[tokio::test]
async fn an_expired_quote_is_refused_and_changes_nothing() {
    let now = Utc::now();
    let mut ledger = round_trip(now);
    let id = quoted(&mut ledger, 2_000_00, now);
    let later = now + Duration::minutes(15);
    let refused =
        confirm_change_in(ledger.books(), USER, BOOKING, id, &PaymentMethod::Wallet, later).await.unwrap_err();
    assert_eq!((refused.status(), refused.error_code()), (StatusCode::CONFLICT, ErrorCode::QuoteExpired));
    assert_unchanged(&ledger, id, 1);
    assert_eq!(ledger.commits, 0);
}

#[tokio::test]
async fn a_slice_that_moved_since_the_quote_makes_it_stale() {
    let now = Utc::now();
    // The slice's seats are not the ones quoted (a schedule change moved one).
    let mut ledger = round_trip(now);
    let id = quoted(&mut ledger, 2_000_00, now);
    let lines = &mut ledger.fares.get_mut(&BOOKING).unwrap().lines;
    lines.iter_mut().find(|l| l.seat.as_deref() == Some("2A")).unwrap().seat = Some("4C".into());
    let refused = confirm_change_in(ledger.books(), USER, BOOKING, id, &PaymentMethod::Wallet, now).await.unwrap_err();
    assert_eq!((refused.status(), refused.error_code()), (StatusCode::CONFLICT, ErrorCode::QuoteStale));
    assert_eq!((ledger.payments.len(), ledger.commits), (1, 0), "nothing charged");

    // Two quotes of one slice: the first confirmed moves it, the second is stale.
    let mut ledger = round_trip(now);
    let (first, second) = (quoted(&mut ledger, 2_000_00, now), quoted(&mut ledger, -2_000_00, now));
    confirm_change_in(ledger.books(), USER, BOOKING, first, &PaymentMethod::Wallet, now).await.unwrap();
    let refused =
        confirm_change_in(ledger.books(), USER, BOOKING, second, &PaymentMethod::Wallet, now).await.unwrap_err();
    assert_eq!(refused.error_code(), ErrorCode::QuoteStale);
    assert!(!ledger.change_quotes[&second].confirmed);
    assert!(ledger.refunds.is_empty(), "the second quote's refund was not made");
    assert_eq!(ledger.commits, 1);
}

#[tokio::test]
async fn a_declined_charge_is_recorded_alone_and_the_quote_can_still_be_confirmed() {
    let now = Utc::now();
    let mut ledger = round_trip(now);
    let id = quoted(&mut ledger, 2_000_00, now);
    let declined = confirm_change_in(ledger.books(), USER, BOOKING, id, &card("4000 0000 0000 0002"), now).await;
    let declined = declined.unwrap_err();
    assert_eq!((declined.status(), declined.error_code()), (StatusCode::PAYMENT_REQUIRED, ErrorCode::PaymentDeclined));
    assert_eq!(declined.extensions().unwrap()["declineCode"], "card_declined");
    let attempt = &ledger.payments[1];
    assert_eq!((attempt.succeeded, attempt.decline_code.as_deref()), (false, Some("card_declined")));
    assert_eq!((attempt.change_quote_id, attempt.amount), (Some(id), 2_000_00 + PENALTY));
    assert_eq!(ledger.commits, 1, "the attempt is on record");
    assert_unchanged(&ledger, id, 2);

    let confirmed = confirm_change_in(ledger.books(), USER, BOOKING, id, &card("4242424242424242"), now).await.unwrap();
    assert!(confirmed.document.is_some());
    assert!(ledger.payments[2].succeeded && ledger.change_quotes[&id].confirmed);
    assert_eq!(seats_on(&ledger, LATER), ["3A", "3B"]);
}

#[tokio::test]
async fn a_gateway_that_cannot_process_the_charge_leaves_no_trace() {
    let now = Utc::now();
    let mut ledger = round_trip(now);
    let id = quoted(&mut ledger, 2_000_00, now);
    let failed = confirm_change_in(ledger.books(), USER, BOOKING, id, &card("4000000000000119"), now).await;
    assert_eq!(failed.unwrap_err().status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_unchanged(&ledger, id, 1);
    assert_eq!(ledger.commits, 0);
}

#[tokio::test]
async fn a_cheaper_change_refunds_the_difference_less_the_penalty_with_a_credit_note() {
    let now = Utc::now();
    let mut ledger = round_trip(now);
    let id = quoted(&mut ledger, -4_000_00, now);
    let refund = 4_000_00 - PENALTY;
    let confirmed = confirm_change_in(ledger.books(), USER, BOOKING, id, &PaymentMethod::Wallet, now).await.unwrap();
    let payment_id = ledger.payments[0].id;
    assert_eq!(ledger.refunds, [Refund { booking_id: BOOKING, payment_id, amount: refund, reason: "CHANGE".into() }]);
    assert_eq!(ledger.change_refunds[&id], 0);
    assert_eq!(ledger.payments.len(), 1, "nothing is charged");
    assert_eq!(ledger.credit_notes.len(), 1);
    let note = &ledger.credit_notes[0].1;
    assert_eq!((note.credit_total, note.reason), (refund, CreditReason::Change));
    assert_eq!(confirmed.document.as_deref(), Some(note.credit_note_number.as_str()));
    assert!(ledger.debit_notes.is_empty());
    assert_eq!(seats_on(&ledger, LATER), ["3A", "3B"]);
    assert_eq!(ledger.bookings[&BOOKING].total_amount, 4 * FARE - 4_000_00);
    assert!(ledger.change_quotes[&id].confirmed);
}

#[tokio::test]
async fn a_refund_never_gives_back_more_than_is_left_of_what_was_paid() {
    let now = Utc::now();
    let mut ledger = round_trip(now);
    let payment_id = ledger.payments[0].id;
    let cashback = 4 * FARE - 1_000_00;
    ledger.refunds.push(Refund { booking_id: BOOKING, payment_id, amount: cashback, reason: "CASHBACK".into() });
    let id = quoted(&mut ledger, -6_000_00, now);
    confirm_change_in(ledger.books(), USER, BOOKING, id, &PaymentMethod::Wallet, now).await.unwrap();
    assert_eq!(ledger.refunds[1].amount, 1_000_00, "what was left, not the 5,000.00 quoted");
    assert_eq!(ledger.refunds.iter().map(|r| r.amount).sum::<i64>(), 4 * FARE);
}

#[tokio::test]
async fn a_change_that_costs_nothing_moves_the_slice_without_a_payment_or_a_document() {
    let now = Utc::now();
    let mut ledger = round_trip(now);
    let id = quoted(&mut ledger, -PENALTY, now);
    let confirmed = confirm_change_in(ledger.books(), USER, BOOKING, id, &card("4000000000000002"), now).await.unwrap();
    assert_eq!(confirmed.document, None);
    assert_eq!(ledger.payments.len(), 1, "a declining card is never asked");
    assert!(ledger.refunds.is_empty() && ledger.debit_notes.is_empty() && ledger.credit_notes.is_empty());
    assert_eq!(seats_on(&ledger, LATER), ["3A", "3B"]);
    assert_eq!(ledger.voided_tickets.len(), 2);
}

#[tokio::test]
async fn a_seat_taken_after_its_hold_ran_out_refuses_the_change_and_takes_no_money() {
    let now = Utc::now();
    let mut ledger = round_trip(now);
    ledger.seats.insert(6, vec![ReleasedSeat { booking_id: 6, flight_id: LATER, seat: "3B".into() }]);
    let id = quoted(&mut ledger, 2_000_00, now);
    let refused = confirm_change_in(ledger.books(), USER, BOOKING, id, &PaymentMethod::Wallet, now).await.unwrap_err();
    assert_eq!((refused.status(), refused.error_code()), (StatusCode::CONFLICT, ErrorCode::SeatUnavailable));
    assert_unchanged(&ledger, id, 1);
    assert_eq!(ledger.commits, 0, "the charge went with the rest");

    let mut ledger = round_trip(now);
    ledger.closed_flights.insert(LATER);
    let id = quoted(&mut ledger, 2_000_00, now);
    let refused = confirm_change_in(ledger.books(), USER, BOOKING, id, &PaymentMethod::Wallet, now).await.unwrap_err();
    assert_eq!(refused.error_code(), ErrorCode::FlightNotBookable);
    assert_unchanged(&ledger, id, 1);
}

#[tokio::test]
async fn only_the_customers_quote_of_a_paid_booking_is_confirmed() {
    let now = Utc::now();
    let mut ledger = round_trip(now);
    let id = quoted(&mut ledger, 2_000_00, now);
    let others = confirm_change_in(ledger.books(), USER + 1, BOOKING, id, &PaymentMethod::Wallet, now).await;
    assert_eq!(others.unwrap_err().status(), StatusCode::NOT_FOUND);
    let unknown = confirm_change_in(ledger.books(), USER, BOOKING, id + 1, &PaymentMethod::Wallet, now).await;
    assert_eq!(unknown.unwrap_err().status(), StatusCode::NOT_FOUND);

    ledger.bookings.get_mut(&BOOKING).unwrap().status = BookingStatus::Cancelled;
    let refused = confirm_change_in(ledger.books(), USER, BOOKING, id, &PaymentMethod::Wallet, now).await.unwrap_err();
    assert_eq!((refused.status(), refused.error_code()), (StatusCode::CONFLICT, ErrorCode::BookingNotChangeable));
    assert_unchanged(&ledger, id, 1);
    assert_eq!(ledger.commits, 0);
}
