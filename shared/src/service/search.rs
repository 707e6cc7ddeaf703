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

use crate::domain::itinerary::{self, Itinerary, SearchInput, SortOrder, MAX_RESULTS};
use crate::domain::money::Money;
use crate::domain::seating::Cabin;
use crate::domain::timetable::{utc_day, AirportId, Fare, ScheduledFlight};
use crate::store::flights::Airport;
use crate::store::search_cache::{CachedPage, ResultMeta};
use crate::store::timetable::Snapshot;
use crate::ErrorCode;
use crate::{ApiError, Services};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt::Write;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
const MAX_DAYS_AHEAD: i64 = 365;
/// Searches again at most this often when shown flights turn out unsellable
/// or the schedule changes underneath; then only checked flights are shown.
const SEARCH_ATTEMPTS: usize = 4;

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

#[derive(Clone, Debug, PartialEq)]
pub struct SearchRequest {
    pub query: SearchQuery,
    pub offset: usize,
    pub limit: usize,
}

fn airport_code(name: &str, raw: Option<&str>) -> Result<String, ApiError> {
    let raw = raw.ok_or_else(|| {
        ApiError::bad_request(ErrorCode::MissingParameter, format!("query parameter {name} is required"))
    })?;
    let code = raw.trim().to_ascii_uppercase();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::invalid_field(name, format!("expected a 3-letter IATA airport code, got {raw:?}")));
    }
    Ok(code)
}

fn bounded(name: &str, raw: Option<&str>, default: i64, min: i64, max: i64) -> Result<i64, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| ApiError::invalid_field(name, format!("expected an integer from {min} to {max}, got {raw:?}")))
}

impl SearchRequest {
    /// Reads and validates the query string (`param` returns one parameter).
    pub fn parse<'a>(param: impl Fn(&str) -> Option<&'a str>) -> Result<SearchRequest, ApiError> {
        let origin = airport_code("source", param("source").or_else(|| param("origin")))?;
        let destination = airport_code("destination", param("destination"))?;
        if origin == destination {
            return Err(ApiError::invalid_field("destination", "must differ from source"));
        }
        let raw_date = param("date")
            .ok_or_else(|| ApiError::bad_request(ErrorCode::MissingParameter, "query parameter date is required"))?;
        let date = NaiveDate::parse_from_str(raw_date, "%Y-%m-%d")
            .ok()
            .filter(|_| raw_date.len() == 10)
            .ok_or_else(|| ApiError::invalid_field("date", format!("expected YYYY-MM-DD, got {raw_date:?}")))?;
        let cabin = match param("cabin") {
            None => Cabin::Economy,
            Some(raw) => Cabin::parse(raw).ok_or_else(|| {
                ApiError::invalid_field(
                    "cabin",
                    format!("expected ECONOMY, PREMIUM_ECONOMY, BUSINESS or FIRST, got {raw:?}"),
                )
            })?,
        };
        let sort = match param("sort") {
            None => SortOrder::Price,
            Some(raw) => SortOrder::parse(raw).ok_or_else(|| {
                ApiError::invalid_field("sort", format!("expected price, duration or departure, got {raw:?}"))
            })?,
        };
        let query = SearchQuery {
            origin,
            destination,
            date,
            passengers: bounded("passengers", param("passengers"), 1, 1, 9)? as i32,
            max_stops: bounded("maxStops", param("maxStops"), 1, 0, 2)? as u8,
            cabin,
            sort,
        };
        let limit = bounded("limit", param("limit"), DEFAULT_LIMIT as i64, 1, MAX_LIMIT as i64)? as usize;
        let offset = match param("cursor") {
            None => 0,
            Some(cursor) => decode_cursor(cursor, &query.hash())?,
        };
        Ok(SearchRequest { query, offset, limit })
    }
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

    fn to_json(&self) -> Value {
        json!({
            "source": self.origin,
            "destination": self.destination,
            "date": self.date.to_string(),
            "passengers": self.passengers,
            "maxStops": self.max_stops,
            "cabin": self.cabin,
            "sort": self.sort.as_str(),
        })
    }
}

