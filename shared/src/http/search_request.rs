//! Search requests → a [`SearchRequest`]: the one place search parameters
//! are read and their format checked, from `GET /api/flights/search`'s
//! query string (one way, or a round trip with `returnDate`) or `POST
//! /api/flights/search`'s multi-city body. The service checks what needs
//! the directory: known airports, each date's range.

use super::search_cursor;
use crate::domain::itinerary::{SortOrder, TimeWindow};
use crate::domain::seating::Cabin;
use crate::domain::travellers::Travellers;
use crate::service::search::calendar::{CalendarQuery, MAX_CALENDAR_DAYS};
use crate::service::search::{
    SearchFilters, SearchQuery, SearchRequest, SliceQuery, TripKind, DEFAULT_LIMIT, MAX_LIMIT, MAX_SLICES, MIN_SLICES,
};
use crate::{ApiError, ErrorCode};
use chrono::NaiveDate;
use serde::Deserialize;

fn airport_code(name: &str, raw: Option<&str>) -> Result<String, ApiError> {
    let raw = raw.ok_or_else(|| missing(name))?;
    let code = raw.trim().to_ascii_uppercase();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::invalid_field(name, format!("expected a 3-letter IATA airport code, got {raw:?}")));
    }
    Ok(code)
}

fn missing(name: &str) -> ApiError {
    let what = if name.contains('[') { name.to_string() } else { format!("query parameter {name}") };
    ApiError::bad_request(ErrorCode::MissingParameter, format!("{what} is required"))
}

fn date(name: &str, raw: Option<&str>) -> Result<NaiveDate, ApiError> {
    let raw = raw.ok_or_else(|| missing(name))?;
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|_| raw.len() == 10)
        .ok_or_else(|| ApiError::invalid_field(name, format!("expected YYYY-MM-DD, got {raw:?}")))
}

fn bounded(name: &str, raw: Option<&str>, default: i64, min: i64, max: i64) -> Result<i64, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| ApiError::invalid_field(name, format!("expected an integer from {min} to {max}, got {raw:?}")))
}

/// The party: `adults` (`passengers`, the original's name, means the same),
/// `children` and `infants`.
fn travellers(
    passengers: Option<&str>,
    adults: Option<&str>,
    children: Option<&str>,
    infants: Option<&str>,
) -> Result<Travellers, ApiError> {
    let max = crate::domain::booking::MAX_PASSENGERS as i64;
    let legacy = bounded("passengers", passengers, 1, 1, max)?;
    let adults = bounded("adults", adults, legacy, 1, max)?;
    if passengers.is_some() && adults != legacy {
        return Err(ApiError::invalid_field("adults", "passengers and adults disagree; give adults only"));
    }
    let children = bounded("children", children, 0, 0, max - 1)?;
    let infants = bounded("infants", infants, 0, 0, max)?;
    Travellers::new(adults as u8, children as u8, infants as u8)
        .map_err(|invalid| ApiError::invalid_field(invalid.0, invalid.1))
}

fn window(name: &str, raw: Option<&str>) -> Result<Option<TimeWindow>, ApiError> {
    raw.map(|raw| {
        TimeWindow::parse(raw).ok_or_else(|| {
            ApiError::invalid_field(
                name,
                format!("expected HH:MM-HH:MM in local time, the end after the start, got {raw:?}"),
            )
        })
    })
    .transpose()
}

/// Most airlines a filter names.
const MAX_AIRLINES: usize = 20;

/// What narrows the result: `airlines` (comma-separated IATA codes),
/// `maxDurationMinutes` and `maxLayoverMinutes`, `maxPrice` (the party's
/// total in minor units).
fn filters(
    airlines: Option<&str>,
    max_duration: Option<&str>,
    max_layover: Option<&str>,
    max_price: Option<&str>,
) -> Result<SearchFilters, ApiError> {
    let mut codes = Vec::new();
    for raw in airlines.into_iter().flat_map(|list| list.split(',')) {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ApiError::invalid_field(
                "airlines",
                format!("expected 2-character IATA airline codes, got {raw:?}"),
            ));
        }
        codes.push(code);
    }
    codes.sort();
    codes.dedup();
    if codes.len() > MAX_AIRLINES {
        return Err(ApiError::invalid_field("airlines", format!("at most {MAX_AIRLINES} airlines")));
    }
    let optional = |name: &str, raw: Option<&str>, min: i64, max: i64| -> Result<Option<i64>, ApiError> {
        raw.map(|raw| bounded(name, Some(raw), 0, min, max)).transpose()
    };
    Ok(SearchFilters {
        airlines: codes,
        max_duration_minutes: optional("maxDurationMinutes", max_duration, 1, 4320)?.map(|m| m as u32),
        max_layover_minutes: optional("maxLayoverMinutes", max_layover, 0, 1440)?.map(|m| m as u32),
        max_price: optional("maxPrice", max_price, 0, 1_000_000_000_000)?,
    })
}

