//! The wire format of a search page (`GET /api/flights/search`), the one
//! place that knows it: the JSON of an itinerary and of a page of them,
//! written for the service through its `SearchPageFormat` port (the service
//! caches what is written here, in Redis and in the instance's recent pages),
//! and the response around it.

use super::search_cursor;
use super::views::fares::FareBrandBody;
use crate::domain::fares::FareBrand;
use crate::domain::invoice::gst_included;
use crate::domain::itinerary::{Itinerary, Trip};
use crate::domain::money::Money;
use crate::domain::seating::Cabin;
use crate::domain::timetable::{AirportId, Fare, ScheduledFlight};
use crate::domain::travellers::{PassengerType, Travellers, TypeFare};
use crate::service::search::{
    RenderedItineraries, RenderedSearchPage, SearchPage, SearchPageFormat, SearchQuery, SearchRequest, TripKind,
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
use std::sync::OnceLock;

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
        let renderer = Renderer { snapshot, cabin: query.cabin, travellers: query.travellers };
        let mut items = Vec::with_capacity(found.len());
        let mut flat = Vec::with_capacity(found.len());
        for itinerary in found {
            items.push(renderer.itinerary(itinerary)?);
            flat.push(match itinerary.legs.as_slice() {
                [leg] => renderer.flat(leg)?,
                _ => String::new(),
            });
        }
        Ok(RenderedItineraries { items, flat })
    }

    fn trips<'a>(
        &self,
        found: &[Trip<'a>],
        snapshot: &'a Snapshot,
        request: &SearchRequest,
    ) -> Result<RenderedItineraries, ApiError> {
        let query = &request.query;
        let renderer = Renderer { snapshot, cabin: query.cabin, travellers: query.travellers };
        let items = found.iter().map(|trip| renderer.trip(trip)).collect::<Result<Vec<_>, _>>()?;
        // The original's flat list of direct flights has no place for a trip.
        let flat = vec![String::new(); items.len()];
        Ok(RenderedItineraries { items, flat })
    }

    fn facets<'a>(
        &self,
        offers: &[&[Itinerary<'a>]],
        snapshot: &'a Snapshot,
        request: &SearchRequest,
    ) -> Result<String, ApiError> {
        super::search_facets::write_facets(offers, snapshot, request)
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
        let size =
            1_200 + query.len() + page.facets.len() + items.iter().chain(flat).map(|i| i.len() + 1).sum::<usize>();
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
        let facets = if page.facets.is_empty() { "null" } else { page.facets };
        let brands = fare_brands(page.request.query.cabin);
        write!(body, r#"],"facets":{facets},"fareBrands":{brands},"nextCursor":{next_cursor},"cached":{cached}}}"#)
            .expect("string");
        body
    }
}

/// What each brand the cabin sells allows, written once per cabin.
fn fare_brands(cabin: Cabin) -> &'static str {
    static WRITTEN: [OnceLock<String>; 4] = [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
    WRITTEN[cabin as usize].get_or_init(|| {
        let brands: Vec<FareBrandBody> =
            FareBrand::offered_in(cabin).iter().map(|b| FareBrandBody::new(*b, cabin, "INR")).collect();
        serde_json::to_string(&brands).expect("brands serialise")
    })
}

/// The `200` of a search: the page, and `x-cache` saying whether the cache answered.
pub fn response(page: RenderedSearchPage) -> Response<Body> {
    let mut response = super::json_text(page.body);
    let cache = super::HeaderValue::from_static(if page.cached { "HIT" } else { "MISS" });
    response.headers_mut().insert("x-cache", cache);
    response
}

/// The query as the page echoes it: the original's fields, the party, and
/// the return date or the slices of a round trip or multi-city search.
fn query_json(query: &SearchQuery) -> Value {
    let first = query.first();
    let t = &query.travellers;
    let mut echo = json!({
        "source": first.origin,
        "destination": first.destination,
        "date": first.date.to_string(),
        "passengers": query.seats(),
        "adults": t.adults,
        "children": t.children,
        "infants": t.infants,
        "maxStops": query.max_stops,
        "cabin": query.cabin,
        "sort": query.sort.as_str(),
    });
    let (first, f) = (query.first(), &query.filters);
    for (key, window) in [("departureWindow", first.departure_window), ("arrivalWindow", first.arrival_window)] {
        if let Some(window) = window {
            echo[key] = json!(window.to_string());
        }
    }
    if !f.airlines.is_empty() {
        echo["airlines"] = json!(f.airlines);
    }
    for (key, value) in [
        ("maxDurationMinutes", f.max_duration_minutes.map(i64::from)),
        ("maxLayoverMinutes", f.max_layover_minutes.map(i64::from)),
        ("maxPrice", f.max_price),
    ] {
        if let Some(value) = value {
            echo[key] = json!(value);
        }
    }
    match query.kind {
        TripKind::OneWay => {}
        TripKind::RoundTrip => {
            let back = &query.slices[1];
            echo["returnDate"] = json!(back.date.to_string());
            for (key, window) in
                [("returnDepartureWindow", back.departure_window), ("returnArrivalWindow", back.arrival_window)]
            {
                if let Some(window) = window {
                    echo[key] = json!(window.to_string());
                }
            }
        }
        TripKind::MultiCity => {
            echo["slices"] = query
                .slices
                .iter()
                .map(|s| {
                    let mut slice =
                        json!({"source": s.origin, "destination": s.destination, "date": s.date.to_string()});
                    for (key, window) in [("departureWindow", s.departure_window), ("arrivalWindow", s.arrival_window)]
                    {
                        if let Some(window) = window {
                            slice[key] = json!(window.to_string());
                        }
                    }
                    slice
                })
                .collect();
        }
    }
    echo
}

fn currency(code: &[u8; 3]) -> &str {
    std::str::from_utf8(code).unwrap_or("XXX")
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
    fare: Money,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItineraryHead {
    id: String,
    stops: usize,
    departure_time: String,
    arrival_time: String,
    total_duration_minutes: i64,
    price: Money,
    price_per_passenger: Money,
    price_breakdown: Vec<TypeFareJson>,
    /// The price in each brand the cabin sells (the page's `fareBrands`
    /// say what each allows); the first is `price`.
    fare_options: Vec<FareOptionJson>,
    passengers: i32,
    cabin: Cabin,
    seats_left: i32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FareOptionJson {
    brand: FareBrand,
    price: Money,
    price_per_passenger: Money,
}

/// One passenger type's part of a price: per passenger, the fare without
/// its taxes and fees, those, and the fare; then for all of that type.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TypeFareJson {
    #[serde(rename = "type")]
    kind: PassengerType,
    count: u8,
    base_fare: Money,
    taxes_and_fees: Money,
    fare: Money,
    total: Money,
}

impl TypeFareJson {
    fn new(line: &TypeFare, currency: &str) -> Self {
        TypeFareJson {
            kind: line.kind,
            count: line.count,
            base_fare: Money::new(line.base, currency),
            taxes_and_fees: Money::new(line.taxes, currency),
            fare: Money::new(line.fare, currency),
            total: Money::new(line.total(), currency),
        }
    }
}

/// A trip of several slices: its price for the party and its slices.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TripHead {
    id: String,
    departure_time: String,
    arrival_time: String,
    /// The slices' durations summed (the days between them are not travel).
    total_duration_minutes: i64,
    price: Money,
    price_per_passenger: Money,
    price_breakdown: Vec<TypeFareJson>,
    /// The price in each brand the cabin sells (the page's `fareBrands`
    /// say what each allows); the first is `price`.
    fare_options: Vec<FareOptionJson>,
    passengers: i32,
    cabin: Cabin,
    seats_left: i32,
}

/// One slice of a trip: the fields a one-way itinerary has, but for the
/// party's price, and where it goes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SliceHead<'a> {
    id: String,
    origin: AirportJson<'a>,
    destination: AirportJson<'a>,
    stops: usize,
    departure_time: String,
    arrival_time: String,
    total_duration_minutes: i64,
    price_per_passenger: Money,
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
    /// `price` as a money object, in the row's spelling.
    price_money: Money,
    available_seats: i32,
    status: &'static str,
}

