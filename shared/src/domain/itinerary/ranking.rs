//! The order of results and the best-k kept while searching: a bounded
//! max-heap on a total sort key, and the lower bound that prunes a partial
//! itinerary once it cannot enter the heap.

use super::Itinerary;
use crate::domain::seating::Cabin;
use crate::domain::timetable::ScheduledFlight;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    Price,
    Duration,
    Departure,
    /// Price and total travel time weighed together: the price plus
    /// [`BEST_MINOR_UNITS_PER_HOUR`] for every hour from first departure to
    /// last arrival, so a cheap trip with a 20-hour layover no longer tops a
    /// slightly dearer direct flight.
    Best,
}

/// What an hour of travel time is worth in `sort=best`: ₹400 (in minor
/// units, of whatever currency the fares are in).
pub const BEST_MINOR_UNITS_PER_HOUR: i64 = 40_000;

/// `sort=best`'s score of a price and a duration in seconds.
pub fn best_score(price: i64, duration_secs: i64) -> i64 {
    price + duration_secs * BEST_MINOR_UNITS_PER_HOUR / 3600
}

impl SortOrder {
    pub fn parse(raw: &str) -> Option<SortOrder> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "price" | "cheapest" => Some(SortOrder::Price),
            "duration" | "fastest" => Some(SortOrder::Duration),
            "departure" | "earliest" => Some(SortOrder::Departure),
            "best" | "recommended" => Some(SortOrder::Best),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Price => "price",
            SortOrder::Duration => "duration",
            SortOrder::Departure => "departure",
            SortOrder::Best => "best",
        }
    }

    /// The two leading sort keys of (price per passenger, departure, arrival).
    /// Both are non-decreasing in price and in arrival, so a lower bound of
    /// each gives a lower bound of the rank.
    pub(super) fn rank(self, price: i64, departs: i64, arrives: i64) -> (i64, i64) {
        match self {
            SortOrder::Price => (price, arrives - departs),
            SortOrder::Duration => (arrives - departs, price),
            SortOrder::Departure => (departs, price),
            SortOrder::Best => (best_score(price, arrives - departs), price),
        }
    }

    /// The whole key; every key ends with the flight ids, so the order is
    /// total and pages are stable between requests.
    pub(super) fn key(self, price: i64, departs: i64, arrives: i64, ids: [i64; 3]) -> Key {
        let (first, second) = self.rank(price, departs, arrives);
        let third = match self {
            SortOrder::Price | SortOrder::Duration | SortOrder::Best => departs,
            SortOrder::Departure => arrives - departs,
        };
        Key { first, second, third, ids }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Key {
    first: i64,
    second: i64,
    third: i64,
    ids: [i64; 3],
}

struct Kept<'a> {
    key: Key,
    legs: [&'a ScheduledFlight; 3],
    len: usize,
    price: i64,
    currency: [u8; 3],
}

impl PartialEq for Kept<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Kept<'_> {}
impl PartialOrd for Kept<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Kept<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// A lower bound of every completion of a partial itinerary: price at
/// least `price`, arrival no earlier than `arrives`, departure exact.
#[derive(Clone, Copy)]
pub(super) struct Bound {
    pub price: i64,
    pub departs: i64,
    pub arrives: i64,
}

/// The best `limit` itineraries seen so far (a max-heap on the key).
pub(super) struct Best<'a> {
    heap: BinaryHeap<Kept<'a>>,
    limit: usize,
    sort: SortOrder,
    cabin: Cabin,
}

impl<'a> Best<'a> {
    pub fn new(limit: usize, sort: SortOrder, cabin: Cabin) -> Self {
        Best { heap: BinaryHeap::new(), limit, sort, cabin }
    }

    /// True when no completion of the partial itinerary can enter the best.
    pub fn prunes(&self, bound: &Bound) -> bool {
        if self.heap.len() < self.limit {
            return false;
        }
        let worst = &self.heap.peek().expect("full heap").key;
        self.sort.rank(bound.price, bound.departs, bound.arrives) > (worst.first, worst.second)
    }

    pub fn offer(&mut self, legs: &[&'a ScheduledFlight]) {
        if self.limit == 0 {
            return;
        }
        let mut price = 0;
        let mut currency = None;
        for leg in legs {
            let Some(fare) = leg.fare(self.cabin) else { return };
            // Fares in different currencies cannot be added up honestly.
            if currency.is_some_and(|c| c != fare.currency) {
                return;
            }
            currency = Some(fare.currency);
            price += fare.amount;
        }
        let mut ids = [0; 3];
        for (slot, leg) in ids.iter_mut().zip(legs) {
            *slot = leg.id;
        }
        let (departs, arrives) = (legs[0].departs_at, legs[legs.len() - 1].arrives_at);
        let key = self.sort.key(price, departs, arrives, ids);
        if self.heap.len() == self.limit {
            if key >= self.heap.peek().expect("full heap").key {
                return;
            }
            self.heap.pop();
        }
        let mut kept = [legs[0]; 3];
        kept[..legs.len()].copy_from_slice(legs);
        let currency = currency.expect("at least one leg");
        self.heap.push(Kept { key, legs: kept, len: legs.len(), price, currency });
    }

    /// The itineraries kept, best first.
    pub fn into_itineraries(self) -> Vec<Itinerary<'a>> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|kept| Itinerary {
                legs: kept.legs[..kept.len].to_vec(),
                price_per_passenger: kept.price,
                currency: kept.currency,
            })
            .collect()
    }
}
