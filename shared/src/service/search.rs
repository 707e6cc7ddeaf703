//! Flight search: parameters → cached page, or candidate legs from
//! Postgres joined into itineraries and cached.
//!
//! Design: three index-driven queries instead of a scan of the schedule —
//! departures from the origin on the date (`flights_by_origin`), flights
//! into the destination over the following days (`flights_by_destination`)
//! and, for two stops, middle legs only between airports that first and
//! last legs actually reach, probed pair by pair (`flights_by_route`) and
//! restricted to routes that exist. The join (connection times, 24 h limit,
//! no repeated airport) happens in memory in `domain::itinerary`.

use crate::domain::itinerary::{build_itineraries, Itinerary, SearchInput, SortOrder, MAX_LAYOVER, MAX_RESULTS};
use crate::domain::money::Money;
use crate::domain::seating::Cabin;
use crate::store::flights::{Airport, Directory, LegWindow, PgFlights};
use crate::{ApiError, Services};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashSet};

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
const MAX_DAYS_AHEAD: i64 = 365;
/// Longest first leg plus the longest layover: how far after the search
/// date a later leg may depart.
const LEG_SPAN: Duration = Duration::hours(44);

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
    let raw =
        raw.ok_or_else(|| ApiError::bad_request("MISSING_PARAMETER", format!("query parameter {name} is required")))?;
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
            .ok_or_else(|| ApiError::bad_request("MISSING_PARAMETER", "query parameter date is required"))?;
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
    let invalid =
        || ApiError::bad_request("INVALID_CURSOR", "cursor is not valid for this search; start again without it");
    let decoded = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (cursor_hash, offset) = text.split_once(':').ok_or_else(invalid)?;
    if cursor_hash != hash {
        return Err(invalid());
    }
    offset.parse::<usize>().ok().filter(|o| *o < MAX_RESULTS).ok_or_else(invalid)
}

fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).to_rfc3339()
}

fn airport_json(airport: &Airport) -> Value {
    json!({"code": airport.code, "name": airport.name, "city": airport.city, "country": airport.country})
}

struct Rendered {
    items: Vec<String>,
    flights: Value,
    flight_ids: BTreeSet<i64>,
    first_departure: Option<i64>,
}

fn render(itineraries: &[Itinerary], directory: &Directory, query: &SearchQuery) -> Result<Rendered, ApiError> {
    let airport = |code: &str| {
        directory.airports.get(code).ok_or_else(|| ApiError::internal(format!("flight uses unknown airport {code}")))
    };
    let mut items = Vec::with_capacity(itineraries.len());
    let mut flights = Vec::new();
    let mut flight_ids = BTreeSet::new();
    for itinerary in itineraries {
        let mut legs = Vec::with_capacity(itinerary.legs.len());
        for leg in &itinerary.legs {
            let (from, to) = (airport(&leg.origin)?, airport(&leg.destination)?);
            let airline = directory.airlines.get(&leg.airline_code).cloned().unwrap_or_default();
            legs.push(json!({
                "flightId": leg.flight_id,
                "flightNumber": leg.flight_number,
                "airline": {"code": leg.airline_code, "name": airline},
                "origin": airport_json(from),
                "destination": airport_json(to),
                "departureTime": local(leg.departs_at, from.time_zone),
                "arrivalTime": local(leg.arrives_at, to.time_zone),
                "durationMinutes": (leg.arrives_at - leg.departs_at).num_minutes(),
                "aircraft": leg.aircraft,
                "cabin": query.cabin,
                "fare": Money::new(leg.fare, &leg.currency).to_json(),
                "seatsLeft": leg.seats_left,
            }));
            flight_ids.insert(leg.flight_id);
            if itinerary.legs.len() == 1 {
                flights.push(json!({
                    "id": leg.flight_id,
                    "flight_number": leg.flight_number,
                    "airline": airline,
                    "source": leg.origin,
                    "destination": leg.destination,
                    "departure_time": local(leg.departs_at, from.time_zone),
                    "arrival_time": local(leg.arrives_at, to.time_zone),
                    "duration_minutes": (leg.arrives_at - leg.departs_at).num_minutes(),
                    "price": leg.fare as f64 / 100.0,
                    "currency": leg.currency,
                    "available_seats": leg.seats_left,
                    "status": "SCHEDULED",
                }));
            }
        }
        let layovers: Vec<Value> = itinerary
            .layovers()
            .into_iter()
            .map(|(code, minutes)| Ok(json!({"airport": airport_json(airport(&code)?), "durationMinutes": minutes})))
            .collect::<Result<_, ApiError>>()?;
        let first = &itinerary.legs[0];
        let last = &itinerary.legs[itinerary.legs.len() - 1];
        let item = json!({
            "id": itinerary.id(),
            "stops": itinerary.stops(),
            "departureTime": local(first.departs_at, airport(&first.origin)?.time_zone),
            "arrivalTime": local(last.arrives_at, airport(&last.destination)?.time_zone),
            "totalDurationMinutes": itinerary.duration_minutes(),
            "price": Money::new(itinerary.total_price, &itinerary.currency).to_json(),
            "pricePerPassenger": Money::new(itinerary.total_price / i64::from(query.passengers), &itinerary.currency).to_json(),
            "passengers": query.passengers,
            "cabin": query.cabin,
            "seatsLeft": itinerary.seats_left,
            "legs": legs,
            "layovers": layovers,
        });
        items.push(item.to_string());
    }
    let first_departure = itineraries.iter().map(|i| i.departs_at().timestamp()).min();
    Ok(Rendered { items, flights: Value::Array(flights), flight_ids, first_departure })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedMeta<'a> {
    total: usize,
    first_departure: Option<i64>,
    #[serde(borrow)]
    flights: &'a RawValue,
}