/// Cabin, stops and order; `default_sort` when the request names none.
struct Options {
    cabin: Cabin,
    max_stops: u8,
    sort: SortOrder,
}

fn options(
    cabin: Option<&str>,
    max_stops: Option<&str>,
    sort: Option<&str>,
    default_sort: SortOrder,
) -> Result<Options, ApiError> {
    let cabin = match cabin {
        None => Cabin::Economy,
        Some(raw) => Cabin::parse(raw).ok_or_else(|| {
            ApiError::invalid_field(
                "cabin",
                format!("expected ECONOMY, PREMIUM_ECONOMY, BUSINESS or FIRST, got {raw:?}"),
            )
        })?,
    };
    let sort = match sort {
        None => default_sort,
        Some(raw) => SortOrder::parse(raw).ok_or_else(|| {
            ApiError::invalid_field("sort", format!("expected best, price, duration or departure, got {raw:?}"))
        })?,
    };
    Ok(Options { cabin, max_stops: bounded("maxStops", max_stops, 1, 0, 2)? as u8, sort })
}

fn page(query: SearchQuery, limit: Option<&str>, cursor: Option<&str>) -> Result<SearchRequest, ApiError> {
    let limit = bounded("limit", limit, DEFAULT_LIMIT as i64, 1, MAX_LIMIT as i64)? as usize;
    let offset = match cursor {
        None => 0,
        Some(cursor) => search_cursor::decode(cursor, &query.hash())?,
    };
    Ok(SearchRequest { query, offset, limit })
}

/// The order a request gets when it names none: the original's `price` for
/// one way, `best` for the journeys it could not ask for.
fn default_sort(kind: TripKind) -> SortOrder {
    match kind {
        TripKind::OneWay => SortOrder::Price,
        TripKind::RoundTrip | TripKind::MultiCity => SortOrder::Best,
    }
}

/// Reads and validates the query string (`param` returns one parameter).
pub fn parse_search_request<'a>(param: impl Fn(&str) -> Option<&'a str>) -> Result<SearchRequest, ApiError> {
    let origin = airport_code("source", param("source").or_else(|| param("origin")))?;
    let destination = airport_code("destination", param("destination"))?;
    if origin == destination {
        return Err(ApiError::invalid_field("destination", "must differ from source"));
    }
    let outbound = date("date", param("date"))?;
    let mut slices = vec![SliceQuery {
        departure_window: window("departureWindow", param("departureWindow"))?,
        arrival_window: window("arrivalWindow", param("arrivalWindow"))?,
        ..SliceQuery::new(&origin, &destination, outbound)
    }];
    let (back_departure, back_arrival) = (param("returnDepartureWindow"), param("returnArrivalWindow"));
    if let Some(raw) = param("returnDate") {
        let back = date("returnDate", Some(raw))?;
        if back < outbound {
            return Err(ApiError::invalid_field(
                "returnDate",
                format!("{back} is before the outbound date {outbound}"),
            ));
        }
        slices.push(SliceQuery {
            departure_window: window("returnDepartureWindow", back_departure)?,
            arrival_window: window("returnArrivalWindow", back_arrival)?,
            ..SliceQuery::new(&destination, &origin, back)
        });
    } else if back_departure.is_some() || back_arrival.is_some() {
        let name = if back_departure.is_some() { "returnDepartureWindow" } else { "returnArrivalWindow" };
        return Err(ApiError::invalid_field(name, "only with returnDate"));
    }
    let kind = if slices.len() == 2 { TripKind::RoundTrip } else { TripKind::OneWay };
    let travellers = travellers(param("passengers"), param("adults"), param("children"), param("infants"))?;
    let options = options(param("cabin"), param("maxStops"), param("sort"), default_sort(kind))?;
    let filters =
        filters(param("airlines"), param("maxDurationMinutes"), param("maxLayoverMinutes"), param("maxPrice"))?;
    let query = SearchQuery {
        kind,
        slices,
        travellers,
        max_stops: options.max_stops,
        cabin: options.cabin,
        sort: options.sort,
        filters,
    };
    page(query, param("limit"), param("cursor"))
}

