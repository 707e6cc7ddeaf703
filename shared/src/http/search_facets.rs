//! The facets of a search answer, as a traveller narrows a list: airlines
//! and stop counts with their cheapest price and how many offers have them,
//! the price range, and per slice how many leave in each part of the day
//! (local time at the slice's origin). Counted over the result without the
//! request's filters, so narrowing never hides the other choices.

use crate::domain::itinerary::Itinerary;
use crate::domain::money::Money;
use crate::service::search::SearchRequest;
use crate::store::timetable::Snapshot;
use crate::ApiError;
use chrono::{DateTime, Timelike, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// The parts of the day departures are counted in.
const BUCKETS: [(u32, u32, &str, &str); 4] =
    [(0, 6, "00:00", "06:00"), (6, 12, "06:00", "12:00"), (12, 18, "12:00", "18:00"), (18, 24, "18:00", "24:00")];

#[derive(Serialize)]
struct AirlineFacet {
    code: String,
    name: Option<String>,
    count: usize,
    cheapest: Money,
}

#[derive(Serialize)]
struct StopsFacet {
    stops: usize,
    count: usize,
    cheapest: Money,
}

#[derive(Serialize)]
struct PriceRange {
    min: Money,
    max: Money,
}

#[derive(Serialize)]
struct Bucket {
    from: &'static str,
    to: &'static str,
    count: usize,
}

#[derive(Serialize)]
struct SliceDepartures {
    slice: usize,
    buckets: Vec<Bucket>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Facets {
    airlines: Vec<AirlineFacet>,
    stops: Vec<StopsFacet>,
    price: Option<PriceRange>,
    departure_times: Vec<SliceDepartures>,
}

/// The facets of `offers` (each an offer's slices), written as JSON.
pub fn write_facets(
    offers: &[&[Itinerary<'_>]],
    snapshot: &Snapshot,
    request: &SearchRequest,
) -> Result<String, ApiError> {
    let query = &request.query;
    let network = &snapshot.network;
    let mut airlines: BTreeMap<u32, (usize, i64, String)> = BTreeMap::new();
    let mut stops: BTreeMap<usize, (usize, i64, String)> = BTreeMap::new();
    let mut price: Option<(i64, i64, String)> = None;
    let mut buckets = vec![[0usize; 4]; query.slices.len()];
    let count = |entry: &mut (usize, i64, String), total: i64, currency: &str| {
        entry.0 += 1;
        if total < entry.1 {
            entry.1 = total;
            entry.2 = currency.to_string();
        }
    };
    for offer in offers {
        let currency = std::str::from_utf8(&offer[0].currency).unwrap_or("XXX");
        let total = query.travellers.total(offer.iter().map(|s| s.price_per_passenger).sum());
        let mut ids: Vec<u32> = offer.iter().flat_map(|s| s.legs.iter().map(|l| l.airline)).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            count(airlines.entry(id).or_insert((0, i64::MAX, String::new())), total, currency);
        }
        let most_stops = offer.iter().map(Itinerary::stops).max().unwrap_or(0);
        count(stops.entry(most_stops).or_insert((0, i64::MAX, String::new())), total, currency);
        price = Some(match price {
            None => (total, total, currency.to_string()),
            Some((low, high, c)) => (low.min(total), high.max(total), c),
        });
        for (slice, itinerary) in offer.iter().enumerate() {
            let code = network.airport_code(itinerary.legs[0].origin);
            let tz = snapshot.directory.airports.get(code).map_or(chrono_tz::UTC, |a| a.time_zone);
            let hour = DateTime::<Utc>::from_timestamp(itinerary.departs_at(), 0)
                .unwrap_or_default()
                .with_timezone(&tz)
                .hour();
            if let Some(index) = BUCKETS.iter().position(|(from, to, _, _)| (*from..*to).contains(&hour)) {
                if let Some(slice_buckets) = buckets.get_mut(slice) {
                    slice_buckets[index] += 1;
                }
            }
        }
    }
    let mut airlines: Vec<AirlineFacet> = airlines
        .into_iter()
        .map(|(id, (count, cheapest, currency))| {
            let code = network.name(id).to_string();
            AirlineFacet {
                name: snapshot.directory.airlines.get(&code).cloned(),
                code,
                count,
                cheapest: Money::new(cheapest, &currency),
            }
        })
        .collect();
    airlines.sort_by_key(|a| (a.cheapest.amount, a.code.clone()));
    let facets = Facets {
        airlines,
        stops: stops
            .into_iter()
            .map(|(stops, (count, cheapest, currency))| StopsFacet {
                stops,
                count,
                cheapest: Money::new(cheapest, &currency),
            })
            .collect(),
        price: price.map(|(low, high, currency)| PriceRange {
            min: Money::new(low, &currency),
            max: Money::new(high, &currency),
        }),
        departure_times: buckets
            .into_iter()
            .enumerate()
            .map(|(slice, counts)| SliceDepartures {
                slice,
                buckets: BUCKETS
                    .iter()
                    .zip(counts)
                    .map(|((_, _, from, to), count)| Bucket { from, to, count })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string(&facets).map_err(ApiError::internal)
}
