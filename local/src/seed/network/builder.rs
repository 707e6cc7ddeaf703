//! Routes into slots: how many a day, spread over the day, each with an
//! airline (who really flies such a route, or every airline in turn), a
//! flight number, an aircraft for the distance and a base fare.

use super::super::reference::{distance_km, is_indian_carrier, AIRLINES};
use super::{block_minutes, Airport, Slot};
use anyhow::ensure;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Numbers below this are left for hand-made flights such as AI101.
pub(super) const FIRST_GENERATED_NUMBER: u16 = 200;
pub(super) const LAST_FLIGHT_NUMBER: u16 = 9999;

#[derive(Clone, Copy)]
pub(super) enum Carriers {
    /// Who really flies such a route: Indian carriers at home, a base's
    /// carrier abroad.
    Realistic,
    /// Every airline in turn, which spreads a huge schedule over all the
    /// flight numbers there are.
    RoundRobin,
}

pub(super) struct Builder<'a> {
    airports: &'a [Airport],
    rng: StdRng,
    next_number: Vec<u16>,
    carriers: Carriers,
    turn: usize,
    pub slots: Vec<Slot>,
}

impl<'a> Builder<'a> {
    pub fn new(airports: &'a [Airport], seed: u64, carriers: Carriers) -> Self {
        Builder {
            airports,
            rng: StdRng::seed_from_u64(seed),
            next_number: vec![FIRST_GENERATED_NUMBER; AIRLINES.len()],
            carriers,
            turn: 0,
            slots: Vec::new(),
        }
    }

    pub fn distance(&self, origin: usize, destination: usize) -> f64 {
        distance_km(self.airports[origin].position(), self.airports[destination].position())
    }

    pub fn domestic(&self, origin: usize, destination: usize) -> bool {
        self.airports[origin].country == self.airports[destination].country
    }

    /// `per_day` departures from `origin` to `destination`, spread over the day.
    pub fn route(&mut self, origin: usize, destination: usize, per_day: u32) -> anyhow::Result<()> {
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

    pub fn pick_airline(&mut self, origin: usize, destination: usize, distance: f64, domestic: bool) -> usize {
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