/// `GET /api/flights/calendar`'s query string: a route, a range of at most
/// [`MAX_CALENDAR_DAYS`] dates, the party, stops and cabin.
pub fn parse_calendar_request<'a>(param: impl Fn(&str) -> Option<&'a str>) -> Result<CalendarQuery, ApiError> {
    let origin = airport_code("source", param("source").or_else(|| param("origin")))?;
    let destination = airport_code("destination", param("destination"))?;
    if origin == destination {
        return Err(ApiError::invalid_field("destination", "must differ from source"));
    }
    let from = date("from", param("from"))?;
    let to = date("to", param("to"))?;
    if to < from {
        return Err(ApiError::invalid_field("to", format!("{to} is before from ({from})")));
    }
    if (to - from).num_days() >= MAX_CALENDAR_DAYS {
        return Err(ApiError::invalid_field("to", format!("a calendar spans at most {MAX_CALENDAR_DAYS} days")));
    }
    let travellers = travellers(param("passengers"), param("adults"), param("children"), param("infants"))?;
    let options = options(param("cabin"), param("maxStops"), None, SortOrder::Price)?;
    Ok(CalendarQuery { origin, destination, from, to, travellers, max_stops: options.max_stops, cabin: options.cabin })
}

/// `POST /api/flights/search`: a multi-city search.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MultiCitySearch {
    pub slices: Vec<SliceBody>,
    pub adults: Option<Scalar>,
    pub children: Option<Scalar>,
    pub infants: Option<Scalar>,
    pub passengers: Option<Scalar>,
    pub cabin: Option<Scalar>,
    pub max_stops: Option<Scalar>,
    pub sort: Option<Scalar>,
    pub limit: Option<Scalar>,
    pub cursor: Option<Scalar>,
    pub airlines: Option<Airlines>,
    pub max_duration_minutes: Option<Scalar>,
    pub max_layover_minutes: Option<Scalar>,
    pub max_price: Option<Scalar>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SliceBody {
    #[serde(alias = "origin")]
    pub source: Option<String>,
    pub destination: Option<String>,
    pub date: Option<String>,
    pub departure_window: Option<String>,
    pub arrival_window: Option<String>,
}

/// Airline codes as a list or as the query string's comma-separated text.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Airlines {
    List(Vec<String>),
    Text(String),
}

/// A number or a string, read as the query string's text would be, so both
/// shapes are checked by the same rules.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Number(serde_json::Number),
    Text(String),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Number(n) => n.to_string(),
            Scalar::Text(t) => t.clone(),
        }
    }
}

