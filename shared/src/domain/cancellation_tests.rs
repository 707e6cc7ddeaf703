use super::*;
use chrono::Duration;

const DAY: i64 = 24;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").unwrap().with_timezone(&Utc)
}

fn passenger(position: i32, kind: PassengerType, infant_of: Option<i32>) -> QuotePassenger {
    QuotePassenger { position, name: format!("P{position}"), kind, infant_of }
}

fn seat(position: i32, slice: i32, flight_id: i64, fare: i64) -> FareLine {
    FareLine {
        position,
        slice,
        leg: slice,
        flight_id,
        seat: Some(format!("{position}A")),
        cabin: Cabin::Economy,
        fare,
        live: true,
        taxed: true,
    }
}

fn lap(position: i32, slice: i32, flight_id: i64, fare: i64) -> FareLine {
    FareLine { seat: None, ..seat(position, slice, flight_id, fare) }
}

fn flight(flight_id: i64, hours_ahead: i64) -> QuoteFlight {
    QuoteFlight { flight_id, status: FlightStatus::Scheduled, departs_at: now() + Duration::hours(hours_ahead) }
}

/// Two adults on one slice (flight 7), 5,000 each, paid in full.
fn two_adults(brand: FareBrand) -> QuoteFacts {
    QuoteFacts {
        booking_id: 5,
        user_id: 1,
        pnr: "ABC234".into(),
        status: BookingStatus::Paid,
        currency: "INR".into(),
        expires_at: now() - Duration::hours(1),
        brand,
        discount: 0,
        paid: 10_000_00,
        refunded: 0,
        passengers: vec![passenger(1, PassengerType::Adult, None), passenger(2, PassengerType::Adult, None)],
        lines: vec![seat(1, 1, 7, 5_000_00), seat(2, 1, 7, 5_000_00)],
        flights: vec![flight(7, 2 * DAY)],
    }
}

fn whole() -> ScopeRequest {
    ScopeRequest::default()
}

fn only(passengers: &[i32]) -> ScopeRequest {
    ScopeRequest { passengers: Some(passengers.to_vec()), slices: None }
}

#[test]
fn before_departure_each_seated_passenger_keeps_the_brand_penalty() {
    let expect = [(FareBrand::Saver, 3_000_00), (FareBrand::Flexi, 7_000_00), (FareBrand::Flex, 10_000_00)];
    for (brand, refund) in expect {
        let mut facts = two_adults(brand);
        if brand == FareBrand::Flex {
            facts.lines.iter_mut().for_each(|l| l.cabin = Cabin::Business);
        }
        let q = quote(&facts, &whole(), now()).unwrap();
        assert_eq!((q.refund, q.penalty, q.deducted), (refund, 10_000_00 - refund, 0), "{brand:?}");
        assert!(q.closes_booking);
        let part = &q.per_passenger[0].slices[0];
        assert_eq!(part.rule, PartRule::RefundLessPenalty);
        let gst = if brand == FareBrand::Flex { 535_71 } else { 238_10 };
        assert_eq!(part.taxes, gst, "5 % (economy) or 12 % GST inside 5,000");
    }
}

#[test]
fn flex_booked_in_economy_reads_as_the_cabins_default() {
    // Flex is sold in business and first only; an economy seat carrying it
    // paid the published fare, Saver's.
    let q = quote(&two_adults(FareBrand::Flex), &whole(), now()).unwrap();
    assert_eq!(q.per_passenger[0].slices[0].fare_brand, "SAVER");
    let mut business = two_adults(FareBrand::Saver);
    business.lines.iter_mut().for_each(|l| l.cabin = Cabin::Business);
    let q = quote(&business, &whole(), now()).unwrap();
    assert_eq!((q.per_passenger[0].slices[0].fare_brand.as_str(), q.penalty), ("FLEX", 0));
}