fn encode_cursor(hash: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{hash}:{offset}"))
}

fn decode_cursor(cursor: &str, hash: &str) -> Result<usize, ApiError> {
    let invalid = || {
        ApiError::bad_request(ErrorCode::InvalidCursor, "cursor is not valid for this search; start again without it")
    };
    let decoded = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (cursor_hash, offset) = text.split_once(':').ok_or_else(invalid)?;
    if cursor_hash != hash {
        return Err(invalid());
    }
    offset.parse::<usize>().ok().filter(|o| *o < MAX_RESULTS).ok_or_else(invalid)
}

fn local(unix_seconds: i64, tz: Tz) -> String {
    DateTime::<Utc>::from_timestamp(unix_seconds, 0).unwrap_or_default().with_timezone(&tz).to_rfc3339()
}

#[derive(Serialize)]
struct AirportJson<'a> {
    code: &'a str,
    name: &'a str,
    city: &'a str,
    country: &'a str,
}

impl<'a> From<&'a Airport> for AirportJson<'a> {
    fn from(a: &'a Airport) -> Self {
        AirportJson { code: &a.code, name: &a.name, city: &a.city, country: &a.country }
    }
}

#[derive(Serialize)]
struct MoneyJson<'a> {
    amount: i64,
    currency: &'a str,
    formatted: String,
}

impl<'a> MoneyJson<'a> {
    fn new(amount: i64, currency: &'a str) -> Self {
        MoneyJson { amount, currency, formatted: Money::new(amount, currency).formatted() }
    }
}

#[derive(Serialize)]
struct AirlineJson<'a> {
    code: &'a str,
    name: &'a str,
}

/// A leg as a search result shows it, but for its seats left.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegJson<'a> {
    flight_id: i64,
    flight_number: &'a str,
    airline: AirlineJson<'a>,
    origin: AirportJson<'a>,
    destination: AirportJson<'a>,
    departure_time: String,
    arrival_time: String,
    duration_minutes: i64,
    aircraft: &'a str,
    cabin: Cabin,
    fare: MoneyJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItineraryHead<'a> {
    id: String,
    stops: usize,
    departure_time: String,
    arrival_time: String,
    total_duration_minutes: i64,
    price: MoneyJson<'a>,
    price_per_passenger: MoneyJson<'a>,
    passengers: i32,
    cabin: Cabin,
    seats_left: i32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LayoverJson<'a> {
    airport: AirportJson<'a>,
    duration_minutes: i64,
}

/// A direct flight as the original specification's search returned it.
#[derive(Serialize)]
struct FlatFlightJson<'a> {
    id: i64,
    flight_number: &'a str,
    airline: &'a str,
    source: &'a str,
    destination: &'a str,
    departure_time: String,
    arrival_time: String,
    duration_minutes: i64,
    price: f64,
    currency: &'a str,
    available_seats: i32,
    status: &'static str,
}

struct Rendered {
    items: Vec<String>,
    /// Per item, its row of the original's flat list (empty if connecting).
    flat: Vec<String>,
    flight_ids: BTreeSet<i64>,
    first_departure: Option<i64>,
}

struct Renderer<'a> {
    snapshot: &'a Snapshot,
    cabin: Cabin,
}

