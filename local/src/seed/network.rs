//! Route networks and their daily schedules. A schedule is a list of slots
//! (one flight number at one local time every day); a day's flights are the
//! slots placed on that local date, with that date's fares. The slots come
//! from an RNG with a fixed seed, so seeding on a later day extends the same
//! timetable instead of laying a second one over it; only fares depend on
//! the date.

use super::reference::{self, distance_km, is_indian_carrier, Role, AIRLINES, AIRPORTS, INTERNATIONAL, TRUNKS};
use anyhow::{bail, ensure, Context};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
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
/// The benchmark's airports and links, and its timetable, draw from
/// separate streams so resizing one does not reshuffle the other.
const BENCH_NETWORK_SEED: u64 = 0x5eed_be4c_0001;
const BENCH_SCHEDULE_SEED: u64 = 0x5eed_be4c_0002;
/// Numbers below this are left for hand-made flights such as AI101.
const FIRST_GENERATED_NUMBER: u16 = 200;
const LAST_FLIGHT_NUMBER: u16 = 9999;

/// The twenty hubs of the benchmark network.
pub const BENCH_HUBS: [&str; 20] = [
    "DEL", "BOM", "BLR", "HYD", "MAA", "CCU", "DXB", "DOH", "AUH", "SIN", "BKK", "KUL", "HKG", "NRT", "SYD", "LHR",
    "FRA", "CDG", "JFK", "SFO",
];

/// Regions the synthetic benchmark airports are scattered over:
/// (zone, country, centre latitude, centre longitude, spread in degrees, weight).
const BENCH_REGIONS: [(Tz, &str, f64, f64, f64, u32); 9] = [
    (Tz::Asia__Kolkata, "IN", 22.0, 79.0, 6.0, 30),
    (Tz::Asia__Dubai, "AE", 24.3, 54.8, 1.5, 5),
    (Tz::Asia__Bangkok, "TH", 15.0, 101.0, 3.5, 10),
    (Tz::Asia__Tokyo, "JP", 36.0, 138.0, 3.0, 7),
    (Tz::Europe__London, "GB", 53.0, -1.5, 2.5, 8),
    (Tz::Europe__Berlin, "DE", 51.0, 10.0, 2.5, 10),
    (Tz::America__New_York, "US", 38.0, -78.0, 4.0, 12),
    (Tz::America__Los_Angeles, "US", 36.0, -120.0, 3.5, 10),
    (Tz::Australia__Sydney, "AU", -32.0, 150.0, 3.0, 8),
];

#[derive(Clone, Copy)]
enum Carriers {
    /// Who really flies such a route: Indian carriers at home, a base's
    /// carrier abroad.
    Realistic,
    /// Every airline in turn, which spreads a huge schedule over all the
    /// flight numbers there are.
    RoundRobin,
}

struct Builder<'a> {
    airports: &'a [Airport],
    rng: StdRng,
    next_number: Vec<u16>,
    carriers: Carriers,
    turn: usize,
    slots: Vec<Slot>,
}

impl<'a> Builder<'a> {
    fn new(airports: &'a [Airport], seed: u64, carriers: Carriers) -> Self {
        Builder {
            airports,
            rng: StdRng::seed_from_u64(seed),
            next_number: vec![FIRST_GENERATED_NUMBER; AIRLINES.len()],
            carriers,
            turn: 0,
            slots: Vec::new(),
        }
    }

    fn distance(&self, origin: usize, destination: usize) -> f64 {
        distance_km(self.airports[origin].position(), self.airports[destination].position())
    }

    fn domestic(&self, origin: usize, destination: usize) -> bool {
        self.airports[origin].country == self.airports[destination].country
    }

