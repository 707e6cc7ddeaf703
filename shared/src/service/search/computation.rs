//! Running the itinerary search on the instance's timetable: the days it
//! reads, each slice's search, their combination into trips, the sale check
//! against Postgres, and searching again when shown flights turn out
//! unsellable or the schedule changes underneath.

use super::rendering::{RenderedItineraries, SearchPageFormat};
use super::SearchRequest;
use crate::domain::itinerary::{self, slice_order, Itinerary, SearchInput, SliceList, Trip, MAX_RESULTS};
use crate::domain::timetable::{utc_day, Network, ScheduledFlight};
use crate::store::timetable::Snapshot;
use crate::{ApiError, Services};
use chrono::{NaiveDate, TimeZone, Utc};
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
}

/// The search date at the origin as a UTC interval `[from, until)`.
pub(super) fn local_day(date: NaiveDate, tz: Tz) -> Result<(i64, i64), ApiError> {
    let start = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .earliest()
            .map(|t| t.timestamp())
            .ok_or_else(|| ApiError::internal("local midnight does not exist"))
    };
    let next = date.succ_opt().ok_or_else(|| ApiError::invalid_field("date", "out of range"))?;
    Ok((start(date)?, start(next)?))
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

/// Each slice's search input, before the airports are resolved.
struct SliceWindow {
    departs_from: i64,
    departs_until: i64,
}

pub(super) async fn compute(
    svc: &Services,
    request: &SearchRequest,
    zones: &[Tz],
    format: &dyn SearchPageFormat,
) -> Result<SearchResult, ApiError> {
    let query = &request.query;
    let windows = query
        .slices
        .iter()
        .zip(zones)
        .map(|(slice, tz)| {
            local_day(slice.date, *tz).map(|(from, until)| SliceWindow { departs_from: from, departs_until: until })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // A first guess of the days a search reads: each stop adds about one.
    let mut days: Vec<i64> = windows
        .iter()
        .flat_map(|w| utc_day(w.departs_from)..=utc_day(w.departs_until - 1) + i64::from(query.max_stops))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut limits = vec![MAX_RESULTS; query.slices.len()];
    let mut attempt = 0;
    while attempt < SEARCH_ATTEMPTS {
        attempt += 1;
        let snapshot = svc.timetable.snapshot(&svc.db, &days).await?;
        let now = Utc::now().timestamp();
        let found = match find(&snapshot, request, &windows, &mut limits, now) {
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
        let mut found = found;
        let mut shown = found.flights();
        shown.sort_by_key(|f| f.id);
        shown.dedup_by_key(|f| f.id);
        let check = svc.timetable.check(&svc.db, &snapshot, &shown, query.cabin, query.seats()).await?;
        if check.stale {
            continue;
        }
        if check.refused == 0 || attempt == SEARCH_ATTEMPTS {
            found.retain(|i| i.legs.iter().all(|l| l.looks_sellable(query.cabin, query.seats(), now)));
            let flight_ids = found.flights().iter().map(|l| l.id).collect();
            let first_departure = found.first_departure();
            let itineraries = match &found {
                Found::OneWay(found) => format.itineraries(found, &snapshot, request)?,
                Found::Trips(trips) => format.trips(trips, &snapshot, request)?,
            };
            return Ok(SearchResult { itineraries, flight_ids, first_departure });
        }
    }
    Err(ApiError::unavailable("postgres", "the schedule kept changing during the search; try again"))
}

enum Search<'a> {
    Found(Found<'a>),
    UnknownAirport,
    MissingDays(Vec<i64>),
}

/// Every slice searched on one snapshot, combined into trips when there
/// are several; a slice's list grows while the combination asks for it.
fn find<'a>(
    snapshot: &'a Snapshot,
    request: &SearchRequest,
    windows: &[SliceWindow],
    limits: &mut [usize],
    now: i64,
) -> Search<'a> {
    let query = &request.query;
    let network = &snapshot.network;
    let mut inputs = Vec::with_capacity(windows.len());
    for (index, (slice, window)) in query.slices.iter().zip(windows).enumerate() {
        let (Some(origin), Some(destination)) = (network.airport(&slice.origin), network.airport(&slice.destination))
        else {
            return Search::UnknownAirport;
        };
        inputs.push(SearchInput {
            origin,
            destination,
            departs_from: window.departs_from,
            departs_until: window.departs_until,
            passengers: query.seats(),
            max_stops: query.max_stops,
            cabin: query.cabin,
            sort: slice_order(query.sort, index),
            now,
            limit: MAX_RESULTS,
        });
    }
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
        let combined = itinerary::combine(&lists, query.sort, MAX_RESULTS, |a, b| follows(network, a, b));
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
