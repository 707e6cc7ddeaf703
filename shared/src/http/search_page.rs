//! The wire format of a search page (`GET /api/flights/search`), the one
//! place that knows it: the JSON of an itinerary and of a page of them,
//! written for the service through its `SearchPageFormat` port (the service
//! caches what is written here, in Redis and in the instance's recent pages),
//! and the response around it.

use super::search_cursor;
use crate::domain::itinerary::Itinerary;
use crate::domain::money::Money;
use crate::domain::seating::Cabin;
use crate::domain::timetable::{AirportId, Fare, ScheduledFlight};
use crate::service::search::{
    RenderedItineraries, RenderedSearchPage, SearchPage, SearchPageFormat, SearchQuery, SearchRequest,
};
use crate::store::flights::Airport;
use crate::store::timetable::Snapshot;
use crate::ApiError;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write;

/// Search pages as JSON documents: what `flights-search` answers.
pub struct SearchPageJson;

impl SearchPageFormat for SearchPageJson {
    fn itineraries<'a>(
        &self,
        found: &[Itinerary<'a>],
        snapshot: &'a Snapshot,
        request: &SearchRequest,
    ) -> Result<RenderedItineraries, ApiError> {
        let query = &request.query;
        let renderer = Renderer { snapshot, cabin: query.cabin };
        let mut items = Vec::with_capacity(found.len());
        let mut flat = Vec::with_capacity(found.len());
        for itinerary in found {
            items.push(renderer.itinerary(itinerary, query.passengers)?);
            flat.push(match itinerary.legs.as_slice() {
                [leg] => renderer.flat(leg)?,
                _ => String::new(),
            });
        }
        Ok(RenderedItineraries { items, flat })
    }

    /// The page's itineraries and, for compatibility, the page's direct
    /// flights as the original's flat `flights` rows.
    fn page(&self, page: &SearchPage<'_>) -> String {
        let (items, flat) = (page.items, page.flat);
        let next_cursor = match page.next_offset() {
            Some(next) => json!(search_cursor::encode(&page.request.query.hash(), next)),
            None => Value::Null,
        };
        let query = query_json(&page.request.query).to_string();
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
        let (total, cached) = (page.total, page.cached);
        write!(body, r#"{{"query":{query},"total":{total},"count":{},"itineraries":["#, items.len()).expect("string");
        join(&mut body, &mut items.iter());
        body.push_str(r#"],"flights":["#);
        join(&mut body, &mut flat.iter().filter(|row| !row.is_empty()));
        write!(body, r#"],"nextCursor":{next_cursor},"cached":{cached}}}"#).expect("string");
        body
    }
}

/// The `200` of a search: the page, and `x-cache` saying whether the cache answered.
pub fn response(page: RenderedSearchPage) -> Response<Body> {
    let mut response = super::json_text(page.body);
    let cache = super::HeaderValue::from_static(if page.cached { "HIT" } else { "MISS" });
    response.headers_mut().insert("x-cache", cache);
    response
}

/// The query as the page echoes it.
fn query_json(query: &SearchQuery) -> Value {
    json!({
        "source": query.origin,
        "destination": query.destination,
        "date": query.date.to_string(),
        "passengers": query.passengers,
        "maxStops": query.max_stops,
        "cabin": query.cabin,
        "sort": query.sort.as_str(),
    })
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
