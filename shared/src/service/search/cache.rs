//! The search cache's use: the instance's recent pages, then Redis, then
//! single flight (one request computes a missing result, the others wait
//! for it), then storing what was computed. Redis is an accelerator here:
//! when it is down, search still answers from Postgres.

use super::computation::SearchResult;
use super::rendering::{write_page, RenderedSearchPage, SearchPageFormat};
use super::SearchRequest;
use crate::store::search_cache::{CachedPage, ResultMeta};
use crate::{ApiError, Services};
use chrono::Utc;
use std::time::{Duration, Instant};

/// What looking a request up in the cache found.
pub(super) enum Lookup {
    Hit(RenderedSearchPage),
    Miss(Miss),
}

/// A miss: what storing the computed result needs.
pub(super) struct Miss {
    hash: String,
    /// The invalidation epoch read before computing (`None`: Redis is down,
    /// nothing is stored).
    epoch: Option<i64>,
    /// This request holds the query's single-flight lock.
    computing: bool,
}

/// Drops every cached search containing the flight. A Redis failure is
/// logged, not raised: the change itself is committed, and cached entries
/// still expire with their TTL.
pub async fn invalidate_searches(svc: &Services, flight_id: i64) -> usize {
    match svc.search_cache().invalidate_flight(flight_id).await {
        Ok(dropped) => dropped,
        Err(e) => {
            tracing::error!(flight_id, error = %e, "could not invalidate cached searches");
            0
        }
    }
}

pub(super) async fn look_up(svc: &Services, request: &SearchRequest, format: &dyn SearchPageFormat) -> Lookup {
    let cache = svc.search_cache();
    let hash = request.query.hash();
    if let Some(recent) = svc.recent_pages.get(&hash, request.offset, request.limit) {
        // Shown only while nothing was invalidated since it was read (the
        // epoch says so), its Redis entry lives and no flight in it has
        // departed.
        if recent.valid_until_ms > Utc::now().timestamp_millis() && cache.epoch().await.ok() == Some(recent.epoch) {
            return Lookup::Hit(RenderedSearchPage { body: recent.body.to_string(), cached: true });
        }
    }
    let epoch = match cache.lookup(&hash, request.offset, request.limit).await {
        Ok((epoch, page)) => {
            let valid_until_ms = page.as_ref().map(CachedPage::valid_until_ms);
            if let Some(hit) = page.and_then(|page| cached_page(request, page, format)) {
                if let Some(until) = valid_until_ms {
                    svc.recent_pages.put(&hash, request.offset, request.limit, epoch, until, &hit.body);
                }
                return Lookup::Hit(hit);
            }
            Some(epoch)
        }
        Err(e) => {
            tracing::warn!(error = %e, "search cache unavailable; answering from Postgres");
            None
        }
    };
    let mut computing = epoch.is_some() && cache.try_lock(&hash).await.unwrap_or(true);
    if epoch.is_some() && !computing {
        // Another request is computing this query: wait for its result.
        // If it ends without storing one (an invalidation raced it), the
        // first waiter to take the lock computes; the rest go on waiting.
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut pause = Duration::from_millis(5);
        while Instant::now() < deadline {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(25));
            if let Ok((_, Some(page))) = cache.lookup(&hash, request.offset, request.limit).await {
                if let Some(hit) = cached_page(request, page, format) {
                    return Lookup::Hit(hit);
                }
            }
            if cache.try_lock(&hash).await.unwrap_or(true) {
                computing = true;
                break;
            }
        }
    }
    Lookup::Miss(Miss { hash, epoch, computing })
}

/// Stores a computed result (unless an invalidation happened since the
/// miss read the epoch) and releases the single-flight lock.
pub(super) async fn keep(svc: &Services, miss: Miss, result: &Result<SearchResult, ApiError>) {
    let Some(epoch) = miss.epoch else { return };
    let (cache, hash) = (svc.search_cache(), &miss.hash);
    if let Ok(result) = result {
        let found = &result.itineraries;
        let meta = ResultMeta {
            total: found.items.len(),
            first_departure: result.first_departure,
            facets: result.facets.clone(),
        };
        let stored = cache.store(hash, epoch, &meta, &found.items, &found.flat, &result.flight_ids);
        if let Err(e) = stored.await {
            tracing::warn!(error = %e, "could not store a search result");
        }
    }
    if miss.computing {
        let _ = cache.unlock(hash).await;
    }
}

fn cached_page(request: &SearchRequest, page: CachedPage, format: &dyn SearchPageFormat) -> Option<RenderedSearchPage> {
    // A flight in the result has departed since it was cached: recompute
    // rather than show it (the schedule also invalidates, every minute).
    if page.first_departure.is_some_and(|t| t <= Utc::now().timestamp()) {
        return None;
    }
    Some(write_page(format, request, page.total, (&page.items, &page.flat), &page.facets, true))
}