/// Reads and validates a multi-city body: 2 to 5 slices, each on or after
/// the date of the one before.
pub fn parse_multi_city(body: &MultiCitySearch) -> Result<SearchRequest, ApiError> {
    if !(MIN_SLICES..=MAX_SLICES).contains(&body.slices.len()) {
        return Err(ApiError::invalid_field("slices", format!("give {MIN_SLICES} to {MAX_SLICES} slices")));
    }
    let mut slices: Vec<SliceQuery> = Vec::with_capacity(body.slices.len());
    for (index, slice) in body.slices.iter().enumerate() {
        let field = |name: &str| format!("slices[{index}].{name}");
        let origin = airport_code(&field("source"), slice.source.as_deref())?;
        let destination = airport_code(&field("destination"), slice.destination.as_deref())?;
        if origin == destination {
            return Err(ApiError::invalid_field(&field("destination"), "must differ from source"));
        }
        let date = date(&field("date"), slice.date.as_deref())?;
        let departure_window = window(&field("departureWindow"), slice.departure_window.as_deref())?;
        let arrival_window = window(&field("arrivalWindow"), slice.arrival_window.as_deref())?;
        if let Some(previous) = slices.last() {
            if date < previous.date {
                return Err(ApiError::invalid_field(
                    &field("date"),
                    format!("slices are in travel order: {date} is before the previous slice's {}", previous.date),
                ));
            }
        }
        slices.push(SliceQuery { departure_window, arrival_window, ..SliceQuery::new(&origin, &destination, date) });
    }
    let text = |s: &Option<Scalar>| s.as_ref().map(Scalar::text);
    let (passengers, adults, children, infants) =
        (text(&body.passengers), text(&body.adults), text(&body.children), text(&body.infants));
    let travellers = travellers(passengers.as_deref(), adults.as_deref(), children.as_deref(), infants.as_deref())?;
    let (cabin, max_stops, sort) = (text(&body.cabin), text(&body.max_stops), text(&body.sort));
    let options = options(cabin.as_deref(), max_stops.as_deref(), sort.as_deref(), default_sort(TripKind::MultiCity))?;
    let airlines = body.airlines.as_ref().map(|a| match a {
        Airlines::List(codes) => codes.join(","),
        Airlines::Text(text) => text.clone(),
    });
    let (max_duration, max_layover, max_price) =
        (text(&body.max_duration_minutes), text(&body.max_layover_minutes), text(&body.max_price));
    let filters = filters(airlines.as_deref(), max_duration.as_deref(), max_layover.as_deref(), max_price.as_deref())?;
    let query = SearchQuery {
        kind: TripKind::MultiCity,
        slices,
        travellers,
        max_stops: options.max_stops,
        cabin: options.cabin,
        sort: options.sort,
        filters,
    };
    let (limit, cursor) = (text(&body.limit), text(&body.cursor));
    page(query, limit.as_deref(), cursor.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<SearchRequest, ApiError> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        parse_search_request(|k| map.get(k).copied())
    }

    #[test]
    fn parses_defaults_and_normalises() {
        let r = parse(&[("source", "del"), ("destination", " BOM "), ("date", "2030-01-02")]).unwrap();
        assert_eq!(r.query.first().origin, "DEL");
        assert_eq!(r.query.first().destination, "BOM");
        assert_eq!(
            (r.query.travellers, r.query.max_stops, r.query.cabin, r.query.sort, r.query.kind),
            (Travellers::adults(1), 1, Cabin::Economy, SortOrder::Price, TripKind::OneWay)
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
    fn reads_round_trips_and_parties() {
        let r = parse(&[
            ("source", "DEL"),
            ("destination", "GOI"),
            ("date", "2030-01-02"),
            ("returnDate", "2030-01-09"),
            ("adults", "2"),
            ("children", "1"),
            ("infants", "1"),
        ])
        .unwrap();
        assert_eq!(r.query.kind, TripKind::RoundTrip);
        assert_eq!(r.query.sort, SortOrder::Best, "new journeys default to best");
        assert_eq!((r.query.slices[1].origin.as_str(), r.query.slices[1].destination.as_str()), ("GOI", "DEL"));
        assert_eq!(r.query.travellers, Travellers::new(2, 1, 1).unwrap());
        assert_eq!(r.query.seats(), 3);
        let same_day =
            parse(&[("source", "DEL"), ("destination", "GOI"), ("date", "2030-01-02"), ("returnDate", "2030-01-02")]);
        assert!(same_day.is_ok());
        let one_way =
            parse(&[("source", "DEL"), ("destination", "GOI"), ("date", "2030-01-02"), ("passengers", "3")]).unwrap();
        assert_eq!(one_way.query.travellers, Travellers::adults(3), "passengers=N still means N adults");
        assert_ne!(one_way.query.hash(), r.query.hash());
    }

    #[test]
    fn bad_parties_and_dates_name_the_field() {
        let base = [("source", "DEL"), ("destination", "GOI"), ("date", "2030-01-02")];
        for (extra, field) in [
            (vec![("returnDate", "2030-01-01")], "returnDate"),
            (vec![("returnDate", "2030-13-01")], "returnDate"),
            (vec![("adults", "5"), ("children", "5")], "children"),
            (vec![("adults", "1"), ("infants", "2")], "infants"),
            (vec![("adults", "0")], "adults"),
            (vec![("adults", "10")], "adults"),
            (vec![("children", "-1")], "children"),
            (vec![("passengers", "2"), ("adults", "3")], "adults"),
            (vec![("airlines", "AI,XYZ")], "airlines"),
            (vec![("maxDurationMinutes", "0")], "maxDurationMinutes"),
            (vec![("maxLayoverMinutes", "2000")], "maxLayoverMinutes"),
            (vec![("maxPrice", "-5")], "maxPrice"),
            (vec![("departureWindow", "12:00-06:00")], "departureWindow"),
            (vec![("arrivalWindow", "noon")], "arrivalWindow"),
            (vec![("returnDepartureWindow", "06:00-12:00")], "returnDepartureWindow"),
        ] {
            let mut pairs = base.to_vec();
            pairs.extend(extra.iter().copied());
            let err = parse(&pairs).unwrap_err();
            assert_eq!(err.status(), 400, "{extra:?}");
            assert!(err.to_string().starts_with(field), "{extra:?}: {err}");
        }
    }

    #[test]
    fn reads_calendar_ranges() {
        let params = |pairs: &[(&'static str, &'static str)]| {
            let map: HashMap<&str, &str> = pairs.iter().copied().collect();
            parse_calendar_request(|k| map.get(k).copied())
        };
        let base = [("source", "DEL"), ("destination", "GOI"), ("from", "2030-01-01")];
        let with = |to: &'static str, extra: &[(&'static str, &'static str)]| {
            let mut p = base.to_vec();
            p.push(("to", to));
            p.extend(extra.iter().copied());
            params(&p)
        };
        let q = with("2030-03-03", &[("adults", "2"), ("infants", "1")]).unwrap();
        assert_eq!(q.dates().count(), 62);
        assert_eq!(q.travellers, Travellers::new(2, 0, 1).unwrap());
        for (to, extra, field) in [
            ("2030-03-04", vec![], "to"),
            ("2029-12-31", vec![], "to"),
            ("2030-01-05", vec![("children", "9")], "children"),
            ("2030-01-05", vec![("maxStops", "3")], "maxStops"),
        ] {
            let err = with(to, &extra).unwrap_err();
            assert!(err.to_string().starts_with(field), "{to} {extra:?}: {err}");
        }
        assert!(params(&base).unwrap_err().to_string().contains("to"));
    }

    fn multi(body: &str) -> Result<SearchRequest, ApiError> {
        parse_multi_city(&serde_json::from_str::<MultiCitySearch>(body).unwrap())
    }

    #[test]
    fn reads_multi_city_bodies() {
        let r = multi(
            r#"{"slices":[{"source":"DEL","destination":"BOM","date":"2030-01-02"},
                {"origin":"bom","destination":"GOI","date":"2030-01-04"},
                {"source":"GOI","destination":"DEL","date":"2030-01-04"}],
                "adults":2,"infants":"1","cabin":"BUSINESS","maxStops":0,"limit":5}"#,
        )
        .unwrap();
        assert_eq!(r.query.kind, TripKind::MultiCity);
        assert_eq!(r.query.slices.len(), 3);
        assert_eq!(r.query.slices[1].origin, "BOM");
        assert_eq!((r.query.travellers.adults, r.query.travellers.infants, r.query.max_stops, r.limit), (2, 1, 0, 5));
        assert_eq!((r.query.cabin, r.query.sort), (Cabin::Business, SortOrder::Best));
        for (body, field) in [
            (r#"{"slices":[{"source":"DEL","destination":"BOM","date":"2030-01-02"}]}"#, "slices"),
            (
                r#"{"slices":[{"source":"DEL","destination":"BOM","date":"2030-01-05"},
                    {"source":"BOM","destination":"GOI","date":"2030-01-04"}]}"#,
                "slices[1].date",
            ),
            (
                r#"{"slices":[{"source":"DEL","destination":"BOM","date":"2030-01-05"},
                    {"source":"BOM","date":"2030-01-06"}]}"#,
                "slices[1].destination",
            ),
            (
                r#"{"slices":[{"source":"DEL","destination":"BOM","date":"2030-01-05"},
                    {"source":"BOM","destination":"GOI","date":"2030-01-06"}],"adults":9,"children":1}"#,
                "children",
            ),
        ] {
            let err = multi(body).unwrap_err();
            assert_eq!(err.status(), 400, "{body}");
            assert!(err.to_string().starts_with(field), "{body}: {err}");
        }
        let six = format!(
            r#"{{"slices":[{}]}}"#,
            [r#"{"source":"DEL","destination":"BOM","date":"2030-01-05"}"#; 6].join(",")
        );
        assert!(multi(&six).unwrap_err().to_string().starts_with("slices"));
    }
}