    /// `per_day` departures from `origin` to `destination`, spread over the day.
    fn route(&mut self, origin: usize, destination: usize, per_day: u32) -> anyhow::Result<()> {
        let distance = self.distance(origin, destination);
        let domestic = self.domestic(origin, destination);
        // Long-haul banks leave at any hour; short hops sleep at night.
        let (start, end) = if distance > 6000.0 { (0.0, 1440.0) } else { (330.0, 1425.0) };
        let step = (end - start) / f64::from(per_day);
        for i in 0..per_day {
            let centre = start + step * (f64::from(i) + 0.5);
            let jitter = self.rng.gen_range(-0.35..0.35) * step;
            let minute = (((centre + jitter) / 5.0).round() * 5.0).rem_euclid(1440.0) as u16;
            let airline = self.pick_airline(origin, destination, distance, domestic);
            let number = self.next_number[airline];
            ensure!(number <= LAST_FLIGHT_NUMBER, "airline {} ran out of flight numbers", AIRLINES[airline].code);
            self.next_number[airline] += 1;
            let aircraft = self.pick_aircraft(AIRLINES[airline].code, distance, domestic);
            let base_fare_inr = if domestic { 1800.0 + 4.2 * distance } else { 4000.0 + 4.8 * distance }
                * self.rng.gen_range(0.9..1.15);
            self.slots.push(Slot {
                airline,
                number,
                origin,
                destination,
                departs_minute: minute,
                duration_minutes: block_minutes(distance),
                aircraft,
                base_fare_inr,
                fixed_economy_paise: None,
            });
        }
        Ok(())
    }

    fn pick_airline(&mut self, origin: usize, destination: usize, distance: f64, domestic: bool) -> usize {
        if let Carriers::RoundRobin = self.carriers {
            self.turn += 1;
            return self.turn % AIRLINES.len();
        }
        let (a, b) = (&self.airports[origin], &self.airports[destination]);
        let candidates: Vec<(usize, u32)> = if domestic && a.country == "IN" {
            AIRLINES.iter().enumerate().map(|(i, airline)| (i, airline.domestic_weight)).collect()
        } else {
            let touches_india = a.country == "IN" || b.country == "IN";
            let gulf =
                ["AE", "QA", "OM"].contains(&a.country.as_str()) || ["AE", "QA", "OM"].contains(&b.country.as_str());
            AIRLINES
                .iter()
                .enumerate()
                .map(|(i, airline)| {
                    let based = airline.bases.contains(&a.code.as_str()) || airline.bases.contains(&b.code.as_str());
                    let weight = match airline.code {
                        _ if based => 3,
                        _ if !touches_india => 0,
                        "AI" => 2,
                        "6E" if distance < 7000.0 => 2,
                        "IX" if distance < 4000.0 => 1,
                        "QP" | "SG" if gulf => 1,
                        _ => 0,
                    };
                    (i, weight)
                })
                .collect()
        };
        let total: u32 = candidates.iter().map(|(_, w)| w).sum();
        if total == 0 {
            // A foreign route no listed airline is based at; the unit test
            // keeps the route list from having one.
            return 0;
        }
        let mut ticket = self.rng.gen_range(0..total);
        for (i, weight) in candidates {
            if ticket < weight {
                return i;
            }
            ticket -= weight;
        }
        unreachable!("the ticket is below the total weight")
    }

