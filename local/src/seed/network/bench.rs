//! The synthetic benchmark network: the real airports plus synthetic ones
//! scattered over weighted regions, twenty interconnected hubs, and the
//! flights a day apportioned over the routes by weight.

use super::super::reference::{distance_km, Role, AIRLINES, AIRPORTS};
use super::builder::{Builder, Carriers, FIRST_GENERATED_NUMBER, LAST_FLIGHT_NUMBER};
use super::{index_by_code, Airport, Network};
use anyhow::{bail, Context};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The benchmark's airports and links, and its timetable, draw from
/// separate streams so resizing one does not reshuffle the other.
const BENCH_NETWORK_SEED: u64 = 0x5eed_be4c_0001;
const BENCH_SCHEDULE_SEED: u64 = 0x5eed_be4c_0002;

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

impl Network {
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
