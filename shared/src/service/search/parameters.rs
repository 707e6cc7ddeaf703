//! What a search asks for, already parsed (`http::search_request` reads it
//! from the query string or a multi-city body), its cache identity, and the
//! checks that need the airport directory: the airports exist and each date
//! is within sale.

use crate::domain::itinerary::{SortOrder, TimeWindow};
use crate::domain::seating::Cabin;
use crate::domain::travellers::Travellers;
use crate::store::flights::Directory;
use crate::{ApiError, ErrorCode};
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

/// Itineraries on a page when the request names no limit, and at most.
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
/// How far ahead a search may look, in days from today at the origin.
pub const MAX_DAYS_AHEAD: i64 = 365;
/// Slices of a multi-city search.
pub const MIN_SLICES: usize = 2;
pub const MAX_SLICES: usize = 5;

/// The shape of a journey: it decides how the query is echoed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TripKind {
    OneWay,
    /// Out on `slices[0]`, back on `slices[1]` between the same airports.
    RoundTrip,
    MultiCity,
}

/// One origin–destination of a journey and the date it departs (at the
/// origin), with the parts of the day it may leave and land in.
#[derive(Clone, Debug, PartialEq)]
pub struct SliceQuery {
    pub origin: String,
    pub destination: String,
    pub date: NaiveDate,
    /// At the origin, local time.
    pub departure_window: Option<TimeWindow>,
    /// At the destination, local time.
    pub arrival_window: Option<TimeWindow>,
}

impl SliceQuery {
    pub fn new(origin: &str, destination: &str, date: NaiveDate) -> SliceQuery {
        SliceQuery {
            origin: origin.into(),
            destination: destination.into(),
            date,
            departure_window: None,
            arrival_window: None,
        }
    }
}

/// What a traveller narrowed the whole search to (beyond stops and the
/// slices' time windows). Facets are computed without them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchFilters {
    /// IATA codes, sorted: every leg flown by one of them.
    pub airlines: Vec<String>,
    /// Each slice, first departure to last arrival.
    pub max_duration_minutes: Option<u32>,
    /// Each connection.
    pub max_layover_minutes: Option<u32>,
    /// The whole party, every slice, minor units.
    pub max_price: Option<i64>,
}

impl SearchFilters {
    pub fn is_empty(&self) -> bool {
        self == &SearchFilters::default()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SearchQuery {
    pub kind: TripKind,
    /// In travel order; one for a one-way search.
    pub slices: Vec<SliceQuery>,
    pub travellers: Travellers,
    pub max_stops: u8,
    pub cabin: Cabin,
    pub sort: SortOrder,
    pub filters: SearchFilters,
}

/// A query and the page of its result asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchRequest {
    pub query: SearchQuery,
    pub offset: usize,
    pub limit: usize,
}

impl SearchQuery {
    /// A one-way search for adults only: the original request's shape.
    pub fn one_way(origin: &str, destination: &str, date: NaiveDate, adults: u8) -> SearchQuery {
        SearchQuery {
            kind: TripKind::OneWay,
            slices: vec![SliceQuery::new(origin, destination, date)],
            travellers: Travellers::adults(adults),
            max_stops: 1,
            cabin: Cabin::Economy,
            sort: SortOrder::Price,
            filters: SearchFilters::default(),
        }
    }

    pub fn first(&self) -> &SliceQuery {
        &self.slices[0]
    }

    /// Seats the party takes on every flight.
    pub fn seats(&self) -> i32 {
        self.travellers.seated()
    }

    /// Whether anything narrows the result beyond stops: facets are then
    /// computed on the search without it.
    pub fn is_filtered(&self) -> bool {
        !self.filters.is_empty()
            || self.slices.iter().any(|s| s.departure_window.is_some() || s.arrival_window.is_some())
    }

    /// The query without what narrows it: the result facets describe.
    pub fn unfiltered(&self) -> SearchQuery {
        let mut query = self.clone();
        query.filters = SearchFilters::default();
        for slice in &mut query.slices {
            slice.departure_window = None;
            slice.arrival_window = None;
        }
        query
    }

    /// The cache identity of the query (pagination excluded). A one-way
    /// search for adults without filters keeps the identity it always had,
    /// so its cache entries and cursors outlive this version.
    pub fn hash(&self) -> String {
        let t = &self.travellers;
        let canonical = match self.kind {
            TripKind::OneWay if t.only_adults() && !self.is_filtered() => {
                let s = self.first();
                format!(
                    "v1|{}|{}|{}|{}|{}|{}|{}",
                    s.origin,
                    s.destination,
                    s.date,
                    t.adults,
                    self.max_stops,
                    self.cabin,
                    self.sort.as_str()
                )
            }
            kind => {
                let window = |w: &Option<TimeWindow>| w.map_or(String::new(), |w| w.to_string());
                let slices: Vec<String> = self
                    .slices
                    .iter()
                    .map(|s| {
                        format!(
                            "{}-{}-{}-{}-{}",
                            s.origin,
                            s.destination,
                            s.date,
                            window(&s.departure_window),
                            window(&s.arrival_window)
                        )
                    })
                    .collect();
                let f = &self.filters;
                format!(
                    "v3|{kind:?}|{}|{},{},{}|{}|{}|{}|{}|{:?}|{:?}|{:?}",
                    slices.join(","),
                    t.adults,
                    t.children,
                    t.infants,
                    self.max_stops,
                    self.cabin,
                    self.sort.as_str(),
                    f.airlines.join(","),
                    f.max_duration_minutes,
                    f.max_layover_minutes,
                    f.max_price
                )
            }
        };
        format!("{:x}", Sha256::digest(canonical.as_bytes()))[..24].to_string()
    }

    /// The airports named, each once.
    pub fn airports(&self) -> Vec<&str> {
        let mut codes: Vec<&str> =
            self.slices.iter().flat_map(|s| [s.origin.as_str(), s.destination.as_str()]).collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }

    /// Every airport is known and every date is from today to
    /// [`MAX_DAYS_AHEAD`] ahead at its slice's origin; returns each slice's
    /// origin and destination zones.
    pub(super) fn check_against(&self, directory: &Directory) -> Result<Vec<(Tz, Tz)>, ApiError> {
        let field = |index: usize, name: &str| match self.kind {
            TripKind::MultiCity => format!("slices[{index}].{name}"),
            TripKind::RoundTrip if index == 1 && name == "date" => "returnDate".to_string(),
            _ => name.to_string(),
        };
        let mut zones = Vec::with_capacity(self.slices.len());
        for (index, slice) in self.slices.iter().enumerate() {
            for (name, code) in [("source", &slice.origin), ("destination", &slice.destination)] {
                if !directory.airports.contains_key(code) {
                    return Err(ApiError::bad_request(
                        ErrorCode::UnknownAirport,
                        format!("{}: no airport with code {code}", field(index, name)),
                    ));
                }
            }
            let origin_tz = directory.airports[&slice.origin].time_zone;
            let today = Utc::now().with_timezone(&origin_tz).date_naive();
            if slice.date < today {
                return Err(ApiError::bad_request(
                    ErrorCode::DateInPast,
                    format!("{}: {} is before today ({today}) at {}", field(index, "date"), slice.date, slice.origin),
                ));
            }
            if (slice.date - today).num_days() > MAX_DAYS_AHEAD {
                return Err(ApiError::bad_request(
                    ErrorCode::DateOutOfRange,
                    format!("{}: at most {MAX_DAYS_AHEAD} days ahead", field(index, "date")),
                ));
            }
            zones.push((origin_tz, directory.airports[&slice.destination].time_zone));
        }
        Ok(zones)
    }
}
