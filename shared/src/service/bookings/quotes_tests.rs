use super::*;
use crate::domain::cancellation::{FareLine, Quote, QuoteFlight, QuotePassenger};
use crate::domain::fares::FareBrand;
use crate::domain::flight::FlightStatus;
use crate::domain::seating::Cabin;
use crate::domain::travellers::PassengerType;
use crate::service::fakes::{Ledger, Refund};
use http::StatusCode;

const USER: i64 = 1;
const BOOKING: i64 = 5;
const FARE: i64 = 5_000_00;

fn adult(position: i32) -> QuotePassenger {
    QuotePassenger { position, name: format!("Traveller {position}"), kind: PassengerType::Adult, infant_of: None }
}

fn seat(position: i32) -> FareLine {
    FareLine {
        position,
        slice: 1,
        leg: 1,
        flight_id: 7,
        seat: Some(format!("1{}", ["A", "B", "C"][position as usize - 1])),
        cabin: Cabin::Economy,
        fare: FARE,
        live: true,
        taxed: true,
    }
}

/// Two adults on flight 7 in two days, paid (tickets issued), of `brand`.
fn paid_pair(brand: FareBrand) -> Ledger {
    let now = Utc::now();
    let flight = QuoteFlight { flight_id: 7, status: FlightStatus::Scheduled, departs_at: now + Duration::days(2) };
    Ledger::default().with_booking(BOOKING, USER, 2 * FARE, now).paid(BOOKING, None).with_fares(
        BOOKING,
        brand,
        vec![adult(1), adult(2)],
        vec![seat(1), seat(2)],
        vec![flight],
    )
}

/// Stores a quote of `passengers` (all when empty) computed now, as the
/// create route would; its id.
fn quoted(ledger: &mut Ledger, passengers: &[i32], now: DateTime<Utc>) -> i64 {
    let scope = ScopeRequest { passengers: (!passengers.is_empty()).then(|| passengers.to_vec()), slices: None };
    let computed: Quote = quote(&ledger.quote_facts(BOOKING).unwrap(), &scope, now).unwrap();
    let id = 900 + ledger.quotes.len() as i64;
    ledger.quotes.insert(
        id,
        StoredQuote {
            id,
            booking_id: BOOKING,
            user_id: USER,
            currency: "INR".into(),
            quote: computed,
            created_at: now,
            expires_at: now + QUOTE_VALIDITY,
            status: QuoteStatus::Quoted,
            confirmed_at: None,
            confirm_idempotency_key: None,
            refund_id: None,
            closed_booking: None,
        },
    );
    id
}

fn refunded(ledger: &Ledger) -> i64 {
    ledger.refunds.iter().map(|r| r.amount).sum()
}

#[tokio::test]
async fn a_confirmed_quote_refunds_by_the_fare_frees_its_seats_voids_its_tickets_and_credits_the_invoice() {
    let now = Utc::now();
    let mut ledger = paid_pair(FareBrand::Flexi).invoiced(BOOKING, now);
    let id = quoted(&mut ledger, &[], now);
    let confirmed = confirm_in(ledger.books(), USER, id, None, now).await.unwrap();
    let refund = 2 * (FARE - 1_500_00);
    assert_eq!(confirmed.quote.quote.refund, refund, "Flexi keeps 1,500 a passenger");
    assert_eq!((confirmed.booking_status, confirmed.released.len()), (BookingStatus::Cancelled, 2));
    assert_eq!(ledger.status(BOOKING), BookingStatus::Cancelled);
    assert!(ledger.seats[&BOOKING].is_empty() && !ledger.tickets.contains_key(&BOOKING));
    assert_eq!(ledger.refunds.len(), 1);
    assert_eq!((ledger.refunds[0].amount, ledger.refunds[0].reason.as_str()), (refund, "CANCELLATION"));
    assert_eq!(ledger.credit_notes.len(), 1);
    assert_eq!(ledger.credit_notes[0].1.credit_total, refund, "the credit note is the refund");
    let stored = &ledger.quotes[&id];
    assert_eq!((stored.status, stored.refund_id, stored.closed_booking), (QuoteStatus::Confirmed, Some(1), Some(true)));
    assert_eq!((ledger.commits, ledger.notifications.len()), (1, 1));
    assert!(ledger.notifications[0].message.contains("₹7,000.00"), "{}", ledger.notifications[0].message);
}

#[tokio::test]
async fn one_passenger_then_the_other_each_refunded_once_and_the_booking_closes_with_the_last_seat() {
    let now = Utc::now();
    let mut ledger = paid_pair(FareBrand::Saver).invoiced(BOOKING, now);
    let first = quoted(&mut ledger, &[2], now);
    let partly = confirm_in(ledger.books(), USER, first, None, now).await.unwrap();
    assert_eq!(partly.booking_status, BookingStatus::Paid, "one seat is left");
    assert_eq!(ledger.status(BOOKING), BookingStatus::Paid);
    assert_eq!(ledger.seats[&BOOKING].len(), 1);
    assert_eq!(ledger.tickets[&BOOKING], 1, "the other passenger's ticket stands");
    assert_eq!(refunded(&ledger), FARE - 3_500_00);
    assert!(ledger.notifications[0].subject.contains("partly"), "{:?}", ledger.notifications[0]);

    let rest = quoted(&mut ledger, &[], now);
    let closed = confirm_in(ledger.books(), USER, rest, None, now).await.unwrap();
    assert_eq!(closed.quote.quote.passengers, [1]);
    assert_eq!(ledger.status(BOOKING), BookingStatus::Cancelled);
    assert_eq!(ledger.refunds.len(), 2, "a refund per quote");
    assert_eq!(refunded(&ledger), 2 * (FARE - 3_500_00));
    let credited: i64 = ledger.credit_notes.iter().map(|(_, n)| n.credit_total).sum();
    assert_eq!(credited, refunded(&ledger), "the credit notes add up to the refunds");
}

