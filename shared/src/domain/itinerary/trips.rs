//! Trips of several slices (a round trip, a multi-city journey): the best
//! combinations of each slice's itineraries in which every slice leaves
//! after the previous one arrives.
//!
//! Each slice is searched on its own (its best itineraries in the slice's
//! order, [`slice_order`]); combinations are then enumerated best first
//! from the slices' sorted lists (a heap over index tuples: the trip's
//! leading key never falls as any index grows), skipping those whose
//! slices do not follow each other, until `limit` are found and no tuple
//! left can tie the last one. A slice's list may be truncated (its search
//! kept only its best `n`); a trip using an itinerary beyond it ranks no
//! better than one using the list's last, so the result is exact when its
//! last trip ranks strictly before that bound. When it does not,
//! [`Combined::grow`] names the slices whose lists must be longer.

use super::ranking::best_score;
use super::{Itinerary, SortOrder};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

/// At most this many index tuples are examined per combination; beyond it
/// (only when most combinations break the order, e.g. a same-day return
/// after long outbound flights), the trips found so far are the answer.
pub const MAX_TUPLES_EXAMINED: usize = 400_000;

/// The order slice `index` of a trip sorted by `sort` is searched in: the
/// first slice leads a departure-ordered trip, the others only add price.
pub fn slice_order(sort: SortOrder, index: usize) -> SortOrder {
    match sort {
        SortOrder::Departure if index > 0 => SortOrder::Price,
        other => other,
    }
}

/// One slice's best itineraries, in [`slice_order`], and whether the list
/// holds every itinerary the slice has (its search found fewer than asked).
pub struct SliceList<'a> {
    pub itineraries: Vec<Itinerary<'a>>,
    pub complete: bool,
}

#[derive(Clone, Debug)]
pub struct Trip<'a> {
    pub slices: Vec<Itinerary<'a>>,
}

impl Trip<'_> {
    /// One adult, every slice, minor units.
    pub fn price_per_passenger(&self) -> i64 {
        self.slices.iter().map(|s| s.price_per_passenger).sum()
    }

    /// Time in the air and on the ground, summed over the slices (the days
    /// between them are not travel).
    pub fn duration_secs(&self) -> i64 {
        self.slices.iter().map(|s| s.arrives_at() - s.departs_at()).sum()
    }

    pub fn departs_at(&self) -> i64 {
        self.slices[0].departs_at()
    }

    pub fn arrives_at(&self) -> i64 {
        self.slices[self.slices.len() - 1].arrives_at()
    }

    /// The slices' ids joined by `_`.
    pub fn id(&self) -> String {
        self.slices.iter().map(Itinerary::id).collect::<Vec<_>>().join("_")
    }

    /// The trip's place in `sort`: leading pair, then a total tie-break.
    fn key(&self, sort: SortOrder) -> (i64, i64, i64, Vec<i64>) {
        let (first, second) = lead(sort, self.slices.iter());
        let ids = self.slices.iter().flat_map(|s| s.legs.iter().map(|l| l.id)).collect();
        (first, second, self.departs_at(), ids)
    }
}

/// The leading pair of a trip's key; non-decreasing in every slice's
/// position in its [`slice_order`] list.
fn lead<'i, 'a: 'i>(sort: SortOrder, slices: impl Iterator<Item = &'i Itinerary<'a>>) -> (i64, i64) {
    let (mut price, mut secs, mut first_departure) = (0, 0, None);
    for slice in slices {
        price += slice.price_per_passenger;
        secs += slice.arrives_at() - slice.departs_at();
        first_departure.get_or_insert(slice.departs_at());
    }
    match sort {
        SortOrder::Price => (price, secs),
        SortOrder::Duration => (secs, price),
        SortOrder::Departure => (first_departure.unwrap_or(0), price),
        SortOrder::Best => (best_score(price, secs), price),
    }
}

/// The best trips found, in order, and the slices whose lists must grow
/// before they are known to be the best (empty: exact).
pub struct Combined<'a> {
    pub trips: Vec<Trip<'a>>,
    pub grow: Vec<usize>,
}