#[test]
fn the_discount_is_spread_over_every_fare_before_the_penalty() {
    let mut facts = two_adults(FareBrand::Flexi);
    facts.lines[1].fare = 3_000_00;
    facts.discount = 800_00;
    facts.paid = 7_200_00;
    let q = quote(&facts, &whole(), now()).unwrap();
    let paid: Vec<i64> = q.per_passenger.iter().map(|p| p.slices[0].paid).collect();
    assert_eq!(paid, [4_500_00, 2_700_00], "800 off in proportion 5:3");
    assert_eq!(q.refund, (4_500_00 - 1_500_00) + (2_700_00 - 1_500_00));
    // Cancelling one passenger later gives the same share: the discount is
    // spread over every fare, given up or not.
    facts.lines[0].live = false;
    let rest = quote(&facts, &whole(), now()).unwrap();
    assert_eq!(rest.per_passenger[0].slices[0].paid, 2_700_00);
}

#[test]
fn refunds_never_exceed_what_was_paid_less_what_came_back() {
    let mut facts = two_adults(FareBrand::Saver);
    facts.flights[0].status = FlightStatus::Cancelled;
    facts.refunded = 100_00;
    let q = quote(&facts, &whole(), now()).unwrap();
    assert_eq!((q.refund, q.penalty, q.deducted), (9_900_00, 0, 100_00), "the cashback is not refunded twice");
    assert_eq!(q.per_passenger.iter().map(|p| p.refund).sum::<i64>(), q.refund, "the parts add up");
    assert_eq!(q.per_passenger[0].slices[0].rule, PartRule::CancelledByAirline);

    // A penalty larger than the cashback absorbs it: nothing comes back twice.
    let mut saver = two_adults(FareBrand::Saver);
    saver.refunded = 100_00;
    assert_eq!(quote(&saver, &whole(), now()).unwrap().deducted, 0);
    saver.refunded = 9_000_00;
    let q = quote(&saver, &whole(), now()).unwrap();
    assert_eq!((q.refund, q.deducted), (1_000_00, 2_000_00));
}

#[test]
fn one_passenger_then_the_rest() {
    let mut facts = two_adults(FareBrand::Flexi);
    let first = quote(&facts, &only(&[2]), now()).unwrap();
    assert_eq!((first.passengers.clone(), first.slices.clone()), (vec![2], vec![1]));
    assert_eq!(first.refund, 3_500_00);
    assert!(!first.closes_booking);
    assert_eq!(first.seats, [QuotedSeat { flight_id: 7, seat: "2A".into() }]);
    assert_eq!(first.legs, [(2, 1)]);

    facts.lines[1].live = false;
    facts.refunded = first.refund;
    assert_eq!(quote(&facts, &only(&[2]), now()), Err(QuoteRefusal::NothingToCancel));
    let rest = quote(&facts, &whole(), now()).unwrap();
    assert_eq!((rest.passengers.clone(), rest.refund), (vec![1], 3_500_00));
    assert!(rest.closes_booking);
    assert_eq!(rest.basis.live_seats.len(), 1);
}

#[test]
fn one_slice_of_a_round_trip_and_a_departed_slice_refunds_its_taxes_only() {
    let mut facts = two_adults(FareBrand::Flex);
    facts.lines.extend([seat(1, 2, 8, 5_000_00), seat(2, 2, 8, 5_000_00)]);
    facts.lines.iter_mut().for_each(|l| l.cabin = Cabin::Business);
    facts.lines[2].leg = 2;
    facts.lines[3].leg = 2;
    facts.lines[2].taxed = false;
    facts.lines[3].taxed = false;
    facts.flights.push(flight(8, 5 * DAY));
    facts.paid = 20_000_00;
    let inbound = quote(&facts, &ScopeRequest { passengers: None, slices: Some(vec![2]) }, now()).unwrap();
    assert_eq!((inbound.refund, inbound.slices.clone(), inbound.closes_booking), (10_000_00, vec![2], false));

    // The outbound left: its business fare gives back the 12 % GST inside it;
    // the inbound, embarking outside India, carries none.
    facts.flights[0].departs_at = now() - Duration::hours(1);
    facts.flights[1].departs_at = now() - Duration::hours(1);
    let q = quote(&facts, &whole(), now()).unwrap();
    let outbound = &q.per_passenger[0].slices[0];
    assert_eq!((outbound.rule, outbound.taxes, outbound.refund), (PartRule::NoShowTaxesOnly, 535_71, 535_71));
    assert_eq!(q.per_passenger[0].slices[1].refund, 0);
    assert_eq!(q.refund, 2 * 535_71);
    assert_eq!(q.penalty, 20_000_00 - 2 * 535_71);

    // The status says so too, whatever the clock.
    let mut marked = two_adults(FareBrand::Flex);
    marked.flights[0].status = FlightStatus::Departed;
    assert_eq!(quote(&marked, &whole(), now()).unwrap().per_passenger[0].slices[0].rule, PartRule::NoShowTaxesOnly);
}