impl<'a> Renderer<'a> {
    fn airport(&self, id: AirportId) -> Result<&'a Airport, ApiError> {
        let code = self.snapshot.network.airport_code(id);
        self.snapshot
            .directory
            .airports
            .get(code)
            .ok_or_else(|| ApiError::internal(format!("flight uses unknown airport {code}")))
    }

    fn airline_name(&self, code: &str) -> &'a str {
        self.snapshot.directory.airlines.get(code).map_or("", String::as_str)
    }

    fn fare(&self, leg: &'a ScheduledFlight) -> Result<&'a Fare, ApiError> {
        leg.fare(self.cabin).ok_or_else(|| ApiError::internal("a shown leg lacks the searched cabin"))
    }

    /// The leg's JSON up to its seats left, rendered once per flight and cabin.
    fn leg(&self, leg: &'a ScheduledFlight) -> Result<&'a str, ApiError> {
        let slot = &leg.rendered[self.cabin as usize];
        if let Some(done) = slot.get() {
            return Ok(done);
        }
        let network = &self.snapshot.network;
        let (from, to) = (self.airport(leg.origin)?, self.airport(leg.destination)?);
        let (number, airline, aircraft) =
            (network.name(leg.flight_number), network.name(leg.airline), network.name(leg.aircraft));
        let fare = self.fare(leg)?;
        let json = LegJson {
            flight_id: leg.id,
            flight_number: &number,
            airline: AirlineJson { code: &airline, name: self.airline_name(&airline) },
            origin: from.into(),
            destination: to.into(),
            departure_time: local(leg.departs_at, from.time_zone),
            arrival_time: local(leg.arrives_at, to.time_zone),
            duration_minutes: leg.minutes(),
            aircraft: &aircraft,
            cabin: self.cabin,
            fare: MoneyJson::new(fare.amount, fare.currency()),
        };
        let mut text = serde_json::to_string(&json).map_err(ApiError::internal)?;
        text.pop();
        text.push_str(r#","seatsLeft":"#);
        let _ = slot.set(text.into_boxed_str());
        Ok(slot.get().expect("just set"))
    }

    fn itinerary(&self, itinerary: &Itinerary<'a>, passengers: i32) -> Result<String, ApiError> {
        let (first, last) = (itinerary.legs[0], itinerary.legs[itinerary.legs.len() - 1]);
        let currency = std::str::from_utf8(&itinerary.currency).unwrap_or("XXX");
        let head = ItineraryHead {
            id: itinerary.id(),
            stops: itinerary.stops(),
            departure_time: local(first.departs_at, self.airport(first.origin)?.time_zone),
            arrival_time: local(last.arrives_at, self.airport(last.destination)?.time_zone),
            total_duration_minutes: itinerary.duration_minutes(),
            price: MoneyJson::new(itinerary.price_per_passenger * i64::from(passengers), currency),
            price_per_passenger: MoneyJson::new(itinerary.price_per_passenger, currency),
            passengers,
            cabin: self.cabin,
            seats_left: itinerary.legs.iter().map(|l| l.seats_left(self.cabin)).min().unwrap_or(0),
        };
        let mut text = serde_json::to_string(&head).map_err(ApiError::internal)?;
        text.pop();
        text.push_str(r#","legs":["#);
        for (i, leg) in itinerary.legs.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(self.leg(leg)?);
            write!(text, "{}}}", leg.seats_left(self.cabin)).expect("writing to a string");
        }
        let layovers = itinerary
            .layovers()
            .map(|(hub, minutes)| Ok(LayoverJson { airport: self.airport(hub)?.into(), duration_minutes: minutes }))
            .collect::<Result<Vec<_>, ApiError>>()?;
        text.push_str(r#"],"layovers":"#);
        text.push_str(&serde_json::to_string(&layovers).map_err(ApiError::internal)?);
        text.push('}');
        Ok(text)
    }

    fn flat(&self, leg: &'a ScheduledFlight) -> Result<String, ApiError> {
        let network = &self.snapshot.network;
        let (number, airline) = (network.name(leg.flight_number), network.name(leg.airline));
        let fare = self.fare(leg)?;
        let json = FlatFlightJson {
            id: leg.id,
            flight_number: &number,
            airline: self.airline_name(&airline),
            source: network.airport_code(leg.origin),
            destination: network.airport_code(leg.destination),
            departure_time: local(leg.departs_at, self.airport(leg.origin)?.time_zone),
            arrival_time: local(leg.arrives_at, self.airport(leg.destination)?.time_zone),
            duration_minutes: leg.minutes(),
            price: fare.amount as f64 / 100.0,
            currency: fare.currency(),
            available_seats: leg.seats_left(self.cabin),
            status: "SCHEDULED",
        };
        serde_json::to_string(&json).map_err(ApiError::internal)
    }
}

fn render<'a>(
    itineraries: &[Itinerary<'a>],
    snapshot: &'a Snapshot,
    query: &SearchQuery,
) -> Result<Rendered, ApiError> {
    let renderer = Renderer { snapshot, cabin: query.cabin };
    let mut items = Vec::with_capacity(itineraries.len());
    let mut flat = Vec::with_capacity(itineraries.len());
    let mut flight_ids = BTreeSet::new();
    for itinerary in itineraries {
        items.push(renderer.itinerary(itinerary, query.passengers)?);
        flight_ids.extend(itinerary.legs.iter().map(|l| l.id));
        flat.push(match itinerary.legs.as_slice() {
            [leg] => renderer.flat(leg)?,
            _ => String::new(),
        });
    }
    let first_departure = itineraries.iter().map(Itinerary::departs_at).min();
    Ok(Rendered { items, flat, flight_ids, first_departure })
}

/// The response body of a search (a JSON document) and whether the cache answered it.
pub struct SearchResponse {
    pub body: String,
    pub cached: bool,
}

/// The response body: the page's itineraries and, for compatibility, the
/// page's direct flights as the original's flat `flights` rows.
fn assemble(request: &SearchRequest, total: usize, items: &[String], flat: &[String], cached: bool) -> SearchResponse {
    let next = request.offset + items.len();
    let next_cursor = if next < total { json!(encode_cursor(&request.query.hash(), next)) } else { Value::Null };
    let query = request.query.to_json().to_string();
    let size = 160 + query.len() + items.iter().chain(flat).map(|i| i.len() + 1).sum::<usize>();
    let mut body = String::with_capacity(size);
    let join = |body: &mut String, parts: &mut dyn Iterator<Item = &String>| {
        for (i, part) in parts.enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(part);
        }
    };
    write!(body, r#"{{"query":{query},"total":{total},"count":{},"itineraries":["#, items.len()).expect("string");
    join(&mut body, &mut items.iter());
    body.push_str(r#"],"flights":["#);
    join(&mut body, &mut flat.iter().filter(|row| !row.is_empty()));
    write!(body, r#"],"nextCursor":{next_cursor},"cached":{cached}}}"#).expect("string");
    SearchResponse { body, cached }
}

pub async fn search(svc: &Services, request: &SearchRequest) -> Result<SearchResponse, ApiError> {
    let query = &request.query;
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
    if query.date < today {
        return Err(ApiError::bad_request(
            ErrorCode::DateInPast,
            format!("date: {} is before today ({today}) at {}", query.date, query.origin),
        ));
    }
    if (query.date - today).num_days() > MAX_DAYS_AHEAD {
        return Err(ApiError::bad_request(
            ErrorCode::DateOutOfRange,
            format!("date: at most {MAX_DAYS_AHEAD} days ahead"),
        ));
    }

    let cache = svc.search_cache();
    let hash = query.hash();
    // Redis is an accelerator here: when it is down, search still answers from Postgres.
    if let Some(recent) = svc.recent_pages.get(&hash, request.offset, request.limit) {
        // Shown only while nothing was invalidated since it was read (the
        // epoch says so), its Redis entry lives and no flight in it has
        // departed.
        if recent.valid_until_ms > Utc::now().timestamp_millis() && cache.epoch().await.ok() == Some(recent.epoch) {
            return Ok(SearchResponse { body: recent.body.to_string(), cached: true });
        }
    }
    let epoch = match cache.lookup(&hash, request.offset, request.limit).await {
        Ok((epoch, page)) => {
            let valid_until_ms = page.as_ref().map(CachedPage::valid_until_ms);
            if let Some(hit) = page.and_then(|page| cached_page(request, page)) {
                if let Some(until) = valid_until_ms {
                    svc.recent_pages.put(&hash, request.offset, request.limit, epoch, until, &hit.body);
                }
                return Ok(hit);
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
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        let mut pause = std::time::Duration::from_millis(5);
        while std::time::Instant::now() < deadline {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(25));
            if let Ok((_, Some(page))) = cache.lookup(&hash, request.offset, request.limit).await {
                if let Some(hit) = cached_page(request, page) {
                    return Ok(hit);
                }
            }
            if cache.try_lock(&hash).await.unwrap_or(true) {
                computing = true;
                break;
            }
        }
    }

    let result = compute(svc, query, origin_tz).await;
    if let Some(epoch) = epoch {
        if let Ok(rendered) = &result {
            let meta = ResultMeta { total: rendered.items.len(), first_departure: rendered.first_departure };
            let stored = cache.store(&hash, epoch, &meta, &rendered.items, &rendered.flat, &rendered.flight_ids);
            if let Err(e) = stored.await {
                tracing::warn!(error = %e, "could not store a search result");
            }
        }
        if computing {
            let _ = cache.unlock(&hash).await;
        }
    }
    let rendered = result?;
    let total = rendered.items.len();
    let end = (request.offset + request.limit).min(total);
    let range = if request.offset < end { request.offset..end } else { 0..0 };
    Ok(assemble(request, total, &rendered.items[range.clone()], &rendered.flat[range], false))
}

fn cached_page(request: &SearchRequest, page: CachedPage) -> Option<SearchResponse> {
    // A flight in the result has departed since it was cached: recompute
    // rather than show it (the schedule also invalidates, every minute).
    if page.first_departure.is_some_and(|t| t <= Utc::now().timestamp()) {
        return None;
    }
    Some(assemble(request, page.total, &page.items, &page.flat, true))
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

async fn compute(svc: &Services, query: &SearchQuery, origin_tz: Tz) -> Result<Rendered, ApiError> {
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
            return render(&found, &snapshot, query);
        }
    }
    Err(ApiError::unavailable("postgres", "the schedule kept changing during the search; try again"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<SearchRequest, ApiError> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        SearchRequest::parse(|k| map.get(k).copied())
    }

    #[test]
    fn parses_defaults_and_normalises() {
        let r = parse(&[("source", "del"), ("destination", " BOM "), ("date", "2030-01-02")]).unwrap();
        assert_eq!(r.query.origin, "DEL");
        assert_eq!(r.query.destination, "BOM");
        assert_eq!(
            (r.query.passengers, r.query.max_stops, r.query.cabin, r.query.sort),
            (1, 1, Cabin::Economy, SortOrder::Price)
        );
        assert_eq!((r.offset, r.limit), (0, DEFAULT_LIMIT));
    }

    #[test]
    fn rejects_bad_parameters_naming_them() {
        let base = [("source", "DEL"), ("destination", "BOM"), ("date", "2030-01-02")];
        let with = |k: &'static str, v: &'static str| {
            let mut p: Vec<(&str, &str)> = base.iter().copied().filter(|(key, _)| *key != k).collect();
            p.push((k, v));
            p
        };
        for (key, value) in [
            ("source", "DE"),
            ("source", "D3L"),
            ("destination", "DEL"),
            ("date", "2030-1-2"),
            ("date", "tomorrow"),
            ("date", "2030-02-30"),
            ("passengers", "0"),
            ("passengers", "10"),
            ("passengers", "two"),
            ("maxStops", "3"),
            ("maxStops", "-1"),
            ("cabin", "coach"),
            ("sort", "random"),
            ("limit", "0"),
            ("limit", "101"),
            ("cursor", "zzz"),
        ] {
            let err = parse(&with(key, value)).unwrap_err();
            assert_eq!(err.status(), 400, "{key}={value}");
            assert!(err.to_string().contains(key) || err.code() == "INVALID_CURSOR", "{key}={value}: {err}");
        }
        let err = parse(&[("destination", "BOM"), ("date", "2030-01-02")]).unwrap_err();
        assert!(err.to_string().contains("source"));
    }

    #[test]
    fn cursors_belong_to_their_query() {
        let r = parse(&[("source", "DEL"), ("destination", "BOM"), ("date", "2030-01-02")]).unwrap();
        let cursor = encode_cursor(&r.query.hash(), 20);
        assert_eq!(decode_cursor(&cursor, &r.query.hash()).unwrap(), 20);
        let other = parse(&[("source", "DEL"), ("destination", "BLR"), ("date", "2030-01-02")]).unwrap();
        assert_eq!(decode_cursor(&cursor, &other.query.hash()).unwrap_err().code(), "INVALID_CURSOR");
    }
}
