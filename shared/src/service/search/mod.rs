//! Flight search: parameters → a cached page, or the itineraries searched
//! in the instance's in-memory timetable, checked against Postgres, cached.
//!
//! Design: the schedule of the days a search touches is held in memory per
//! warm instance (`store::timetable`: one table per UTC day, indexed by
//! origin and by route, loaded on first use, dropped when the schedule
//! revision moves). The search itself (`domain::itinerary`) is an exact
//! top-k branch and bound over that timetable, touching only departures
//! from the origin on the date, routes out of the hubs they reach and
//! routes into the destination. Before a result is shown, one indexed
//! query reads the status and seats of every flight in it; any that can no
//! longer be sold is marked and the search runs again.
//!
//! The parts: what is asked ([`parameters`]), the cache in front
//! ([`cache`]), the search on the timetable ([`computation`]) and the port
//! through which results are written ([`rendering`]; the wire format is
//! `http::search_page`'s).

mod cache;
pub mod calendar;
mod computation;
mod narrowing;
mod parameters;
mod rendering;

pub use cache::invalidate_searches;
pub use parameters::{
    SearchFilters, SearchQuery, SearchRequest, SliceQuery, TripKind, DEFAULT_LIMIT, MAX_DAYS_AHEAD, MAX_LIMIT,
    MAX_SLICES, MIN_SLICES,
};
pub use rendering::{RenderedItineraries, RenderedSearchPage, SearchPage, SearchPageFormat};

use crate::{ApiError, Services};

/// One page of the request's result, written by `format`.
pub async fn search(
    svc: &Services,
    request: &SearchRequest,
    format: &dyn SearchPageFormat,
) -> Result<RenderedSearchPage, ApiError> {
    let query = &request.query;
    let directory = svc.directory.get(&svc.db, &query.airports()).await?;
    let zones = query.check_against(&directory)?;

    let miss = match cache::look_up(svc, request, format).await {
        cache::Lookup::Hit(page) => return Ok(page),
        cache::Lookup::Miss(miss) => miss,
    };
    let result = computation::compute(svc, request, &zones, format).await;
    cache::keep(svc, miss, &result).await;
    let result = result?;
    let found = &result.itineraries;
    let total = found.items.len();
    let end = (request.offset + request.limit).min(total);
    let range = if request.offset < end { request.offset..end } else { 0..0 };
    let page = (&found.items[range.clone()], &found.flat[range]);
    Ok(rendering::write_page(format, request, total, page, &result.facets, false))
}
