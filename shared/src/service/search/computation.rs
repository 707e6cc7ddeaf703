//! Running the itinerary search on the instance's timetable: the days it
//! reads, each slice's search, their combination into trips, the sale check
//! against Postgres, and searching again when shown flights turn out
//! unsellable or the schedule changes underneath.

use super::narrowing::{departures, local_day, max_adult_fare, slice_filters};
use super::rendering::{RenderedItineraries, SearchPageFormat};
use super::SearchQuery;
use super::SearchRequest;
use crate::domain::itinerary::{self, slice_order, Itinerary, SearchInput, SliceList, Trip, MAX_RESULTS};
use crate::domain::timetable::{utc_day, Network, ScheduledFlight};
use crate::store::timetable::Snapshot;
use crate::{ApiError, Services};
use chrono::Utc;
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// Searches again at most this often when shown flights turn out unsellable
/// or the schedule changes underneath; then only checked flights are shown.
const SEARCH_ATTEMPTS: usize = 4;
/// A slice's list grows (doubling from [`MAX_RESULTS`]) up to this many
/// itineraries while the combination cannot yet prove its trips the best.
const MAX_SLICE_LIST: usize = 4 * MAX_RESULTS;

/// A whole result (every page), written, with what the cache keeps beside it.
pub(super) struct SearchResult {
    pub itineraries: RenderedItineraries,
    /// Every flight shown: a change to any of them drops the cached result.
    pub flight_ids: BTreeSet<i64>,
    pub first_departure: Option<i64>,
    /// Of the result without the request's filters, written by the format.
    pub facets: String,
}

/// Whether slice `next` can follow slice `previous`: it leaves at least the
/// minimum connection time after `previous` lands (the international one
/// when either flight at the junction crosses a border).
pub(super) fn follows(network: &Network, previous: &Itinerary<'_>, next: &Itinerary<'_>) -> bool {
    let (arriving, departing) = (previous.legs[previous.legs.len() - 1], next.legs[0]);
    let rules = network.rules(arriving.destination);
    let international = network.crosses_border(arriving.origin, arriving.destination)
        || network.crosses_border(departing.origin, departing.destination);
    let minimum = if international { rules.min_connection_minutes_international } else { rules.min_connection_minutes };
    departing.departs_at >= arriving.arrives_at + i64::from(minimum) * 60
}