/// The response body of a search (a JSON document) and whether the cache answered it.
pub struct SearchResponse {
    pub body: String,
    pub cached: bool,
}

fn assemble(request: &SearchRequest, total: usize, items: &[String], flights: &str, cached: bool) -> SearchResponse {
    let next = request.offset + items.len();
    let next_cursor = if next < total { json!(encode_cursor(&request.query.hash(), next)) } else { Value::Null };
    let body = format!(
        r#"{{"query":{},"total":{total},"count":{},"itineraries":[{}],"flights":{flights},"nextCursor":{next_cursor},"cached":{cached}}}"#,
        request.query.to_json(),
        items.len(),
        items.join(","),
    );
    SearchResponse { body, cached }
}

pub async fn search(svc: &Services, request: &SearchRequest) -> Result<SearchResponse, ApiError> {
    let query = &request.query;
    let directory = svc.directory.get(&svc.db, &[&query.origin, &query.destination]).await?;
    for (name, code) in [("source", &query.origin), ("destination", &query.destination)] {
        if !directory.airports.contains_key(code) {
            return Err(ApiError::bad_request("UNKNOWN_AIRPORT", format!("{name}: no airport with code {code}")));
        }
    }
    let origin_tz = directory.airports[&query.origin].time_zone;
    let today = Utc::now().with_timezone(&origin_tz).date_naive();
    if query.date < today {
        return Err(ApiError::bad_request(
            "DATE_IN_PAST",
            format!("date: {} is before today ({today}) at {}", query.date, query.origin),
        ));
    }
    if (query.date - today).num_days() > MAX_DAYS_AHEAD {
        return Err(ApiError::bad_request("DATE_OUT_OF_RANGE", format!("date: at most {MAX_DAYS_AHEAD} days ahead")));
    }

    let cache = svc.search_cache();
    let hash = query.hash();
    // Redis is an accelerator here: when it is down, search still answers from Postgres.
    let epoch = match cache.epoch().await {
        Ok(epoch) => Some(epoch),
        Err(e) => {
            tracing::warn!(error = %e, "search cache unavailable; answering from Postgres");
            None
        }
    };
    if epoch.is_some() {
        if let Some(hit) = cached_page(svc, request, &hash).await {
            return Ok(hit);
        }
        let leader = cache.try_lock(&hash).await.unwrap_or(true);
        if !leader {
            // Another request is computing this query: wait briefly for it.
            for _ in 0..40 {
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                if let Some(hit) = cached_page(svc, request, &hash).await {
                    return Ok(hit);
                }
            }
        }
    }

    let result = compute(svc, query, &directory, origin_tz).await;
    if let Some(epoch) = epoch {
        if let Ok((rendered, _)) = &result {
            let meta = json!({
                "total": rendered.items.len(),
                "firstDeparture": rendered.first_departure,
                "flights": rendered.flights,
            })
            .to_string();
            if let Err(e) = cache.store(&hash, epoch, &meta, &rendered.items, &rendered.flight_ids).await {
                tracing::warn!(error = %e, "could not store a search result");
            }
        }
        let _ = cache.unlock(&hash).await;
    }
    let (rendered, total) = result?;
    let end = (request.offset + request.limit).min(total);
    let page = if request.offset < end { &rendered.items[request.offset..end] } else { &[] };
    Ok(assemble(request, total, page, &rendered.flights.to_string(), false))
}