    fn pick_aircraft(&mut self, airline: &str, distance: f64, domestic: bool) -> &'static str {
        let coin = self.rng.gen_bool(0.5);
        if is_indian_carrier(airline) {
            if domestic && distance < 600.0 && self.rng.gen_bool(0.4) {
                "AT76"
            } else if distance <= 4500.0 {
                match airline {
                    "AI" if coin => "A21N",
                    "AI" => "A20N",
                    "6E" if self.rng.gen_bool(0.35) => "A21N",
                    "6E" => "A20N",
                    _ => "B38M",
                }
            } else if self.rng.gen_bool(0.6) {
                "B788"
            } else {
                "B77W"
            }
        } else if distance <= 3000.0 {
            match airline {
                "BA" | "AF" | "LH" | "KL" | "DL" | "UA" | "AC" | "QF" => "A21N",
                _ => "B788",
            }
        } else if distance <= 7000.0 {
            if coin {
                "B788"
            } else {
                "A359"
            }
        } else if coin {
            "B77W"
        } else {
            "A359"
        }
    }
}

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

    /// A synthetic network for benchmarks: the real airports plus synthetic
    /// ones up to `airport_count`, twenty interconnected hubs and every other
    /// airport linked to two or three hubs, `flights_per_day` flights a day.
    pub fn bench(airport_count: u32, flights_per_day: u32) -> anyhow::Result<Network> {
        let mut rng = StdRng::seed_from_u64(BENCH_NETWORK_SEED);
        let mut airports: Vec<Airport> = AIRPORTS.iter().map(Airport::real).collect();
        let wanted = (airport_count as usize).max(airports.len());
        let mut codes = synthetic_codes(&airports);
        let region_weights: u32 = BENCH_REGIONS.iter().map(|r| r.5).sum();
        while airports.len() < wanted {
            let code = codes.next().context("no three-letter codes left for synthetic airports")?;
            let mut ticket = rng.gen_range(0..region_weights);
            let region = BENCH_REGIONS
                .iter()
                .find(|r| {
                    let hit = ticket < r.5;
                    ticket = ticket.saturating_sub(r.5);
                    hit
                })
                .expect("the ticket is below the total weight");
            let (time_zone, country, lat, lon, spread, _) = *region;
            airports.push(Airport {
                name: format!("Synthetic Airport {code}"),
                city: format!("Synthetic City {code}"),
                code,
                country: country.into(),
                time_zone,
                lat: lat + rng.gen_range(-spread..spread),
                lon: lon + rng.gen_range(-spread..spread),
                min_connection_minutes: 40,
                min_connection_minutes_international: 90,
            });
        }

        let index = index_by_code(&airports);
        let hubs: Vec<usize> = BENCH_HUBS.iter().map(|code| index[code]).collect();
        // (origin, destination, weight): both directions of a link share a weight.
        let mut routes: Vec<(usize, usize, f64)> = Vec::new();
        for (i, &a) in hubs.iter().enumerate() {
            for &b in &hubs[i + 1..] {
                let busiest = [a, b] == [index["DEL"], index["BOM"]];
                let weight = 8.0 * rng.gen_range(0.6..1.4) * if busiest { 4.0 } else { 1.0 };
                routes.push((a, b, weight));
                routes.push((b, a, weight));
            }
        }
        for airport in 0..airports.len() {
            let real = airport < AIRPORTS.len();
            if hubs.contains(&airport) {
                continue;
            }
            let linked: Vec<usize> = match AIRPORTS.get(airport).map(|a| a.role) {
                // Real Indian spokes keep their demo hubs, so the benchmark's
                // 1- and 2-stop pairs are the same as the demo's.
                Some(Role::Spoke { hubs, .. }) => hubs.iter().map(|code| index[code]).collect(),
                _ => {
                    let mut by_distance = hubs.clone();
                    let here = airports[airport].position();
                    by_distance.sort_by(|&x, &y| {
                        distance_km(here, airports[x].position()).total_cmp(&distance_km(here, airports[y].position()))
                    });
                    by_distance.truncate(rng.gen_range(2..=3));
                    by_distance
                }
            };
            for hub in linked {
                let weight = rng.gen_range(0.5..1.5) * if real { 2.0 } else { 1.0 };
                routes.push((airport, hub, weight));
                routes.push((hub, airport, weight));
            }
        }

        let capacity = AIRLINES.len() * usize::from(LAST_FLIGHT_NUMBER - FIRST_GENERATED_NUMBER + 1);
        if flights_per_day as usize > capacity {
            bail!("at most {capacity} flights a day fit the airlines' flight numbers");
        }
        if (flights_per_day as usize) < routes.len() {
            bail!("{} airports make {} routes: ask for at least that many flights a day", airports.len(), routes.len());
        }
        let frequencies = apportion(flights_per_day, &routes);
        let mut builder = Builder::new(&airports, BENCH_SCHEDULE_SEED, Carriers::RoundRobin);
        for (&(origin, destination, _), per_day) in routes.iter().zip(frequencies) {
            builder.route(origin, destination, per_day)?;
        }
        let slots = builder.slots;
        Ok(Network { airports, slots })
    }

    /// The flights of `date` (the origin's local date), with that date's fares.
    pub fn flights_on<'a>(
        &'a self,
        date: NaiveDate,
        seats: &'a SeatCounts,
    ) -> impl Iterator<Item = anyhow::Result<FlightRow<'a>>> + 'a {
        let mut rng = StdRng::seed_from_u64(date_seed(date));
        self.slots.iter().map(move |slot| self.flight(slot, date, seats, &mut rng))
    }

    pub fn flight<'a>(
        &'a self,
        slot: &Slot,
        date: NaiveDate,
        seats: &SeatCounts,
        rng: &mut StdRng,
    ) -> anyhow::Result<FlightRow<'a>> {
        let origin = &self.airports[slot.origin];
        let departs_at = local_to_utc(origin.time_zone, date, slot.departs_minute);
        let cabins =
            seats.get(slot.aircraft).with_context(|| format!("aircraft type {} has no layout", slot.aircraft))?;
        // Drawn even for a fixed fare so every slot takes the same draws.
        let day_factor = rng.gen_range(0.85..1.3);
        let economy_inr = match slot.fixed_economy_paise {
            Some(paise) => paise as f64 / 100.0,
            None => slot.base_fare_inr * day_factor,
        };
        let premium_factor = 1.6 * rng.gen_range(0.95..1.05);
        let business_factor = rng.gen_range(3.0..4.0);
        let first_factor = rng.gen_range(6.0..8.0);
        let mut row = FlightRow {
            airline: AIRLINES[slot.airline].code,
            flight_number: format!("{}{}", AIRLINES[slot.airline].code, slot.number),
            origin: &origin.code,
            destination: &self.airports[slot.destination].code,
            departs_at,
            arrives_at: departs_at + Duration::minutes(i64::from(slot.duration_minutes)),
            aircraft: slot.aircraft,
            cabins: Vec::with_capacity(cabins.len()),
            amounts: Vec::with_capacity(cabins.len()),
            seats: Vec::with_capacity(cabins.len()),
        };
        for &(cabin, count) in cabins {
            let inr = economy_inr
                * match cabin {
                    Cabin::Economy => 1.0,
                    Cabin::PremiumEconomy => premium_factor,
                    Cabin::Business => business_factor,
                    Cabin::First => first_factor,
                };
            row.cabins.push(cabin.as_str());
            row.amounts.push(inr.round() as i64 * 100);
            row.seats.push(count);
        }
        Ok(row)
    }
}

