//! Running the itinerary search on the instance's timetable: the days it
//! reads, the sale check against Postgres, and searching again when shown
//! flights turn out unsellable or the schedule changes underneath.

use super::rendering::{RenderedItineraries, SearchPageFormat};
use super::SearchRequest;
use crate::domain::itinerary::{self, Itinerary, SearchInput, MAX_RESULTS};
use crate::domain::timetable::{utc_day, ScheduledFlight};
use crate::{ApiError, Services};
use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// Searches again at most this often when shown flights turn out unsellable
/// or the schedule changes underneath; then only checked flights are shown.
const SEARCH_ATTEMPTS: usize = 4;

/// A whole result (every page), written, with what the cache keeps beside it.
pub(super) struct SearchResult {
    pub itineraries: RenderedItineraries,
    /// Every flight shown: a change to any of them drops the cached result.
    pub flight_ids: BTreeSet<i64>,
    pub first_departure: Option<i64>,
}

/// The search date at the origin as a UTC interval `[from, until)`.
fn local_day(date: NaiveDate, tz: Tz) -> Result<(i64, i64), ApiError> {
    let start = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .earliest()
            .map(|t| t.timestamp())
            .ok_or_else(|| ApiError::internal("local midnight does not exist"))
    };
    let next = date.succ_opt().ok_or_else(|| ApiError::invalid_field("date", "out of range"))?;
    Ok((start(date)?, start(next)?))
}

pub(super) async fn compute(
    svc: &Services,
    request: &SearchRequest,
    origin_tz: Tz,
    format: &dyn SearchPageFormat,
) -> Result<SearchResult, ApiError> {
    let query = &request.query;
    let (departs_from, departs_until) = local_day(query.date, origin_tz)?;
    // A first guess of the days a search reads: each stop adds about one.
    let mut days: Vec<i64> =
        (utc_day(departs_from)..=utc_day(departs_until - 1) + i64::from(query.max_stops)).collect();
    for attempt in 1..=SEARCH_ATTEMPTS {
        let snapshot = svc.timetable.snapshot(&svc.db, &days).await?;
        let network = &snapshot.network;
        let (Some(origin), Some(destination)) = (network.airport(&query.origin), network.airport(&query.destination))
        else {
            // The airport was added after this copy was loaded.
            svc.timetable.forget(snapshot.revision);
            continue;
        };
        let input = SearchInput {
            origin,
            destination,
            departs_from,
            departs_until,
            passengers: query.passengers,
            max_stops: query.max_stops,
            cabin: query.cabin,
            sort: query.sort,
            now: Utc::now().timestamp(),
            limit: MAX_RESULTS,
        };
        let (found, missing) = {
            let view = snapshot.view();
            let found = itinerary::search(&view, &input);
            (found, view.missing_days())
        };
        if !missing.is_empty() {
            days.extend(missing);
            days.sort_unstable();
            days.dedup();
            continue;
        }
        let mut shown: Vec<&ScheduledFlight> = found.iter().flat_map(|i| i.legs.iter().copied()).collect();
        shown.sort_by_key(|f| f.id);
        shown.dedup_by_key(|f| f.id);
        let check = svc.timetable.check(&svc.db, &snapshot, &shown, query.cabin, query.passengers).await?;
        if check.stale {
            continue;
        }
        if check.refused == 0 || attempt == SEARCH_ATTEMPTS {
            let sellable = |f: &ScheduledFlight| f.looks_sellable(query.cabin, query.passengers, input.now);
            let found: Vec<Itinerary> = found.into_iter().filter(|i| i.legs.iter().all(|l| sellable(l))).collect();
            return Ok(SearchResult {
                itineraries: format.itineraries(&found, &snapshot, request)?,
                flight_ids: found.iter().flat_map(|i| i.legs.iter().map(|l| l.id)).collect(),
                first_departure: found.iter().map(Itinerary::departs_at).min(),
            });
        }
    }
    Err(ApiError::unavailable("postgres", "the schedule kept changing during the search; try again"))
}
