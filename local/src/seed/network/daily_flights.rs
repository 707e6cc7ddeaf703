//! A date's flights: every slot placed on the origin's local date, with
//! that date's fares drawn from an RNG seeded by the date alone.

use super::super::reference::AIRLINES;
use super::{FlightRow, Network, SeatCounts, Slot};
use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::domain::seating::Cabin;

impl Network {
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
