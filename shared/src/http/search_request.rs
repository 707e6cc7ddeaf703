//! `GET /api/flights/search`'s query string → a [`SearchRequest`]: the one
//! place search parameters are read and their format checked (the service
//! checks what needs the directory: known airports, the date's range).

use super::search_cursor;
use crate::domain::itinerary::SortOrder;
use crate::domain::seating::Cabin;
use crate::service::search::{SearchQuery, SearchRequest, DEFAULT_LIMIT, MAX_LIMIT};
use crate::{ApiError, ErrorCode};
use chrono::NaiveDate;

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

/// Reads and validates the query string (`param` returns one parameter).
pub fn parse_search_request<'a>(param: impl Fn(&str) -> Option<&'a str>) -> Result<SearchRequest, ApiError> {
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
        Some(cursor) => search_cursor::decode(cursor, &query.hash())?,
    };
    Ok(SearchRequest { query, offset, limit })
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
}
