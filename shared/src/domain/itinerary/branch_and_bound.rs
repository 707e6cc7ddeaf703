//! The search itself: first legs from the origin on the date, then routes
//! out of the hubs they reach, then routes into the destination, each step
//! taken only while its lower bound can still enter the best kept.

use super::ranking::{Best, Bound};
use super::{Itinerary, SearchInput, MAX_LAYOVER_SECS};
use crate::domain::timetable::{AirportId, ScheduledFlight, TimetableView};

/// Whether `departing` can follow `arriving` at their shared airport: at
/// least the airport's minimum connection time (the international one when
/// either flight crosses a border), at most 24 h.
pub fn connects(view: &TimetableView<'_>, arriving: &ScheduledFlight, departing: &ScheduledFlight) -> bool {
    if arriving.destination != departing.origin {
        return false;
    }
    let network = view.network;
    let rules = network.rules(arriving.destination);
    let international = network.crosses_border(arriving.origin, arriving.destination)
        || network.crosses_border(departing.origin, departing.destination);
    let minimum = if international { rules.min_connection_minutes_international } else { rules.min_connection_minutes };
    let gap = departing.departs_at - arriving.arrives_at;
    gap >= i64::from(minimum) * 60 && gap <= MAX_LAYOVER_SECS
}

/// The best itineraries, in order. Days the view lacks are recorded in it
/// (`missing_days`); a result computed with days missing is incomplete.
pub fn search<'a>(view: &TimetableView<'a>, input: &SearchInput) -> Vec<Itinerary<'a>> {
    let network = view.network;
    let (origin, destination, cabin) = (input.origin, input.destination, input.cabin);
    let filters = &input.filters;
    let sellable = |f: &ScheduledFlight| f.looks_sellable(cabin, input.passengers, input.now) && filters.allows_leg(f);
    let joins = |a: &ScheduledFlight, b: &ScheduledFlight| connects(view, a, b) && filters.allows_layover(a, b);
    let offer = |best: &mut Best<'a>, legs: &[&'a ScheduledFlight]| {
        if filters.admits(legs, cabin) {
            best.offer(legs);
        }
    };
    let shortest_connection = |airport: AirportId| network.rules(airport).shortest_connection_secs();
    let mut best = Best::new(input.limit, input.sort, cabin);

    // Every day a later leg could depart on must be in the view, or the
    // bounds below would miss routes: leg k+1 departs within 24 h of leg
    // k's arrival, and no flight is longer than the longest one departing
    // by then.
    let mut latest = input.departs_until;
    for _ in 0..input.max_stops {
        latest += view.longest_flight_secs(input.departs_from, latest) + MAX_LAYOVER_SECS + 1;
    }
    view.require(input.departs_from, latest);
    if !view.missing_days().is_empty() {
        return Vec::new();
    }

    let firsts: Vec<&ScheduledFlight> =
        view.departures(origin, input.departs_from, input.departs_until).filter(|f| sellable(f)).collect();
    // For each airport with a route into the destination: cheapest fare and
    // shortest flight time of a last leg from there.
    let last_leg = if input.max_stops >= 1 { view.bounds_into(destination, cabin) } else { Vec::new() };
    let fare_of = |f: &ScheduledFlight| f.fare(cabin).map_or(i64::MAX / 4, |fare| fare.amount);

    for f1 in &firsts {
        if f1.destination == destination {
            offer(&mut best, &[f1]);
            continue;
        }
        let hub = f1.destination;
        let Some(Some((fare, secs))) = last_leg.get(usize::from(hub)) else { continue };
        let bound = Bound {
            price: fare_of(f1) + fare,
            departs: f1.departs_at,
            arrives: f1.arrives_at + shortest_connection(hub) + secs,
        };
        if best.prunes(&bound) || filters.rules_out(bound.price, bound.departs, bound.arrives) {
            continue;
        }
        let (from, until) = (f1.arrives_at + shortest_connection(hub), f1.arrives_at + MAX_LAYOVER_SECS + 1);
        for f2 in view.route_departures(hub, destination, from, until) {
            if sellable(f2) && joins(f1, f2) {
                offer(&mut best, &[f1, f2]);
            }
        }
    }

    if input.max_stops >= 2 {
        // Cheapest fare and shortest time from arriving at a first hub to
        // the destination through a second hub, over every day of the view.
        let mut through: Vec<Option<Option<(i64, i64)>>> = vec![None; network.airport_count()];
        let mut two_more = |hub: AirportId| -> Option<(i64, i64)> {
            *through[usize::from(hub)].get_or_insert_with(|| {
                view.all_routes_from(hub)
                    .filter(|r| r.destination != origin && r.destination != destination)
                    .filter_map(|route| {
                        let (fare, secs) = last_leg[usize::from(route.destination)]?;
                        let route_fare = route.min_fare[cabin as usize];
                        (route_fare != i64::MAX).then(|| {
                            (route_fare + fare, route.min_secs + shortest_connection(route.destination) + secs)
                        })
                    })
                    .reduce(|(f1, s1), (f2, s2)| (f1.min(f2), s1.min(s2)))
                    .map(|(fare, secs)| (fare, secs + shortest_connection(hub)))
            })
        };
        let mut candidates: Vec<(Bound, &ScheduledFlight)> = firsts
            .iter()
            .filter(|f1| f1.destination != destination)
            .filter_map(|f1| {
                let (fare, secs) = two_more(f1.destination)?;
                Some((Bound { price: fare_of(f1) + fare, departs: f1.departs_at, arrives: f1.arrives_at + secs }, *f1))
            })
            .collect();
        candidates.sort_by_key(|(b, f1)| (input.sort.rank(b.price, b.departs, b.arrives), f1.id));

        for (bound, f1) in candidates {
            if best.prunes(&bound) {
                // Sorted by bound: no later first leg can do better.
                break;
            }
            if filters.rules_out(bound.price, bound.departs, bound.arrives) {
                continue;
            }
            let hub = f1.destination;
            let (from, until) = (f1.arrives_at + shortest_connection(hub), f1.arrives_at + MAX_LAYOVER_SECS + 1);
            for route in view.routes_from(hub, from, until) {
                let second_hub = route.route.destination;
                if second_hub == origin || second_hub == destination {
                    continue;
                }
                let Some((last_fare, last_secs)) = last_leg[usize::from(second_hub)] else { continue };
                let route_fare = route.route.min_fare[cabin as usize];
                if route_fare == i64::MAX {
                    continue;
                }
                let after_hub = shortest_connection(second_hub) + last_secs;
                let route_bound = Bound {
                    price: fare_of(f1) + route_fare + last_fare,
                    departs: f1.departs_at,
                    arrives: f1.arrives_at + shortest_connection(hub) + route.route.min_secs + after_hub,
                };
                if best.prunes(&route_bound)
                    || filters.rules_out(route_bound.price, route_bound.departs, route_bound.arrives)
                {
                    continue;
                }
                for f2 in route.departures(from, until) {
                    if !sellable(f2) || !joins(f1, f2) {
                        continue;
                    }
                    let bound = Bound {
                        price: fare_of(f1) + fare_of(f2) + last_fare,
                        departs: f1.departs_at,
                        arrives: f2.arrives_at + after_hub,
                    };
                    if best.prunes(&bound) || filters.rules_out(bound.price, bound.departs, bound.arrives) {
                        continue;
                    }
                    let (from3, until3) =
                        (f2.arrives_at + shortest_connection(second_hub), f2.arrives_at + MAX_LAYOVER_SECS + 1);
                    for f3 in view.route_departures(second_hub, destination, from3, until3) {
                        if sellable(f3) && joins(f2, f3) {
                            offer(&mut best, &[f1, f2, f3]);
                        }
                    }
                }
            }
        }
    }

    best.into_itineraries()
}
