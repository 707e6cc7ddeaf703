//! The fare calendar: for each date of a range, the cheapest price the
//! one-way search sells for that date, or none.
//!
//! Each date is the price-ordered search's first itinerary, found by the
//! same exact branch and bound with a limit of one, on one snapshot of the
//! timetable, and checked against Postgres with the search's rule (flights
//! refused by the check are searched around). The result is cached under
//! the search cache's rules: stored only if no invalidation happened while
//! it was computed, and dropped when any flight it shows is cancelled,
//! departs or sells out.

use super::narrowing::local_day;
use super::parameters::MAX_DAYS_AHEAD;
use crate::domain::itinerary::{self, Filters, Itinerary, SearchInput, SortOrder};
use crate::domain::seating::Cabin;
use crate::domain::timetable::{utc_day, ScheduledFlight};
use crate::domain::travellers::Travellers;
use crate::store::search_cache::ResultMeta;
use crate::{ApiError, ErrorCode, Services};
use chrono::{NaiveDate, Utc};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// Dates one calendar may span.
pub const MAX_CALENDAR_DAYS: i64 = 62;
const SEARCH_ATTEMPTS: usize = 4;

#[derive(Clone, Debug, PartialEq)]
pub struct CalendarQuery {
    pub origin: String,
    pub destination: String,
    /// Inclusive, at the origin.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub travellers: Travellers,
    pub max_stops: u8,
    pub cabin: Cabin,
}

impl CalendarQuery {
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take_while({
            let to = self.to;
            move |d| *d <= to
        })
    }

    /// The cache identity of the calendar.
    pub fn hash(&self) -> String {
        let t = &self.travellers;
        let canonical = format!(
            "cal1|{}|{}|{}|{}|{},{},{}|{}|{}",
            self.origin,
            self.destination,
            self.from,
            self.to,
            t.adults,
            t.children,
            t.infants,
            self.max_stops,
            self.cabin
        );
        format!("cal{:x}", Sha256::digest(canonical.as_bytes()))[..24].to_string()
    }
}

/// The cheapest itinerary of a date.
#[derive(Clone, Debug, PartialEq)]
pub struct DayFare {
    pub itinerary_id: String,
    /// One adult, minor units.
    pub adult_fare: i64,
    pub currency: String,
    pub departs_at: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub cheapest: Option<DayFare>,
}

pub struct FareCalendar {
    pub query: CalendarQuery,
    pub days: Vec<CalendarDay>,
    pub cached: bool,
}

impl CalendarDay {
    /// `date|id|fare|currency|departs`, or `date` alone: what the cache keeps.
    fn encode(&self) -> String {
        match &self.cheapest {
            None => self.date.to_string(),
            Some(f) => format!("{}|{}|{}|{}|{}", self.date, f.itinerary_id, f.adult_fare, f.currency, f.departs_at),
        }
    }

    fn decode(text: &str) -> Option<CalendarDay> {
        let mut parts = text.split('|');
        let date = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
        let Some(itinerary_id) = parts.next() else { return Some(CalendarDay { date, cheapest: None }) };
        let cheapest = DayFare {
            itinerary_id: itinerary_id.to_string(),
            adult_fare: parts.next()?.parse().ok()?,
            currency: parts.next()?.to_string(),
            departs_at: parts.next()?.parse().ok()?,
        };
        Some(CalendarDay { date, cheapest: Some(cheapest) })
    }
}

pub async fn fare_calendar(svc: &Services, query: CalendarQuery) -> Result<FareCalendar, ApiError> {
    let directory = svc.directory.get(&svc.db, &[&query.origin, &query.destination]).await?;
    for (name, code) in [("source", &query.origin), ("destination", &query.destination)] {
        if !directory.airports.contains_key(code) {
            return Err(ApiError::bad_request(
                ErrorCode::UnknownAirport,
                format!("{name}: no airport with code {code}"),
            ));
        }
    }
    let origin_tz = directory.airports[&query.origin].time_zone;
    let today = Utc::now().with_timezone(&origin_tz).date_naive();
    if query.from < today {
        return Err(ApiError::bad_request(
            ErrorCode::DateInPast,
            format!("from: {} is before today ({today}) at {}", query.from, query.origin),
        ));
    }
    if (query.to - today).num_days() > MAX_DAYS_AHEAD {
        return Err(ApiError::bad_request(
            ErrorCode::DateOutOfRange,
            format!("to: at most {MAX_DAYS_AHEAD} days ahead"),
        ));
    }

    let cache = svc.search_cache();
    let hash = query.hash();
    let count = query.dates().count();
    let epoch = match cache.lookup(&hash, 0, count).await {
        Ok((epoch, page)) => {
            // A flight shown has departed since: compute again.
            let page = page.filter(|p| p.first_departure.is_none_or(|t| t > Utc::now().timestamp()));
            let days = page.and_then(|p| p.items.iter().map(|i| CalendarDay::decode(i)).collect::<Option<Vec<_>>>());
            if let Some(days) = days.filter(|d| d.len() == count) {
                return Ok(FareCalendar { query, days, cached: true });
            }
            Some(epoch)
        }
        Err(e) => {
            tracing::warn!(error = %e, "search cache unavailable; the calendar is computed from Postgres");
            None
        }
    };
    let (days, complete) = compute(svc, &query, origin_tz).await?;
    if let (Some(epoch), true) = (epoch, complete) {
        let shown: Vec<&DayFare> = days.iter().filter_map(|d| d.cheapest.as_ref()).collect();
        let flight_ids: BTreeSet<i64> =
            shown.iter().flat_map(|f| f.itinerary_id.split('-').filter_map(|id| id.parse().ok())).collect();
        let meta = ResultMeta {
            total: days.len(),
            first_departure: shown.iter().map(|f| f.departs_at).min(),
            facets: String::new(),
        };
        let items: Vec<String> = days.iter().map(CalendarDay::encode).collect();
        let flat = vec![String::new(); items.len()];
        if let Err(e) = cache.store(&hash, epoch, &meta, &items, &flat, &flight_ids).await {
            tracing::warn!(error = %e, "could not store a fare calendar");
        }
    }
    Ok(FareCalendar { query, days, cached: false })
}