async fn cached_page(svc: &Services, request: &SearchRequest, hash: &str) -> Option<SearchResponse> {
    let page = svc.search_cache().page(hash, request.offset, request.limit).await.ok()??;
    let meta: CachedMeta = serde_json::from_str(&page.meta).ok()?;
    // A flight in the result has departed since it was cached: recompute
    // rather than show it (the schedule also invalidates, every minute).
    if meta.first_departure.is_some_and(|t| t <= Utc::now().timestamp()) {
        return None;
    }
    Some(assemble(request, meta.total, &page.items, meta.flights.get(), true))
}

async fn compute(
    svc: &Services,
    query: &SearchQuery,
    directory: &Directory,
    origin_tz: Tz,
) -> Result<(Rendered, usize), ApiError> {
    let day_start = origin_tz
        .from_local_datetime(&query.date.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ApiError::internal("local midnight does not exist"))?;
    let day_end = day_start + Duration::hours(24);
    let flights = PgFlights::new(&svc.db);
    let window = |from, until| LegWindow { from, until, cabin: query.cabin, passengers: query.passengers };
    let later_window = window(day_start, day_end + LEG_SPAN * i32::from(query.max_stops));

    let first_window = window(day_start, day_end);
    let (first, last) = if query.max_stops == 0 {
        (flights.departures(&query.origin, &first_window).await?, Vec::new())
    } else {
        tokio::try_join!(
            flights.departures(&query.origin, &first_window),
            flights.arrivals(&query.destination, &later_window),
        )?
    };
    let middle = if query.max_stops >= 2 {
        let hubs_after_first: HashSet<&str> = first.iter().map(|l| l.destination.as_str()).collect();
        let hubs_before_last: HashSet<&str> = last.iter().map(|l| l.origin.as_str()).collect();
        let excluded = [query.origin.as_str(), query.destination.as_str()];
        let mut pairs = Vec::new();
        for from in hubs_after_first.iter().filter(|a| !excluded.contains(*a)) {
            for to in directory.routes.get(*from).into_iter().flatten() {
                if hubs_before_last.contains(to.as_str()) && !excluded.contains(&to.as_str()) {
                    pairs.push((from.to_string(), to.clone()));
                }
            }
        }
        // A middle leg departs within MAX_LAYOVER of a first leg's arrival;
        // no other middle leg can connect, so none other is fetched.
        let arrivals = first.iter().map(|l| l.arrives_at);
        match (arrivals.clone().min(), arrivals.max()) {
            (Some(earliest), Some(latest)) => {
                let middle_window = window(earliest, latest + MAX_LAYOVER + Duration::minutes(1));
                flights.between(&pairs, &middle_window).await?
            }
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };

    let input = SearchInput {
        origin: &query.origin,
        destination: &query.destination,
        passengers: query.passengers,
        max_stops: query.max_stops,
        sort: query.sort,
        airports: &directory.connection_rules,
    };
    let itineraries = build_itineraries(&input, &first, &middle, &last);
    let rendered = render(&itineraries, directory, query)?;
    let total = rendered.items.len();
    Ok((rendered, total))
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
