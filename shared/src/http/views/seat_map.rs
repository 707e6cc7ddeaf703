//! The seat map on the wire (`seats-list`), the one view rendered by hand:
//! it is the hottest read, and a large aircraft has hundreds of seats whose
//! characteristics never change. Each seat's JSON is rendered once per seat
//! plan (here, not in the catalog) around the two things that vary: the
//! cabin's price, per flight, and the seat's state, per request. What
//! choosing a seat costs is written once per cabin and seat product, not per
//! seat: a seat says its product.

use crate::domain::fares::FareBrand;
use crate::domain::money::Money;
use crate::domain::seat_charges::{SeatProduct, PRICE_LIST_CURRENCY};
use crate::domain::seating::{Cabin, Seat, SeatPlan, SeatPosition};
use crate::service::seats::{SeatMap, SeatStatus};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, LazyLock, RwLock, Weak};

/// The document's head: everything before `seats`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SeatMapHead<'a> {
    flight_id: i64,
    flight_number: &'a str,
    status: &'a str,
    sellable: bool,
    aircraft: AircraftBody<'a>,
    cabins: Vec<CabinBody>,
}

#[derive(Serialize)]
struct AircraftBody<'a> {
    code: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CabinBody {
    cabin: Cabin,
    seats_total: i32,
    seats_available: usize,
    price: Money,
    /// What choosing a seat costs, by seat product and then brand.
    seat_charges: BTreeMap<SeatProduct, BTreeMap<FareBrand, Money>>,
}

/// The cabin's seat price list in the fare's currency (free outside the
/// price list's currency, as a booking charges it).
fn seat_charges(cabin: Cabin, currency: &str) -> BTreeMap<SeatProduct, BTreeMap<FareBrand, Money>> {
    SeatProduct::ALL
        .into_iter()
        .map(|product| {
            let by_brand = FareBrand::offered_in(cabin)
                .iter()
                .map(|brand| {
                    let charge = if currency == PRICE_LIST_CURRENCY { product.charge(cabin, *brand) } else { 0 };
                    (*brand, Money::new(charge, currency))
                })
                .collect();
            (product, by_brand)
        })
        .collect()
}

/// One seat; `state` and `heldByYou` follow, written per request.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SeatBody<'a> {
    seat_number: &'a str,
    row: u16,
    letter: char,
    cabin: Cabin,
    position: SeatPosition,
    exit_row: bool,
    extra_legroom: bool,
    front_row: bool,
    /// Its price list is the cabin's `seatCharges`.
    seat_product: SeatProduct,
    /// A marker replaced by the cabin's price.
    price: &'static str,
}

const PRICE_MARKER: &str = "@price@";

/// A seat's JSON around its price: what comes before the price, and what
/// follows it up to the value of its state.
struct SeatFragment {
    before_price: String,
    after_price: String,
}