#[test]
fn an_infant_on_a_lap_goes_with_its_adult_and_pays_no_penalty() {
    let mut facts = two_adults(FareBrand::Saver);
    facts.passengers.push(passenger(3, PassengerType::Infant, Some(1)));
    facts.lines.push(lap(3, 1, 7, 500_00));
    facts.paid = 10_500_00;
    assert_eq!(quote(&facts, &only(&[1]), now()), Err(QuoteRefusal::InfantLeftBehind { adult: 1, infant: 3 }));
    assert_eq!(quote(&facts, &only(&[3]), now()), Err(QuoteRefusal::InfantWithoutAdult { infant: 3, adult: 1 }));
    let q = quote(&facts, &only(&[1, 3]), now()).unwrap();
    assert_eq!(q.passengers, [1, 3]);
    let infant = &q.per_passenger[1];
    assert_eq!((infant.kind, infant.refund, infant.penalty), (PassengerType::Infant, 500_00, 0));
    assert_eq!(q.per_passenger[0].penalty, 3_500_00);
    assert_eq!(q.seats.len(), 1, "a lap frees no seat");
    assert_eq!(q.legs, [(1, 1), (3, 1)], "but its ticket goes");
    // The other adult alone needs no infant.
    assert!(quote(&facts, &only(&[2]), now()).is_ok());
}

#[test]
fn an_unpaid_booking_is_cancelled_whole_for_nothing() {
    let mut facts = two_adults(FareBrand::Flexi);
    facts.status = BookingStatus::PendingPayment;
    facts.paid = 0;
    facts.expires_at = now() + Duration::minutes(5);
    let q = quote(&facts, &whole(), now()).unwrap();
    assert_eq!((q.refund, q.penalty), (0, 0));
    assert!(q.closes_booking);
    assert!(q.per_passenger.iter().flat_map(|p| &p.slices).all(|s| s.rule == PartRule::Unpaid && s.paid == 0));
    assert_eq!(quote(&facts, &only(&[1]), now()), Err(QuoteRefusal::PartOfUnpaid));
    assert_eq!(
        quote(&facts, &whole(), now() + Duration::minutes(5)),
        Err(QuoteRefusal::Closed(BookingStatus::Expired)),
        "past its hold it expires"
    );
}

#[test]
fn unknown_passengers_and_slices_and_closed_bookings_are_refused() {
    let facts = two_adults(FareBrand::Saver);
    assert_eq!(quote(&facts, &only(&[1, 9]), now()), Err(QuoteRefusal::UnknownPassenger(9)));
    let slices = ScopeRequest { passengers: None, slices: Some(vec![2]) };
    assert_eq!(quote(&facts, &slices, now()), Err(QuoteRefusal::UnknownSlice(2)));
    let cancelled = QuoteFacts { status: BookingStatus::Cancelled, ..facts.clone() };
    assert_eq!(quote(&cancelled, &whole(), now()), Err(QuoteRefusal::Closed(BookingStatus::Cancelled)));
}

#[test]
fn a_quote_computed_again_from_the_same_booking_is_the_same_and_from_a_changed_one_is_not() {
    let facts = two_adults(FareBrand::Flexi);
    let q = quote(&facts, &only(&[1]), now()).unwrap();
    assert_eq!(quote(&facts, &q.scope(), now() + Duration::minutes(10)), Ok(q.clone()));
    let refunded = QuoteFacts { refunded: 100_00, ..facts.clone() };
    assert_ne!(quote(&refunded, &q.scope(), now()).unwrap(), q, "a refund since");
    let mut other_gone = facts.clone();
    other_gone.lines[1].live = false;
    assert_ne!(quote(&other_gone, &q.scope(), now()).unwrap(), q, "another seat given up since");
}
