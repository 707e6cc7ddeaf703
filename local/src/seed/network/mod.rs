//! Route networks and their daily schedules. A schedule is a list of slots
//! (one flight number at one local time every day); a day's flights are the
//! slots placed on that local date, with that date's fares. The slots come
//! from an RNG with a fixed seed, so seeding on a later day extends the same
//! timetable instead of laying a second one over it; only fares depend on
//! the date.
//!
//! The parts: the demo network here, the synthetic benchmark network
//! ([`bench`]), how routes become slots ([`builder`]) and a date's flights
//! from the slots ([`daily_flights`]).

mod bench;
mod builder;
mod daily_flights;
#[cfg(test)]
mod tests;

use super::reference::{self, Role, AIRLINES, AIRPORTS, INTERNATIONAL, TRUNKS};
use anyhow::Context;
use builder::{Builder, Carriers};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use shared::domain::seating::Cabin;
use std::collections::HashMap;

pub struct Airport {
    pub code: String,
    pub name: String,
    pub city: String,
    pub country: String,
    pub time_zone: Tz,
    pub lat: f64,
    pub lon: f64,
    pub min_connection_minutes: i32,
    pub min_connection_minutes_international: i32,
}

impl Airport {
    fn real(airport: &reference::RealAirport) -> Airport {
        let (domestic, international) = airport.min_connection_minutes();
        Airport {
            code: airport.code.into(),
            name: airport.name.into(),
            city: airport.city.into(),
            country: airport.country.into(),
            time_zone: airport.time_zone,
            lat: airport.lat,
            lon: airport.lon,
            min_connection_minutes: domestic,
            min_connection_minutes_international: international,
        }
    }

    fn position(&self) -> (f64, f64) {
        (self.lat, self.lon)
    }
}

/// One flight number flown every day at the same local time.
pub struct Slot {
    pub airline: usize,
    pub number: u16,
    pub origin: usize,
    pub destination: usize,
    /// Local departure time at the origin, in minutes after midnight.
    pub departs_minute: u16,
    pub duration_minutes: u16,
    pub aircraft: &'static str,
    /// Economy fare before the day's variation.
    pub base_fare_inr: f64,
    /// A fare that never varies (the walkthrough's flight).
    pub fixed_economy_paise: Option<i64>,
}

pub struct Network {
    pub airports: Vec<Airport>,
    pub slots: Vec<Slot>,
}

/// The seats per cabin of each aircraft type, as stored in the database.
pub type SeatCounts = HashMap<String, Vec<(Cabin, i32)>>;

/// One flight ready for loading, with its fares per cabin.
pub struct FlightRow<'a> {
    pub airline: &'static str,
    pub flight_number: String,
    pub origin: &'a str,
    pub destination: &'a str,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
    pub aircraft: &'static str,
    pub cabins: Vec<&'static str>,
    pub amounts: Vec<i64>,
    pub seats: Vec<i32>,
}

/// AI101 DEL→BOM at 09:00 IST on the all-economy A320 for 2500 INR a seat:
/// the original walkthrough books two seats on flight 1 for 5000 INR.
pub const WALKTHROUGH_AIRLINE: &str = "AI";
pub const WALKTHROUGH_NUMBER: u16 = 101;
pub const WALKTHROUGH_DEPARTURE_MINUTE: u16 = 9 * 60;
pub const WALKTHROUGH_ECONOMY_PAISE: i64 = 250_000;

const SCHEDULE_SEED: u64 = 0x5eed_f11e_0001;

/// Block time: cruise at ~800 km/h plus 30 minutes of taxi, climb and
/// descent, to the nearest 5 minutes.
fn block_minutes(distance_km: f64) -> u16 {
    let minutes = distance_km / 800.0 * 60.0 + 30.0;
    ((minutes / 5.0).round() * 5.0) as u16
}

fn index_by_code(airports: &[Airport]) -> HashMap<&str, usize> {
    airports.iter().enumerate().map(|(i, a)| (a.code.as_str(), i)).collect()
}

impl Network {
    /// The demo network: real airports, Indian hubs and spokes, and
    /// international routes through the Gulf, Asia and Europe.
    pub fn demo() -> anyhow::Result<Network> {
        let airports: Vec<Airport> = AIRPORTS.iter().map(Airport::real).collect();
        let index = index_by_code(&airports);
        let at = |code: &str| index[code];
        let mut builder = Builder::new(&airports, SCHEDULE_SEED, Carriers::Realistic);

        let (del, bom) = (at("DEL"), at("BOM"));
        let walkthrough_airline = AIRLINES
            .iter()
            .position(|a| a.code == WALKTHROUGH_AIRLINE)
            .context("the walkthrough airline is missing")?;
        builder.slots.push(Slot {
            airline: walkthrough_airline,
            number: WALKTHROUGH_NUMBER,
            origin: del,
            destination: bom,
            departs_minute: WALKTHROUGH_DEPARTURE_MINUTE,
            duration_minutes: block_minutes(builder.distance(del, bom)),
            aircraft: reference::WALKTHROUGH_AIRCRAFT,
            base_fare_inr: 0.0,
            fixed_economy_paise: Some(WALKTHROUGH_ECONOMY_PAISE),
        });

        for &(a, b, per_day) in TRUNKS {
            builder.route(at(a), at(b), per_day)?;
            builder.route(at(b), at(a), per_day)?;
        }
        for airport in AIRPORTS {
            if let Role::Spoke { hubs, per_day } = airport.role {
                for (rank, hub) in hubs.iter().enumerate() {
                    // The first hub is the main link; the others get fewer.
                    let per_day = (per_day * [15, 12, 9][rank]).div_ceil(10);
                    builder.route(at(airport.code), at(hub), per_day)?;
                    builder.route(at(hub), at(airport.code), per_day)?;
                }
            }
        }
        for &(a, b, per_day) in INTERNATIONAL {
            builder.route(at(a), at(b), per_day)?;
            builder.route(at(b), at(a), per_day)?;
        }
        let slots = builder.slots;
        Ok(Network { airports, slots })
    }
}