impl SeatFragment {
    fn of(seat: &Seat) -> SeatFragment {
        let body = SeatBody {
            seat_number: &seat.number,
            row: seat.row,
            letter: seat.letter,
            cabin: seat.cabin,
            position: seat.position,
            exit_row: seat.exit_row,
            extra_legroom: seat.extra_legroom,
            front_row: seat.front_row,
            seat_product: SeatProduct::of(seat),
            price: PRICE_MARKER,
        };
        let mut json = serde_json::to_string(&body).expect("seats serialise");
        json.pop();
        json.push_str(r#","state":""#);
        let (before, after) =
            json.split_once(&format!("\"{PRICE_MARKER}\"")).expect("the price marker is in the fragment");
        SeatFragment { before_price: before.to_owned(), after_price: after.to_owned() }
    }
}

/// The fragments of each seat plan in use, by plan identity (the catalog
/// shares one plan among the flights of an aircraft type). A plan's entry
/// holds a `Weak` to it, so its address cannot be reused while the entry
/// lives; entries of plans the catalog dropped are pruned on insertion.
type FragmentsByPlan = Vec<(Weak<SeatPlan>, Arc<[SeatFragment]>)>;
static FRAGMENTS: LazyLock<RwLock<FragmentsByPlan>> = LazyLock::new(Default::default);

fn fragments(plan: &Arc<SeatPlan>) -> Arc<[SeatFragment]> {
    let same_plan = |(weak, _): &&(Weak<SeatPlan>, Arc<[SeatFragment]>)| std::ptr::eq(weak.as_ptr(), Arc::as_ptr(plan));
    if let Some((_, cached)) = FRAGMENTS.read().unwrap_or_else(|e| e.into_inner()).iter().find(same_plan) {
        return cached.clone();
    }
    let built: Arc<[SeatFragment]> = plan.seats().iter().map(SeatFragment::of).collect();
    let mut all = FRAGMENTS.write().unwrap_or_else(|e| e.into_inner());
    all.retain(|(weak, _)| weak.strong_count() > 0);
    if let Some((_, cached)) = all.iter().find(same_plan) {
        return cached.clone();
    }
    all.push((Arc::downgrade(plan), built.clone()));
    built
}

fn state_of(status: SeatStatus) -> &'static str {
    match status {
        SeatStatus::Booked => "booked",
        SeatStatus::Unavailable => "unavailable",
        SeatStatus::Held { .. } => "held",
        SeatStatus::Available => "available",
    }
}

