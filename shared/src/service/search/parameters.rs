//! What a search asks for, already parsed (`http::search_request` reads it
//! from the query string), its cache identity, and the checks that need the
//! airport directory: the airports exist and the date is within sale.

use crate::domain::itinerary::SortOrder;
use crate::domain::seating::Cabin;
use crate::store::flights::Directory;
use crate::{ApiError, ErrorCode};
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

/// Itineraries on a page when the request names no limit, and at most.
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
/// How far ahead a search may look, in days from today at the origin.
const MAX_DAYS_AHEAD: i64 = 365;

#[derive(Clone, Debug, PartialEq)]
pub struct SearchQuery {
    pub origin: String,
    pub destination: String,
    pub date: NaiveDate,
    pub passengers: i32,
    pub max_stops: u8,
    pub cabin: Cabin,
    pub sort: SortOrder,
}

/// A query and the page of its result asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchRequest {
    pub query: SearchQuery,
    pub offset: usize,
    pub limit: usize,
}

impl SearchQuery {
    /// The cache identity of the query (pagination excluded).
    pub fn hash(&self) -> String {
        let canonical = format!(
            "v1|{}|{}|{}|{}|{}|{}|{}",
            self.origin,
            self.destination,
            self.date,
            self.passengers,
            self.max_stops,
            self.cabin,
            self.sort.as_str()
        );
        format!("{:x}", Sha256::digest(canonical.as_bytes()))[..24].to_string()
    }

    /// Both airports are known and the date is from today to
    /// [`MAX_DAYS_AHEAD`] ahead at the origin; returns the origin's zone.
    pub(super) fn check_against(&self, directory: &Directory) -> Result<Tz, ApiError> {
        for (name, code) in [("source", &self.origin), ("destination", &self.destination)] {
            if !directory.airports.contains_key(code) {
                return Err(ApiError::bad_request(
                    ErrorCode::UnknownAirport,
                    format!("{name}: no airport with code {code}"),
                ));
            }
        }
        let origin_tz = directory.airports[&self.origin].time_zone;
        let today = Utc::now().with_timezone(&origin_tz).date_naive();
        if self.date < today {
            return Err(ApiError::bad_request(
                ErrorCode::DateInPast,
                format!("date: {} is before today ({today}) at {}", self.date, self.origin),
            ));
        }
        if (self.date - today).num_days() > MAX_DAYS_AHEAD {
            return Err(ApiError::bad_request(
                ErrorCode::DateOutOfRange,
                format!("date: at most {MAX_DAYS_AHEAD} days ahead"),
            ));
        }
        Ok(origin_tz)
    }
}
