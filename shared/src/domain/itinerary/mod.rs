//! Itinerary search over the in-memory timetable: direct, one-stop and
//! two-stop itineraries with minimum connection times (the international
//! one when a leg crosses a border), at most 24 h on the ground, no airport
//! twice, one currency, and the best [`MAX_RESULTS`] in the requested order.
//!
//! Exact top-k by branch and bound: itineraries are kept in a bounded heap
//! ordered by the sort key, and a partial itinerary is extended only while a
//! lower bound of its best completion (cheapest fare and shortest flight
//! time of each remaining route, shortest connection at each airport) could
//! still beat the worst itinerary kept. Direct and one-stop itineraries are
//! found first, so the bound is already tight when two-stop search starts,
//! and first legs are tried best bound first, so the loop stops at the first
//! one that cannot win. Pure: no I/O, the store provides the timetable.

mod branch_and_bound;
pub mod filters;
mod ranking;
#[cfg(test)]
mod tests;
pub mod trips;

pub use branch_and_bound::{connects, search};
pub use filters::{ArrivalWindow, Filters, TimeWindow};
pub use ranking::{best_score, SortOrder, BEST_MINOR_UNITS_PER_HOUR};
pub use trips::{combine, slice_order, Combined, SliceList, Trip};

use super::seating::Cabin;
use super::timetable::{AirportId, ScheduledFlight};

pub const MAX_LAYOVER_SECS: i64 = 24 * 3600;
/// Itineraries kept per search after sorting (and so reachable by paging).
pub const MAX_RESULTS: usize = 300;

pub struct SearchInput {
    pub origin: AirportId,
    pub destination: AirportId,
    /// First legs depart in `[departs_from, departs_until)` (Unix seconds):
    /// the search date at the origin.
    pub departs_from: i64,
    pub departs_until: i64,
    pub passengers: i32,
    pub max_stops: u8,
    pub cabin: Cabin,
    pub sort: SortOrder,
    pub now: i64,
    pub limit: usize,
    /// What the traveller narrowed the search to (none: everything).
    pub filters: Filters,
}

#[derive(Clone, Debug)]
pub struct Itinerary<'a> {
    pub legs: Vec<&'a ScheduledFlight>,
    /// One passenger, all legs, minor units.
    pub price_per_passenger: i64,
    pub currency: [u8; 3],
}

impl Itinerary<'_> {
    pub fn departs_at(&self) -> i64 {
        self.legs[0].departs_at
    }

    pub fn arrives_at(&self) -> i64 {
        self.legs[self.legs.len() - 1].arrives_at
    }

    pub fn duration_minutes(&self) -> i64 {
        (self.arrives_at() - self.departs_at()) / 60
    }

    pub fn stops(&self) -> usize {
        self.legs.len() - 1
    }

    pub fn id(&self) -> String {
        self.legs.iter().map(|l| l.id.to_string()).collect::<Vec<_>>().join("-")
    }

    /// (airport, minutes on the ground) between consecutive legs.
    pub fn layovers(&self) -> impl Iterator<Item = (AirportId, i64)> + '_ {
        self.legs.windows(2).map(|pair| (pair[0].destination, (pair[1].departs_at - pair[0].arrives_at) / 60))
    }
}