struct Renderer<'a> {
    snapshot: &'a Snapshot,
    cabin: Cabin,
    travellers: Travellers,
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
            fare: Money::new(fare.amount, fare.currency()),
        };
        let mut text = serde_json::to_string(&json).map_err(ApiError::internal)?;
        text.pop();
        text.push_str(r#","seatsLeft":"#);
        let _ = slot.set(text.into_boxed_str());
        Ok(slot.get().expect("just set"))
    }

    /// The party's price per passenger type for slices whose adult fares
    /// sum to `adult_fare`: the GST inside is that of the part of the fare
    /// for slices embarking in India, at the cabin's rate.
    fn breakdown(
        &self,
        slices: &[&Itinerary<'a>],
        adult_fare: i64,
        currency: &str,
    ) -> Result<Vec<TypeFareJson>, ApiError> {
        let mut taxed = 0;
        for slice in slices {
            if self.airport(slice.legs[0].origin)?.country == "IN" {
                taxed += slice.price_per_passenger;
            }
        }
        let cabin = self.cabin;
        let tax_of = |fare: i64| {
            if adult_fare == 0 {
                return 0;
            }
            let part = ((i128::from(fare) * i128::from(taxed) * 2 + i128::from(adult_fare))
                / (2 * i128::from(adult_fare))) as i64;
            gst_included(part, cabin)
        };
        Ok(self.travellers.breakdown(adult_fare, tax_of).iter().map(|line| TypeFareJson::new(line, currency)).collect())
    }

    /// The party's price in each brand of the cabin: each leg's adult fare
    /// in that brand, then each passenger type's share, as a booking prices it.
    fn fare_options(
        &self,
        legs: impl Iterator<Item = &'a ScheduledFlight> + Clone,
        currency: &str,
    ) -> Vec<FareOptionJson> {
        FareBrand::offered_in(self.cabin)
            .iter()
            .map(|brand| {
                let adult: i64 =
                    legs.clone().filter_map(|leg| leg.fare(self.cabin)).map(|fare| brand.price(fare.amount)).sum();
                FareOptionJson {
                    brand: *brand,
                    price: Money::new(self.travellers.total(adult), currency),
                    price_per_passenger: Money::new(adult, currency),
                }
            })
            .collect()
    }

    fn seats_left(&self, itinerary: &Itinerary<'a>) -> i32 {
        itinerary.legs.iter().map(|l| l.seats_left(self.cabin)).min().unwrap_or(0)
    }

    fn itinerary(&self, itinerary: &Itinerary<'a>) -> Result<String, ApiError> {
        let (first, last) = (itinerary.legs[0], itinerary.legs[itinerary.legs.len() - 1]);
        let currency = currency(&itinerary.currency);
        let adult_fare = itinerary.price_per_passenger;
        let head = ItineraryHead {
            id: itinerary.id(),
            stops: itinerary.stops(),
            departure_time: local(first.departs_at, self.airport(first.origin)?.time_zone),
            arrival_time: local(last.arrives_at, self.airport(last.destination)?.time_zone),
            total_duration_minutes: itinerary.duration_minutes(),
            price: Money::new(self.travellers.total(adult_fare), currency),
            price_per_passenger: Money::new(adult_fare, currency),
            price_breakdown: self.breakdown(&[itinerary], adult_fare, currency)?,
            fare_options: self.fare_options(itinerary.legs.iter().copied(), currency),
            passengers: self.travellers.seated(),
            cabin: self.cabin,
            seats_left: self.seats_left(itinerary),
        };
        let mut text = serde_json::to_string(&head).map_err(ApiError::internal)?;
        text.pop();
        text.push(',');
        self.legs_and_layovers(itinerary, &mut text)?;
        text.push('}');
        Ok(text)
    }

    /// `"legs":[…],"layovers":[…]` of an itinerary or a slice.
    fn legs_and_layovers(&self, itinerary: &Itinerary<'a>, text: &mut String) -> Result<(), ApiError> {
        text.push_str(r#""legs":["#);
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
        Ok(())
    }

    fn trip(&self, trip: &Trip<'a>) -> Result<String, ApiError> {
        let (first, last) = (&trip.slices[0], &trip.slices[trip.slices.len() - 1]);
        let currency = currency(&first.currency);
        let adult_fare = trip.price_per_passenger();
        let slices: Vec<&Itinerary<'a>> = trip.slices.iter().collect();
        let head = TripHead {
            id: trip.id(),
            departure_time: local(first.departs_at(), self.airport(first.legs[0].origin)?.time_zone),
            arrival_time: local(last.arrives_at(), self.airport(last.legs[last.legs.len() - 1].destination)?.time_zone),
            total_duration_minutes: trip.duration_secs() / 60,
            price: Money::new(self.travellers.total(adult_fare), currency),
            price_per_passenger: Money::new(adult_fare, currency),
            price_breakdown: self.breakdown(&slices, adult_fare, currency)?,
            fare_options: self.fare_options(trip.slices.iter().flat_map(|s| s.legs.iter().copied()), currency),
            passengers: self.travellers.seated(),
            cabin: self.cabin,
            seats_left: trip.slices.iter().map(|s| self.seats_left(s)).min().unwrap_or(0),
        };
        let mut text = serde_json::to_string(&head).map_err(ApiError::internal)?;
        text.pop();
        text.push_str(r#","slices":["#);
        for (i, slice) in trip.slices.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            let (from, to) = (slice.legs[0], slice.legs[slice.legs.len() - 1]);
            let (origin, destination) = (self.airport(from.origin)?, self.airport(to.destination)?);
            let head = SliceHead {
                id: slice.id(),
                origin: origin.into(),
                destination: destination.into(),
                stops: slice.stops(),
                departure_time: local(from.departs_at, origin.time_zone),
                arrival_time: local(to.arrives_at, destination.time_zone),
                total_duration_minutes: slice.duration_minutes(),
                price_per_passenger: Money::new(slice.price_per_passenger, currency),
                seats_left: self.seats_left(slice),
            };
            let mut part = serde_json::to_string(&head).map_err(ApiError::internal)?;
            part.pop();
            part.push(',');
            self.legs_and_layovers(slice, &mut part)?;
            part.push('}');
            text.push_str(&part);
        }
        text.push_str("]}");
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
            price_money: Money::new(fare.amount, fare.currency()),
            available_seats: leg.seats_left(self.cabin),
            status: "SCHEDULED",
        };
        serde_json::to_string(&json).map_err(ApiError::internal)
    }
}