#[tokio::test]
async fn a_penalty_that_keeps_everything_frees_the_seats_without_a_refund() {
    let now = Utc::now();
    let mut ledger = paid_pair(FareBrand::Saver).invoiced(BOOKING, now);
    ledger.fares.get_mut(&BOOKING).unwrap().lines.iter_mut().for_each(|l| l.fare = 3_000_00);
    let id = quoted(&mut ledger, &[], now);
    let confirmed = confirm_in(ledger.books(), USER, id, None, now).await.unwrap();
    assert_eq!(confirmed.quote.quote.refund, 0);
    assert_eq!(confirmed.quote.refund_id, None);
    assert!(ledger.refunds.is_empty() && ledger.credit_notes.is_empty());
    assert_eq!(ledger.status(BOOKING), BookingStatus::Cancelled);
}

#[tokio::test]
async fn an_expired_quote_changes_nothing() {
    let now = Utc::now();
    let mut ledger = paid_pair(FareBrand::Flex);
    let id = quoted(&mut ledger, &[], now);
    let refused = confirm_in(ledger.books(), USER, id, None, now + QUOTE_VALIDITY).await.unwrap_err();
    assert_eq!((refused.status(), refused.error_code()), (StatusCode::CONFLICT, ErrorCode::QuoteExpired));
    assert_eq!((ledger.status(BOOKING), ledger.commits, ledger.refunds.len()), (BookingStatus::Paid, 0, 0));
}

#[tokio::test]
async fn a_quote_is_confirmed_once_and_replayed_only_under_its_key() {
    let now = Utc::now();
    let mut ledger = paid_pair(FareBrand::Flexi);
    let id = quoted(&mut ledger, &[], now);
    let first = confirm_in(ledger.books(), USER, id, Some("k-1"), now).await.unwrap();
    let again = confirm_in(ledger.books(), USER, id, Some("k-1"), now).await.unwrap();
    assert!(again.replayed && !first.replayed);
    assert_eq!(again.quote, first.quote, "the same answer");
    for key in [None, Some("k-2")] {
        let refused = confirm_in(ledger.books(), USER, id, key, now).await.unwrap_err();
        assert_eq!(refused.error_code(), ErrorCode::QuoteAlreadyConfirmed);
    }
    assert_eq!((ledger.refunds.len(), ledger.commits, ledger.notifications.len()), (1, 1, 1));
}

#[tokio::test]
async fn a_booking_changed_since_the_quote_makes_it_stale() {
    let now = Utc::now();
    // A cashback since: the cap would differ, and nothing is refunded twice.
    let mut ledger = paid_pair(FareBrand::Flex);
    let id = quoted(&mut ledger, &[], now);
    let payment_id = ledger.payments[0].id;
    ledger.refunds.push(Refund { booking_id: BOOKING, payment_id, amount: 100_00, reason: "CASHBACK".into() });
    let refused = confirm_in(ledger.books(), USER, id, None, now).await.unwrap_err();
    assert_eq!(refused.error_code(), ErrorCode::QuoteStale);

    // Two quotes of one booking: the second finds the first confirmed.
    let mut ledger = paid_pair(FareBrand::Flexi);
    let (one, other) = (quoted(&mut ledger, &[1], now), quoted(&mut ledger, &[2], now));
    confirm_in(ledger.books(), USER, one, None, now).await.unwrap();
    let refused = confirm_in(ledger.books(), USER, other, None, now).await.unwrap_err();
    assert_eq!(refused.error_code(), ErrorCode::QuoteStale);
    assert_eq!(ledger.refunds.len(), 1);

    // The airline cancelled the flight meanwhile: a new quote refunds more.
    let mut ledger = paid_pair(FareBrand::Saver);
    let id = quoted(&mut ledger, &[], now);
    ledger.fares.get_mut(&BOOKING).unwrap().flights[0].status = FlightStatus::Cancelled;
    assert_eq!(confirm_in(ledger.books(), USER, id, None, now).await.unwrap_err().error_code(), ErrorCode::QuoteStale);
    assert_eq!(ledger.status(BOOKING), BookingStatus::Paid);
}

#[tokio::test]
async fn an_unpaid_booking_is_cancelled_for_nothing_and_its_promo_use_comes_back() {
    let now = Utc::now();
    let mut ledger = Ledger::default().with_booking(BOOKING, USER, 2 * FARE, now).with_fares(
        BOOKING,
        FareBrand::Saver,
        vec![adult(1), adult(2)],
        vec![seat(1), seat(2)],
        vec![QuoteFlight { flight_id: 7, status: FlightStatus::Scheduled, departs_at: now + Duration::days(2) }],
    );
    let id = quoted(&mut ledger, &[], now);
    let confirmed = confirm_in(ledger.books(), USER, id, None, now).await.unwrap();
    assert_eq!((confirmed.quote.quote.refund, confirmed.released.len()), (0, 2));
    assert_eq!(ledger.status(BOOKING), BookingStatus::Cancelled);
    assert_eq!(ledger.promos_given_back, [BOOKING]);
    assert!(ledger.refunds.is_empty());
}

#[tokio::test]
async fn another_customers_quote_does_not_exist() {
    let now = Utc::now();
    let mut ledger = paid_pair(FareBrand::Flex);
    let id = quoted(&mut ledger, &[], now);
    let refused = confirm_in(ledger.books(), USER + 1, id, None, now).await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let unknown = confirm_in(ledger.books(), USER, id + 1, None, now).await.unwrap_err();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!((ledger.status(BOOKING), ledger.commits), (BookingStatus::Paid, 0));
}