/// Splits `total` flights over the routes by weight, at least one each
/// (largest remainder, so the sum is exact).
fn apportion(total: u32, routes: &[(usize, usize, f64)]) -> Vec<u32> {
    let spare = f64::from(total) - routes.len() as f64;
    let weight: f64 = routes.iter().map(|r| r.2).sum();
    let shares: Vec<f64> = routes.iter().map(|r| spare * r.2 / weight).collect();
    let mut counts: Vec<u32> = shares.iter().map(|s| 1 + s.floor() as u32).collect();
    let mut left = total - counts.iter().sum::<u32>();
    let mut by_remainder: Vec<usize> = (0..routes.len()).collect();
    by_remainder
        .sort_by(|&a, &b| (shares[b] - shares[b].floor()).total_cmp(&(shares[a] - shares[a].floor())).then(a.cmp(&b)));
    for i in by_remainder.into_iter().cycle() {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts
}

/// Three-letter codes no real airport of the seed uses, from ZZZ downwards.
fn synthetic_codes(real: &[Airport]) -> impl Iterator<Item = String> {
    let taken: std::collections::HashSet<String> = real.iter().map(|a| a.code.clone()).collect();
    let letters = || (b'A'..=b'Z').rev();
    letters()
        .flat_map(move |a| letters().flat_map(move |b| letters().map(move |c| [a, b, c])))
        .map(|code| String::from_utf8_lossy(&code).into_owned())
        .filter(move |code| !taken.contains(code))
}

/// A local wall-clock time on a local date, in UTC. A time skipped by a
/// daylight-saving change moves an hour later; a repeated one takes the first.
pub fn local_to_utc(zone: Tz, date: NaiveDate, minute: u16) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0).expect("a minute of the day");
    let local = date.and_time(time);
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(local + Duration::hours(1))).earliest())
        .expect("an hour after a skipped time exists")
        .with_timezone(&Utc)
}