/// Each date's cheapest sellable itinerary; `false` when the last attempt
/// still met flights Postgres refused (the answer is shown, not cached).
async fn compute(
    svc: &Services,
    query: &CalendarQuery,
    origin_tz: chrono_tz::Tz,
) -> Result<(Vec<CalendarDay>, bool), ApiError> {
    let windows =
        query.dates().map(|date| local_day(date, origin_tz).map(|w| (date, w))).collect::<Result<Vec<_>, _>>()?;
    let mut days: Vec<i64> = windows
        .iter()
        .flat_map(|(_, (from, until))| utc_day(*from)..=utc_day(until - 1) + i64::from(query.max_stops))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let seats = query.travellers.seated();
    let mut attempt = 0;
    while attempt < SEARCH_ATTEMPTS {
        attempt += 1;
        let snapshot = svc.timetable.snapshot(&svc.db, &days).await?;
        let network = &snapshot.network;
        let (Some(origin), Some(destination)) = (network.airport(&query.origin), network.airport(&query.destination))
        else {
            svc.timetable.forget(snapshot.revision);
            continue;
        };
        let now = Utc::now().timestamp();
        let view = snapshot.view();
        let best: Vec<(NaiveDate, Option<Itinerary>)> = windows
            .iter()
            .map(|(date, (from, until))| {
                let input = SearchInput {
                    origin,
                    destination,
                    departs_from: *from,
                    departs_until: *until,
                    passengers: seats,
                    max_stops: query.max_stops,
                    cabin: query.cabin,
                    sort: SortOrder::Price,
                    now,
                    limit: 1,
                    filters: Filters::default(),
                };
                (*date, itinerary::search(&view, &input).into_iter().next())
            })
            .collect();
        let missing = view.missing_days();
        if !missing.is_empty() {
            days.extend(missing);
            days.sort_unstable();
            days.dedup();
            attempt -= 1;
            continue;
        }
        let mut shown: Vec<&ScheduledFlight> =
            best.iter().filter_map(|(_, i)| i.as_ref()).flat_map(|i| i.legs.iter().copied()).collect();
        shown.sort_by_key(|f| f.id);
        shown.dedup_by_key(|f| f.id);
        let check = svc.timetable.check(&svc.db, &snapshot, &shown, query.cabin, seats).await?;
        if check.stale {
            continue;
        }
        if check.refused == 0 || attempt == SEARCH_ATTEMPTS {
            let sellable = |i: &Itinerary| i.legs.iter().all(|l| l.looks_sellable(query.cabin, seats, now));
            let days = best
                .into_iter()
                .map(|(date, found)| CalendarDay {
                    date,
                    cheapest: found.filter(|i| sellable(i)).map(|i| DayFare {
                        itinerary_id: i.id(),
                        adult_fare: i.price_per_passenger,
                        currency: std::str::from_utf8(&i.currency).unwrap_or("XXX").to_string(),
                        departs_at: i.departs_at(),
                    }),
                })
                .collect();
            return Ok((days, check.refused == 0));
        }
    }
    Err(ApiError::unavailable("postgres", "the schedule kept changing during the search; try again"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_survive_the_cache_codec() {
        let with = CalendarDay {
            date: NaiveDate::from_ymd_opt(2030, 1, 2).unwrap(),
            cheapest: Some(DayFare {
                itinerary_id: "12-34".into(),
                adult_fare: 450000,
                currency: "INR".into(),
                departs_at: 1_893_456_000,
            }),
        };
        let without = CalendarDay { date: NaiveDate::from_ymd_opt(2030, 1, 3).unwrap(), cheapest: None };
        for day in [with, without] {
            assert_eq!(CalendarDay::decode(&day.encode()), Some(day));
        }
        assert_eq!(CalendarDay::decode("garbage"), None);
    }
}