/// The best `limit` trips taking one itinerary from each list, where
/// `follows(previous, next)` holds for consecutive slices and `admits`
/// for the whole trip.
pub fn combine<'a>(
    lists: &[SliceList<'a>],
    sort: SortOrder,
    limit: usize,
    follows: impl Fn(&Itinerary<'a>, &Itinerary<'a>) -> bool,
    admits: impl Fn(&[&Itinerary<'a>]) -> bool,
) -> Combined<'a> {
    if limit == 0 || lists.is_empty() || lists.iter().any(|l| l.itineraries.is_empty()) {
        // An empty complete list has no trip; an empty truncated one cannot be.
        return Combined { trips: Vec::new(), grow: Vec::new() };
    }
    let lead_of = |tuple: &[usize]| lead(sort, tuple.iter().zip(lists).map(|(i, l)| &l.itineraries[*i]));
    // Every trip using an itinerary beyond truncated list `s` ranks at
    // least `bounds[s]`.
    let bounds: Vec<Option<(i64, i64)>> = lists
        .iter()
        .enumerate()
        .map(|(s, list)| {
            (!list.complete).then(|| {
                let mut tuple = vec![0; lists.len()];
                tuple[s] = list.itineraries.len() - 1;
                lead_of(&tuple)
            })
        })
        .collect();
    let lowest_bound = bounds.iter().flatten().min().copied();

    let start = vec![0; lists.len()];
    let mut heap = BinaryHeap::from([Reverse((lead_of(&start), start.clone()))]);
    let mut seen: HashSet<Vec<usize>> = HashSet::from([start]);
    let mut found: Vec<(Vec<usize>, (i64, i64))> = Vec::new();
    let mut grow = Vec::new();
    let mut examined = 0;
    while let Some(Reverse((key, tuple))) = heap.pop() {
        if found.len() >= limit && key > found[limit - 1].1 {
            break;
        }
        if lowest_bound.is_some_and(|bound| key >= bound) {
            // From here on a trip beyond a truncated list could rank as well.
            grow = needing(&bounds, key);
            break;
        }
        examined += 1;
        if examined > MAX_TUPLES_EXAMINED {
            break;
        }
        let trip = tuple.iter().zip(lists).map(|(i, l)| &l.itineraries[*i]).collect::<Vec<_>>();
        if trip.windows(2).all(|pair| follows(pair[0], pair[1])) && admits(&trip) {
            found.push((tuple.clone(), key));
        }
        for s in 0..lists.len() {
            if tuple[s] + 1 < lists[s].itineraries.len() {
                let mut next = tuple.clone();
                next[s] += 1;
                if seen.insert(next.clone()) {
                    heap.push(Reverse((lead_of(&next), next)));
                }
            }
        }
    }
    if heap.is_empty() && found.len() < limit && grow.is_empty() {
        // Every combination of the lists was examined and there are fewer
        // than asked: longer truncated lists may hold more.
        grow = (0..lists.len()).filter(|s| !lists[*s].complete).collect();
    }
    let mut trips: Vec<Trip<'a>> = found
        .into_iter()
        .map(|(tuple, _)| Trip { slices: tuple.iter().zip(lists).map(|(i, l)| l.itineraries[*i].clone()).collect() })
        .collect();
    trips.sort_by_cached_key(|t| t.key(sort));
    trips.truncate(limit);
    Combined { trips, grow }
}

/// The truncated lists whose bound the enumeration has reached.
fn needing(bounds: &[Option<(i64, i64)>], key: (i64, i64)) -> Vec<usize> {
    bounds.iter().enumerate().filter(|(_, b)| b.is_some_and(|b| b <= key)).map(|(s, _)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seating::Cabin;
    use crate::domain::timetable::{utc_day, DayTable, Network, NewFlight, ScheduledFlight};
    use rand::{Rng, SeedableRng};

    const T0: i64 = 1_893_456_000;

    /// Random one-leg itineraries for `slices` slices, slice `s` departing
    /// around day `s`.
    fn tables(rng: &mut impl Rng, network: &Network, slices: usize) -> Vec<Vec<DayTable>> {
        (0..slices)
            .map(|s| {
                let flights: Vec<NewFlight> = (0..rng.gen_range(1..25))
                    .map(|n| {
                        let departs = T0 + (s as i64) * 30_000 + rng.gen_range(0..60_000) / 600 * 600;
                        NewFlight {
                            id: (s as i64 + 1) * 1000 + n,
                            flight_number: format!("XY{n}"),
                            airline: "XY".into(),
                            aircraft: "A320".into(),
                            origin: 0,
                            destination: 1,
                            departs_at: departs,
                            arrives_at: departs + rng.gen_range(6..40) * 600,
                            cabins: vec![(Cabin::Economy, rng.gen_range(1..8) * 1000, "INR".into(), 10)],
                        }
                    })
                    .collect();
                let days: std::collections::BTreeSet<i64> = flights.iter().map(|f| utc_day(f.departs_at)).collect();
                days.into_iter().map(|d| DayTable::build(d, flights.clone(), network, T0)).collect()
            })
            .collect()
    }

    fn universe<'a>(tables: &'a [DayTable], sort: SortOrder) -> Vec<Itinerary<'a>> {
        let mut all: Vec<&ScheduledFlight> = tables.iter().flat_map(|t| t.flights()).collect();
        all.sort_by_key(|f| f.id);
        all.dedup_by_key(|f| f.id);
        let mut found: Vec<Itinerary<'a>> = all
            .into_iter()
            .map(|f| Itinerary {
                legs: vec![f],
                price_per_passenger: f.fare(Cabin::Economy).unwrap().amount,
                currency: *b"INR",
            })
            .collect();
        found.sort_by_key(|i| sort.key(i.price_per_passenger, i.departs_at(), i.arrives_at(), [i.legs[0].id, 0, 0]));
        found
    }

    #[test]
    fn combinations_equal_brute_force_whatever_the_lists_hold() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let mut network = Network::default();
        network.add_airport("AAA", "IN", 45, 90);
        network.add_airport("BBB", "IN", 45, 90);
        let follows = |a: &Itinerary, b: &Itinerary| b.departs_at() >= a.arrives_at() + 3600;
        for round in 0..60 {
            let slices = rng.gen_range(2..=4);
            let tables = tables(&mut rng, &network, slices);
            for sort in [SortOrder::Price, SortOrder::Duration, SortOrder::Departure, SortOrder::Best] {
                let universes: Vec<Vec<Itinerary>> =
                    tables.iter().enumerate().map(|(s, t)| universe(t, slice_order(sort, s))).collect();
                let limit = rng.gen_range(1..40);
                // Every other round, a cap on the trip's price.
                let cap = if round % 2 == 0 { i64::MAX } else { rng.gen_range(4..20) * 1000 };
                let admits = |trip: &[&Itinerary]| trip.iter().map(|s| s.price_per_passenger).sum::<i64>() <= cap;
                let mut expected: Vec<Trip> = Vec::new();
                let mut tuple = vec![0; slices];
                'all: loop {
                    let trip = Trip { slices: tuple.iter().zip(&universes).map(|(i, u)| u[*i].clone()).collect() };
                    let chosen: Vec<&Itinerary> = trip.slices.iter().collect();
                    if trip.slices.windows(2).all(|p| follows(&p[0], &p[1])) && admits(&chosen) {
                        expected.push(trip);
                    }
                    for s in 0..slices {
                        tuple[s] += 1;
                        if tuple[s] < universes[s].len() {
                            continue 'all;
                        }
                        tuple[s] = 0;
                    }
                    break;
                }
                expected.sort_by_cached_key(|t| t.key(sort));
                expected.truncate(limit);

                let mut lengths: Vec<usize> = (0..slices).map(|_| rng.gen_range(1..6)).collect();
                let got = loop {
                    let lists: Vec<SliceList> = universes
                        .iter()
                        .zip(&lengths)
                        .map(|(u, n)| SliceList {
                            itineraries: u[..(*n).min(u.len())].to_vec(),
                            complete: *n >= u.len(),
                        })
                        .collect();
                    let combined = combine(&lists, sort, limit, follows, admits);
                    if combined.grow.is_empty() {
                        break combined.trips;
                    }
                    for s in combined.grow {
                        assert!(!lists[s].complete, "only a truncated list is asked to grow");
                        lengths[s] *= 2;
                    }
                };
                let ids = |trips: &[Trip]| trips.iter().map(Trip::id).collect::<Vec<_>>();
                assert_eq!(ids(&got), ids(&expected), "round {round}, {sort:?}, limit {limit}");
            }
        }
    }
}
