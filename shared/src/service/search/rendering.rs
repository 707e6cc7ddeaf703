//! The port through which search answers are written. The format lives
//! outside the service (`http::search_page` writes JSON); the service keeps
//! what it writes, in Redis and in the instance's recent pages, so a cache
//! hit is not written again, but never reads it.

use super::SearchRequest;
use crate::domain::itinerary::{Itinerary, Trip};
use crate::store::timetable::Snapshot;
use crate::ApiError;

pub trait SearchPageFormat: Sync {
    /// The itineraries a search found, each written as the cache keeps it.
    /// `snapshot` is the timetable they were found in (names, airports).
    fn itineraries<'a>(
        &self,
        found: &[Itinerary<'a>],
        snapshot: &'a Snapshot,
        request: &SearchRequest,
    ) -> Result<RenderedItineraries, ApiError>;

    /// The trips a search of several slices found, each written as the
    /// cache keeps it.
    fn trips<'a>(
        &self,
        found: &[Trip<'a>],
        snapshot: &'a Snapshot,
        request: &SearchRequest,
    ) -> Result<RenderedItineraries, ApiError>;

    /// What the result holds, for narrowing it down: each offer's slices
    /// (one for a one-way itinerary), written once and cached with it.
    fn facets<'a>(
        &self,
        offers: &[&[Itinerary<'a>]],
        snapshot: &'a Snapshot,
        request: &SearchRequest,
    ) -> Result<String, ApiError>;

    /// A page of written itineraries as the client receives it.
    fn page(&self, page: &SearchPage<'_>) -> String;
}

/// Itineraries as the format wrote them, aligned: per itinerary its item,
/// and its row of the page's compatibility list of direct flights (empty
/// for a connecting itinerary).
pub struct RenderedItineraries {
    pub items: Vec<String>,
    pub flat: Vec<String>,
}

/// One page of a search's result: the use case's answer before it is written.
pub struct SearchPage<'a> {
    pub request: &'a SearchRequest,
    /// How many itineraries the whole search found.
    pub total: usize,
    /// The page's itineraries and their direct-flight rows, as the format wrote them.
    pub items: &'a [String],
    pub flat: &'a [String],
    /// The written facets (empty: none were kept, an entry of an older version).
    pub facets: &'a str,
    /// Answered from the cache rather than searched now.
    pub cached: bool,
}

impl SearchPage<'_> {
    /// Where the next page starts, if there is one.
    pub fn next_offset(&self) -> Option<usize> {
        let next = self.request.offset + self.items.len();
        (next < self.total).then_some(next)
    }
}

/// A written page and whether the cache answered it.
pub struct RenderedSearchPage {
    pub body: String,
    pub cached: bool,
}

/// Writes a page of a result.
pub(super) fn write_page(
    format: &dyn SearchPageFormat,
    request: &SearchRequest,
    total: usize,
    (items, flat): (&[String], &[String]),
    facets: &str,
    cached: bool,
) -> RenderedSearchPage {
    let page = SearchPage { request, total, items, flat, facets, cached };
    RenderedSearchPage { body: format.page(&page), cached }
}