/// What a search found on one snapshot: one-way itineraries, or trips.
enum Found<'a> {
    OneWay(Vec<Itinerary<'a>>),
    Trips(Vec<Trip<'a>>),
}

impl<'a> Found<'a> {
    fn empty(slices: usize) -> Self {
        if slices == 1 {
            Found::OneWay(Vec::new())
        } else {
            Found::Trips(Vec::new())
        }
    }

    /// Each offer's slices (a one-way itinerary is one slice).
    fn offers(&self) -> Vec<&[Itinerary<'a>]> {
        match self {
            Found::OneWay(found) => found.iter().map(std::slice::from_ref).collect(),
            Found::Trips(trips) => trips.iter().map(|t| t.slices.as_slice()).collect(),
        }
    }

    fn flights(&self) -> Vec<&'a ScheduledFlight> {
        match self {
            Found::OneWay(found) => found.iter().flat_map(|i| i.legs.iter().copied()).collect(),
            Found::Trips(trips) => {
                trips.iter().flat_map(|t| t.slices.iter().flat_map(|s| s.legs.iter().copied())).collect()
            }
        }
    }

    fn retain(&mut self, keep: impl Fn(&Itinerary<'a>) -> bool) {
        match self {
            Found::OneWay(found) => found.retain(|i| keep(i)),
            Found::Trips(trips) => trips.retain(|t| t.slices.iter().all(&keep)),
        }
    }

    fn first_departure(&self) -> Option<i64> {
        match self {
            Found::OneWay(found) => found.iter().map(Itinerary::departs_at).min(),
            Found::Trips(trips) => trips.iter().map(Trip::departs_at).min(),
        }
    }
}

pub(super) async fn compute(
    svc: &Services,
    request: &SearchRequest,
    zones: &[(Tz, Tz)],
    format: &dyn SearchPageFormat,
) -> Result<SearchResult, ApiError> {
    let query = &request.query;
    // A first guess of the days a search reads: each stop adds about one.
    let mut days = BTreeSet::new();
    for (slice, (origin_tz, _)) in query.slices.iter().zip(zones) {
        let (from, until) = local_day(slice.date, *origin_tz)?;
        days.extend(utc_day(from)..=utc_day(until - 1) + i64::from(query.max_stops));
    }
    let mut days: Vec<i64> = days.into_iter().collect();
    // Facets describe the result without the request's filters.
    let plain = query.is_filtered().then(|| query.unfiltered());
    let (mut limits, mut plain_limits) = (vec![MAX_RESULTS; query.slices.len()], vec![MAX_RESULTS; query.slices.len()]);
    let mut attempt = 0;
    while attempt < SEARCH_ATTEMPTS {
        attempt += 1;
        let snapshot = svc.timetable.snapshot(&svc.db, &days).await?;
        let now = Utc::now().timestamp();
        let searched = find(&snapshot, query, zones, &mut limits, now).and_then(|found| match &plain {
            Some(plain) => find(&snapshot, plain, zones, &mut plain_limits, now).map(|all| (found, Some(all))),
            None => Search::Found((found, None)),
        });
        let (mut found, mut all) = match searched {
            Search::Found(found) => found,
            Search::UnknownAirport => {
                // An airport was added after this copy was loaded.
                svc.timetable.forget(snapshot.revision);
                continue;
            }
            Search::MissingDays(missing) => {
                days.extend(missing);
                days.sort_unstable();
                days.dedup();
                attempt -= 1;
                continue;
            }
        };
        let mut shown = found.flights();
        shown.extend(all.iter().flat_map(Found::flights));
        shown.sort_by_key(|f| f.id);
        shown.dedup_by_key(|f| f.id);
        let check = svc.timetable.check(&svc.db, &snapshot, &shown, query.cabin, query.seats()).await?;
        if check.stale {
            continue;
        }
        if check.refused == 0 || attempt == SEARCH_ATTEMPTS {
            let sellable = |i: &Itinerary| i.legs.iter().all(|l| l.looks_sellable(query.cabin, query.seats(), now));
            found.retain(sellable);
            if let Some(all) = &mut all {
                all.retain(sellable);
            }
            let described = all.as_ref().unwrap_or(&found);
            let facets = format.facets(&described.offers(), &snapshot, request)?;
            let mut flight_ids: BTreeSet<i64> = found.flights().iter().map(|l| l.id).collect();
            // A change to a flight the facets count drops the result too.
            flight_ids.extend(all.iter().flat_map(|a| a.flights().into_iter().map(|l| l.id)));
            let first_departure = found.first_departure();
            let itineraries = match &found {
                Found::OneWay(found) => format.itineraries(found, &snapshot, request)?,
                Found::Trips(trips) => format.trips(trips, &snapshot, request)?,
            };
            return Ok(SearchResult { itineraries, flight_ids, first_departure, facets });
        }
    }
    Err(ApiError::unavailable("postgres", "the schedule kept changing during the search; try again"))
}

enum Search<T> {
    Found(T),
    UnknownAirport,
    MissingDays(Vec<i64>),
}

impl<T> Search<T> {
    fn and_then<U>(self, next: impl FnOnce(T) -> Search<U>) -> Search<U> {
        match self {
            Search::Found(found) => next(found),
            Search::UnknownAirport => Search::UnknownAirport,
            Search::MissingDays(days) => Search::MissingDays(days),
        }
    }

    fn map<U>(self, next: impl FnOnce(T) -> U) -> Search<U> {
        self.and_then(|found| Search::Found(next(found)))
    }
}

/// Every slice of `query` searched on one snapshot (narrowed to its
/// windows and filters), combined into trips when there are several; a
/// slice's list grows while the combination asks for it.
fn find<'a>(
    snapshot: &'a Snapshot,
    query: &SearchQuery,
    zones: &[(Tz, Tz)],
    limits: &mut [usize],
    now: i64,
) -> Search<Found<'a>> {
    let network = &snapshot.network;
    let mut inputs = Vec::with_capacity(query.slices.len());
    for (index, (slice, (origin_tz, destination_tz))) in query.slices.iter().zip(zones).enumerate() {
        let (Some(origin), Some(destination)) = (network.airport(&slice.origin), network.airport(&slice.destination))
        else {
            return Search::UnknownAirport;
        };
        let Ok((departs_from, departs_until)) = departures(slice.date, slice.departure_window, *origin_tz) else {
            return Search::Found(Found::empty(query.slices.len()));
        };
        inputs.push(SearchInput {
            origin,
            destination,
            departs_from,
            departs_until,
            passengers: query.seats(),
            max_stops: query.max_stops,
            cabin: query.cabin,
            sort: slice_order(query.sort, index),
            now,
            limit: MAX_RESULTS,
            filters: slice_filters(query, index, *destination_tz, network),
        });
    }
    let max_adult = query.filters.max_price.map(|p| max_adult_fare(&query.travellers, p));
    let view = snapshot.view();
    loop {
        let lists: Vec<SliceList<'a>> = inputs
            .iter_mut()
            .zip(limits.iter())
            .map(|(input, limit)| {
                input.limit = *limit;
                let itineraries = itinerary::search(&view, input);
                SliceList { complete: itineraries.len() < *limit, itineraries }
            })
            .collect();
        let missing = view.missing_days();
        if !missing.is_empty() {
            return Search::MissingDays(missing);
        }
        let mut lists = lists;
        if lists.len() == 1 {
            return Search::Found(Found::OneWay(lists.pop().expect("one slice").itineraries));
        }
        let within_price = |trip: &[&Itinerary]| {
            max_adult.is_none_or(|max| trip.iter().map(|s| s.price_per_passenger).sum::<i64>() <= max)
        };
        let combined = itinerary::combine(&lists, query.sort, MAX_RESULTS, |a, b| follows(network, a, b), within_price);
        let growable: Vec<usize> = combined.grow.iter().copied().filter(|s| limits[*s] < MAX_SLICE_LIST).collect();
        if growable.is_empty() {
            if !combined.grow.is_empty() {
                tracing::info!(slices = ?combined.grow, "trip combination kept its best effort at the longest slice lists");
            }
            return Search::Found(Found::Trips(combined.trips));
        }
        for s in growable {
            limits[s] = (limits[s] * 2).min(MAX_SLICE_LIST);
        }
    }
}