/// The fare RNG's seed for a date: stable across runs and Rust versions.
fn date_seed(date: NaiveDate) -> u64 {
    use chrono::Datelike;
    // splitmix64: neighbouring dates get unrelated seeds.
    let mut z = (date.num_days_from_ce() as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn demo_schedule_is_busy_and_numbers_are_unique() {
        let network = Network::demo().unwrap();
        assert!(network.slots.len() >= 2500, "{}", network.slots.len());
        let numbers: HashSet<_> = network.slots.iter().map(|s| (s.airline, s.number)).collect();
        assert_eq!(numbers.len(), network.slots.len());
        let first = &network.slots[0];
        assert_eq!((AIRLINES[first.airline].code, first.number), ("AI", 101));
    }

    #[test]
    fn bench_schedule_hits_the_requested_size() {
        let network = Network::bench(600, 50_000).unwrap();
        assert_eq!(network.airports.len(), 600);
        assert_eq!(network.slots.len(), 50_000);
        let codes: HashSet<_> = network.airports.iter().map(|a| &a.code).collect();
        assert_eq!(codes.len(), 600);
        assert!(network.airports.iter().all(|a| a.code.len() == 3 && a.code.bytes().all(|b| b.is_ascii_uppercase())));
    }

    #[test]
    fn a_date_always_gets_the_same_flights_and_only_fares_vary_by_date() {
        let network = Network::demo().unwrap();
        let seats: SeatCounts = reference::aircraft_types()
            .into_iter()
            .map(|a| {
                let cabins = Cabin::ALL
                    .into_iter()
                    .map(|c| (c, a.layout.seat_count(c) as i32))
                    .filter(|(_, n)| *n > 0)
                    .collect();
                (a.code.to_string(), cabins)
            })
            .collect();
        let day = NaiveDate::from_ymd_opt(2025, 8, 5).unwrap();
        let flights = |date| {
            network
                .flights_on(date, &seats)
                .map(|f| {
                    let f = f.unwrap();
                    (f.flight_number, f.departs_at, f.amounts)
                })
                .collect::<Vec<_>>()
        };
        let (first, again, next) = (flights(day), flights(day), flights(day.succ_opt().unwrap()));
        assert_eq!(first, again);
        let shifted = |f: &(String, DateTime<Utc>, Vec<i64>)| (f.0.clone(), f.1 + Duration::days(1));
        assert!(first.iter().map(shifted).eq(next.iter().map(|f| (f.0.clone(), f.1))));
        assert_ne!(first.iter().map(|f| &f.2).collect::<Vec<_>>(), next.iter().map(|f| &f.2).collect::<Vec<_>>());
        assert_eq!(first[0].2, [WALKTHROUGH_ECONOMY_PAISE]);
        assert_eq!(next[0].2, [WALKTHROUGH_ECONOMY_PAISE]);
    }

    #[test]
    fn every_international_route_has_a_carrier() {
        let network = Network::demo().unwrap();
        let mut builder = Builder::new(&network.airports, 1, Carriers::Realistic);
        let index = index_by_code(&network.airports);
        for &(a, b, _) in INTERNATIONAL {
            let (a, b) = (index[a], index[b]);
            let domestic = builder.domestic(a, b);
            let distance = builder.distance(a, b);
            let airline = AIRLINES[builder.pick_airline(a, b, distance, domestic)].code;
            let (a, b) = (&network.airports[a], &network.airports[b]);
            let based = AIRLINES.iter().any(|x| {
                x.code == airline && (x.bases.contains(&a.code.as_str()) || x.bases.contains(&b.code.as_str()))
            });
            assert!(based || a.country == "IN" || b.country == "IN", "{}-{} flown by {airline}", a.code, b.code);
        }
    }

    #[test]
    fn local_times_survive_daylight_saving_changes() {
        let spring = NaiveDate::from_ymd_opt(2025, 3, 30).unwrap();
        let t = local_to_utc(Tz::Europe__London, spring, 60 + 30);
        assert_eq!(t.to_rfc3339(), "2025-03-30T01:30:00+00:00");
        let kolkata = local_to_utc(Tz::Asia__Kolkata, spring, 9 * 60);
        assert_eq!(kolkata.to_rfc3339(), "2025-03-30T03:30:00+00:00");
    }

    #[test]
    fn block_times_round_to_five_minutes() {
        assert_eq!(block_minutes(0.0), 30);
        assert_eq!(block_minutes(1150.0), 115);
    }
}