/// The seat map as a JSON document: the flight, its cabins, every seat
/// with its state, and `availableSeats` (the free seat numbers, as the
/// original API listed them).
pub fn render_seat_map(map: &SeatMap) -> String {
    let seats: &[Seat] = map.plan.seats();
    let fragments = fragments(&map.plan);
    let head = SeatMapHead {
        flight_id: map.flight_id,
        flight_number: &map.flight_number,
        status: &map.status,
        sellable: map.sellable,
        aircraft: AircraftBody { code: &map.aircraft_code, name: &map.aircraft_name },
        cabins: map
            .cabins
            .iter()
            .map(|c| CabinBody {
                cabin: c.cabin,
                seats_total: c.seats_total,
                seats_available: c.seats_available,
                price: c.price.clone(),
                seat_charges: seat_charges(c.cabin, &c.price.currency),
            })
            .collect(),
    };
    let head = serde_json::to_string(&head).expect("the seat map serialises");
    let prices: Vec<(Cabin, String)> = map
        .cabins
        .iter()
        .map(|c| (c.cabin, serde_json::to_string(&c.price.clone()).expect("money serialises")))
        .collect();
    let price_of = |cabin: Cabin| prices.iter().find(|(c, _)| *c == cabin).map_or("null", |(_, json)| json.as_str());
    // One buffer sized for the whole document up front: growing or copying
    // one of this size (a realloc and its page faults per request) costs
    // more than writing it.
    let longest_price = prices.iter().map(|(_, json)| json.len()).max().unwrap_or(4);
    let per_seat = longest_price + r#"unavailable","heldByYou":false},"#.len() + r#""100K","#.len();
    let fixed: usize = fragments.iter().map(|f| f.before_price.len() + f.after_price.len()).sum();
    let mut document = String::with_capacity(head.len() + fixed + seats.len() * per_seat + 64);
    document.push_str(&head[..head.len() - 1]);
    document.push_str(r#","seats":["#);
    let mut available = String::with_capacity(seats.len() * 6);
    for (index, ((seat, fragment), status)) in seats.iter().zip(fragments.iter()).zip(&map.seats).enumerate() {
        if *status == SeatStatus::Available {
            if !available.is_empty() {
                available.push(',');
            }
            write!(available, "\"{}\"", seat.number).expect("writing to a string");
        }
        if index > 0 {
            document.push(',');
        }
        let mine = *status == SeatStatus::Held { by_caller: true };
        write!(
            document,
            r#"{}{}{}{}","heldByYou":{mine}}}"#,
            fragment.before_price,
            price_of(seat.cabin),
            fragment.after_price,
            state_of(*status)
        )
        .expect("writing to a string");
    }
    write!(document, r#"],"availableSeats":[{available}]}}"#).expect("writing to a string");
    document
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Money;
    use crate::domain::seating::{CabinSection, SeatLayout};
    use crate::service::seats::CabinSeats;
    use serde_json::json;

    fn map() -> SeatMap {
        let layout = SeatLayout {
            cabins: vec![CabinSection {
                cabin: Cabin::Economy,
                first_row: 1,
                last_row: 1,
                letters: "AB".into(),
                aisle_after: vec![],
                exit_rows: vec![1],
                extra_legroom_rows: vec![],
                front_rows: vec![1],
            }],
        };
        SeatMap {
            flight_id: 7,
            flight_number: "AI101".into(),
            status: "SCHEDULED".into(),
            sellable: true,
            aircraft_code: "A320".into(),
            aircraft_name: "Airbus A320".into(),
            plan: Arc::new(SeatPlan::new(layout)),
            cabins: vec![CabinSeats {
                cabin: Cabin::Economy,
                price: Money::inr(450000),
                seats_total: 2,
                seats_available: 1,
            }],
            seats: vec![SeatStatus::Held { by_caller: true }, SeatStatus::Available],
        }
    }

    #[test]
    fn renders_the_seat_map_document() {
        let map = map();
        let document: serde_json::Value = serde_json::from_str(&render_seat_map(&map)).expect("valid JSON");
        let price = json!({"amount": 450000, "currency": "INR", "formatted": "₹4,500.00"});
        let inr = |amount: i64, formatted: &str| json!({"amount": amount, "currency": "INR", "formatted": formatted});
        let seat = |letter: &str, position: &str, state: &str, mine: bool| {
            json!({"seatNumber": format!("1{letter}"), "row": 1, "letter": letter, "cabin": "ECONOMY",
                   "position": position, "exitRow": true, "extraLegroom": false, "frontRow": true,
                   "seatProduct": "EXIT_ROW", "price": price, "state": state, "heldByYou": mine})
        };
        let positions: Vec<_> = map.plan.seats().iter().map(|s| serde_json::to_value(s.position).unwrap()).collect();
        assert_eq!(
            document,
            json!({
                "flightId": 7, "flightNumber": "AI101", "status": "SCHEDULED", "sellable": true,
                "aircraft": {"code": "A320", "name": "Airbus A320"},
                "cabins": [{"cabin": "ECONOMY", "seatsTotal": 2, "seatsAvailable": 1, "price": price,
                            "seatCharges": {
                                "STANDARD": {"SAVER": inr(30000, "₹300.00"), "FLEXI": inr(0, "₹0.00")},
                                "FRONT_ROW": {"SAVER": inr(60000, "₹600.00"), "FLEXI": inr(60000, "₹600.00")},
                                "EXIT_ROW": {"SAVER": inr(90000, "₹900.00"), "FLEXI": inr(90000, "₹900.00")},
                                "EXTRA_LEGROOM": {"SAVER": inr(120000, "₹1,200.00"),
                                                  "FLEXI": inr(120000, "₹1,200.00")},
                            }}],
                "seats": [seat("A", positions[0].as_str().unwrap(), "held", true),
                          seat("B", positions[1].as_str().unwrap(), "available", false)],
                "availableSeats": ["1B"],
            })
        );
    }

    #[test]
    fn fragments_are_built_once_per_plan() {
        let map = map();
        assert!(Arc::ptr_eq(&fragments(&map.plan), &fragments(&map.plan)));
        let other = Arc::new(SeatPlan::new(map.plan.layout.clone()));
        assert!(!Arc::ptr_eq(&fragments(&map.plan), &fragments(&other)));
    }
}
