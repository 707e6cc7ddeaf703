//! The schedule in memory, for search: one immutable table per UTC day of
//! departures, indexed by origin and by route (origin → destination), each
//! list sorted by departure. A search reads a few consecutive days through a
//! [`TimetableView`] and never touches the rest of the schedule.
//!
//! Static facts (times, routes, fares) are exact copies of Postgres at load
//! time; whether a flight can still be sold (status, seats left) is only a
//! *hint* here, refreshed by the store after every search from the rows of
//! the flights it is about to show. A hint may hide a flight that has freed
//! seats for at most [`SEATS_HINT_TTL_SECS`]; it never shows one that is
//! not sellable, because the store checks every shown flight first.

use super::seating::Cabin;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

pub type AirportId = u16;
pub const SECONDS_PER_DAY: i64 = 86_400;
/// How long "this cabin is full" keeps a flight out of search results
/// before it is tried (and checked against Postgres) again.
pub const SEATS_HINT_TTL_SECS: i64 = 60;

/// The UTC day (days since 1970-01-01) of a Unix time.
pub fn utc_day(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(SECONDS_PER_DAY)
}

/// What connection rules need to know about an airport.
#[derive(Clone, Debug, PartialEq)]
pub struct AirportRules {
    /// Index into the network's countries; equal ids = same country.
    pub country: u16,
    pub min_connection_minutes: i32,
    pub min_connection_minutes_international: i32,
}

impl AirportRules {
    /// The shortest connection this airport ever allows, for lower bounds.
    pub fn shortest_connection_secs(&self) -> i64 {
        i64::from(self.min_connection_minutes.min(self.min_connection_minutes_international)) * 60
    }
}

/// Airports by dense ids, so the hot loops of search compare small
/// integers instead of strings, and the interned names (flight numbers,
/// airlines, aircraft types) the day tables share.
#[derive(Debug, Default)]
pub struct Network {
    airport_codes: Vec<String>,
    airport_ids: HashMap<String, AirportId>,
    rules: Vec<AirportRules>,
    countries: HashMap<String, u16>,
    names: RwLock<Names>,
}

#[derive(Debug, Default)]
struct Names {
    all: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u32>,
}

impl Network {
    pub fn add_airport(&mut self, code: &str, country: &str, min_connection: i32, min_connection_intl: i32) {
        let next_country = self.countries.len() as u16;
        let country = *self.countries.entry(country.to_string()).or_insert(next_country);
        let id = self.airport_codes.len() as AirportId;
        self.airport_ids.insert(code.to_string(), id);
        self.airport_codes.push(code.to_string());
        self.rules.push(AirportRules {
            country,
            min_connection_minutes: min_connection,
            min_connection_minutes_international: min_connection_intl,
        });
    }

    pub fn airport(&self, code: &str) -> Option<AirportId> {
        self.airport_ids.get(code).copied()
    }

    pub fn airport_code(&self, id: AirportId) -> &str {
        &self.airport_codes[usize::from(id)]
    }

    pub fn airport_count(&self) -> usize {
        self.airport_codes.len()
    }

    pub fn rules(&self, id: AirportId) -> &AirportRules {
        &self.rules[usize::from(id)]
    }

    pub fn crosses_border(&self, from: AirportId, to: AirportId) -> bool {
        self.rules(from).country != self.rules(to).country
    }

    /// A flight number, airline or aircraft code as a small id; the same
    /// string always gets the same id.
    pub fn intern(&self, name: &str) -> u32 {
        if let Some(id) = self.names.read().unwrap_or_else(|e| e.into_inner()).ids.get(name) {
            return *id;
        }
        let mut names = self.names.write().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = names.ids.get(name) {
            return *id;
        }
        let id = names.all.len() as u32;
        let name: Arc<str> = Arc::from(name);
        names.all.push(name.clone());
        names.ids.insert(name, id);
        id
    }

    pub fn name(&self, id: u32) -> Arc<str> {
        self.names.read().unwrap_or_else(|e| e.into_inner()).all[id as usize].clone()
    }
}

/// The fare of one cabin: minor units and an ISO 4217 currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fare {
    pub amount: i64,
    pub currency: [u8; 3],
}

impl Fare {
    pub fn currency(&self) -> &str {
        std::str::from_utf8(&self.currency).unwrap_or("XXX")
    }
}

fn currency_code(code: &str) -> [u8; 3] {
    let mut bytes = [b'X'; 3];
    for (slot, byte) in bytes.iter_mut().zip(code.bytes()) {
        *slot = byte;
    }
    bytes
}

/// A flight as loaded for search.
#[derive(Clone, Debug, PartialEq)]
pub struct NewFlight {
    pub id: i64,
    pub flight_number: String,
    pub airline: String,
    pub aircraft: String,
    pub origin: AirportId,
    pub destination: AirportId,
    pub departs_at: i64,
    pub arrives_at: i64,
    /// Per cabin: fare, currency and seats left when loaded.
    pub cabins: Vec<(Cabin, i64, String, i32)>,
}

/// Whether a flight can still be sold, as last seen. Atomics so that
/// concurrent searches read and refresh it without locks.
#[derive(Debug)]
struct SaleState {
    open: AtomicBool,
    seats_left: [AtomicI32; 4],
    seen_at: AtomicI64,
}

#[derive(Debug)]
pub struct ScheduledFlight {
    pub id: i64,
    pub origin: AirportId,
    pub destination: AirportId,
    pub departs_at: i64,
    pub arrives_at: i64,
    pub fares: [Option<Fare>; 4],
    /// Interned flight number, airline code and aircraft type.
    pub flight_number: u32,
    pub airline: u32,
    pub aircraft: u32,
    /// Per cabin, this flight as a search result shows it (all but its
    /// seats left), written by the search page format (`http::search_page`)
    /// on first use: it cannot change while the day table lives.
    pub rendered: [std::sync::OnceLock<Box<str>>; 4],
    sale: SaleState,
}

impl ScheduledFlight {
    pub fn fare(&self, cabin: Cabin) -> Option<&Fare> {
        self.fares[cabin as usize].as_ref()
    }

    pub fn minutes(&self) -> i64 {
        (self.arrives_at - self.departs_at) / 60
    }

    /// Sellable to `passengers` in `cabin` at `now`, as far as this
    /// instance knows (the store checks Postgres before showing it).
    pub fn looks_sellable(&self, cabin: Cabin, passengers: i32, now: i64) -> bool {
        if self.departs_at <= now || self.fares[cabin as usize].is_none() || !self.sale.open.load(Ordering::Relaxed) {
            return false;
        }
        self.sale.seats_left[cabin as usize].load(Ordering::Relaxed) >= passengers
            || self.sale.seen_at.load(Ordering::Relaxed) + SEATS_HINT_TTL_SECS < now
    }

    /// Records what Postgres said about the flight at `now`.
    pub fn observe(&self, open: bool, cabin: Cabin, seats_left: i32, now: i64) {
        self.sale.open.store(open, Ordering::Relaxed);
        self.sale.seats_left[cabin as usize].store(seats_left, Ordering::Relaxed);
        self.sale.seen_at.store(now, Ordering::Relaxed);
    }

    pub fn seats_left(&self, cabin: Cabin) -> i32 {
        self.sale.seats_left[cabin as usize].load(Ordering::Relaxed)
    }
}

/// All flights of one route in a day, with the bounds search prunes by.
#[derive(Debug)]
pub struct Route {
    pub destination: AirportId,
    /// Indexes into the day's flights, by departure.
    flights: Vec<u32>,
    /// Cheapest fare per cabin over the route's flights (`i64::MAX`: none).
    pub min_fare: [i64; 4],
    pub min_secs: i64,
}

/// The departures of one UTC day.
#[derive(Debug)]
pub struct DayTable {
    pub day: i64,
    flights: Vec<ScheduledFlight>,
    /// The longest flight time of the day's departures.
    longest_secs: i64,
    /// Per origin airport: flight indexes by departure.
    by_origin: Vec<Vec<u32>>,
    /// Per origin airport: its routes, by destination.
    routes: Vec<Vec<Route>>,
    /// Per destination airport: (origin, index of the route in `routes[origin]`).
    into: Vec<Vec<(AirportId, u32)>>,
}

impl DayTable {
    /// Builds the day's indexes. Flights departing outside the day are
    /// refused: each day holds exactly its own departures.
    pub fn build(day: i64, mut flights: Vec<NewFlight>, network: &Network, seen_at: i64) -> DayTable {
        let airports = network.airport_count();
        flights.retain(|f| utc_day(f.departs_at) == day && usize::from(f.origin.max(f.destination)) < airports);
        flights.sort_by_key(|f| (f.departs_at, f.id));
        let mut table = DayTable {
            day,
            flights: Vec::with_capacity(flights.len()),
            longest_secs: flights.iter().map(|f| f.arrives_at - f.departs_at).max().unwrap_or(0),
            by_origin: vec![Vec::new(); airports],
            routes: (0..airports).map(|_| Vec::new()).collect(),
            into: vec![Vec::new(); airports],
        };
        let mut route_of: HashMap<(AirportId, AirportId), u32> = HashMap::new();
        for flight in flights {
            let mut fares = [None; 4];
            let seats_left = [AtomicI32::new(0), AtomicI32::new(0), AtomicI32::new(0), AtomicI32::new(0)];
            for (cabin, amount, currency, left) in &flight.cabins {
                fares[*cabin as usize] = Some(Fare { amount: *amount, currency: currency_code(currency) });
                seats_left[*cabin as usize].store(*left, Ordering::Relaxed);
            }
            let index = table.flights.len() as u32;
            let (origin, destination) = (flight.origin, flight.destination);
            table.by_origin[usize::from(origin)].push(index);
            let routes = &mut table.routes[usize::from(origin)];
            let route_index = *route_of.entry((origin, destination)).or_insert_with(|| {
                routes.push(Route { destination, flights: Vec::new(), min_fare: [i64::MAX; 4], min_secs: i64::MAX });
                routes.len() as u32 - 1
            });
            let route = &mut routes[route_index as usize];
            route.flights.push(index);
            route.min_secs = route.min_secs.min(flight.arrives_at - flight.departs_at);
            for (slot, fare) in route.min_fare.iter_mut().zip(&fares) {
                if let Some(fare) = fare {
                    *slot = (*slot).min(fare.amount);
                }
            }
            table.flights.push(ScheduledFlight {
                id: flight.id,
                origin,
                destination,
                departs_at: flight.departs_at,
                arrives_at: flight.arrives_at,
                fares,
                flight_number: network.intern(&flight.flight_number),
                airline: network.intern(&flight.airline),
                aircraft: network.intern(&flight.aircraft),
                rendered: Default::default(),
                sale: SaleState { open: AtomicBool::new(true), seats_left, seen_at: AtomicI64::new(seen_at) },
            });
        }
        for (origin, routes) in table.routes.iter_mut().enumerate() {
            routes.sort_by_key(|r| r.destination);
            for (i, route) in routes.iter().enumerate() {
                table.into[usize::from(route.destination)].push((origin as AirportId, i as u32));
            }
        }
        table
    }

    pub fn len(&self) -> usize {
        self.flights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flights.is_empty()
    }

    pub fn flights(&self) -> &[ScheduledFlight] {
        &self.flights
    }

    fn route(&self, origin: AirportId, destination: AirportId) -> Option<&Route> {
        let routes = self.routes.get(usize::from(origin))?;
        routes.binary_search_by_key(&destination, |r| r.destination).ok().map(|i| &routes[i])
    }

    /// The part of a by-departure index list departing in `[from, until)`.
    fn window<'a>(&'a self, list: &'a [u32], from: i64, until: i64) -> impl Iterator<Item = &'a ScheduledFlight> + 'a {
        let start = list.partition_point(|i| self.flights[*i as usize].departs_at < from);
        let end = list.partition_point(|i| self.flights[*i as usize].departs_at < until);
        list[start..end.max(start)].iter().map(move |i| &self.flights[*i as usize])
    }
}

/// A search's view of consecutive days. A lookup that needs a day the view
/// lacks yields nothing for it and records the day in `missing`; the store
/// loads those days and runs the search again.
pub struct TimetableView<'a> {
    pub network: &'a Network,
    first_day: i64,
    days: Vec<Option<&'a DayTable>>,
    missing: std::cell::RefCell<BTreeSet<i64>>,
}

impl<'a> TimetableView<'a> {
    /// `days` in any order; the view spans from the first to the last.
    pub fn new(network: &'a Network, days: &[&'a DayTable]) -> Self {
        let first_day = days.iter().map(|d| d.day).min().unwrap_or(0);
        let last_day = days.iter().map(|d| d.day).max().unwrap_or(-1);
        let mut slots: Vec<Option<&DayTable>> = vec![None; (last_day - first_day + 1).max(0) as usize];
        for day in days {
            slots[(day.day - first_day) as usize] = Some(day);
        }
        TimetableView { network, first_day, days: slots, missing: Default::default() }
    }

    /// Days that lookups needed but the view lacked.
    pub fn missing_days(&self) -> Vec<i64> {
        self.missing.borrow().iter().copied().collect()
    }

    fn days_of(&self, from: i64, until: i64) -> impl Iterator<Item = &'a DayTable> + '_ {
        let (first, last) = (utc_day(from), utc_day(until - 1));
        (first..=last).filter_map(move |day| {
            let slot = usize::try_from(day - self.first_day).ok().and_then(|i| self.days.get(i).copied().flatten());
            if slot.is_none() {
                self.missing.borrow_mut().insert(day);
            }
            slot
        })
    }

    /// The longest flight time among departures in `[from, until)`'s days.
    pub fn longest_flight_secs(&self, from: i64, until: i64) -> i64 {
        self.days_of(from, until).map(|d| d.longest_secs).max().unwrap_or(0)
    }

    /// Makes sure every day of `[from, until)` is in the view (those that
    /// are not are recorded as missing).
    pub fn require(&self, from: i64, until: i64) {
        self.days_of(from, until).for_each(drop);
    }

    /// Flights from `origin` departing in `[from, until)`, by departure.
    pub fn departures(
        &self,
        origin: AirportId,
        from: i64,
        until: i64,
    ) -> impl Iterator<Item = &'a ScheduledFlight> + '_ {
        self.days_of(from, until).flat_map(move |day| {
            let list = day.by_origin.get(usize::from(origin)).map(Vec::as_slice).unwrap_or(&[]);
            day.window(list, from, until)
        })
    }

    /// Flights of one route departing in `[from, until)`, by departure.
    pub fn route_departures(
        &self,
        origin: AirportId,
        destination: AirportId,
        from: i64,
        until: i64,
    ) -> impl Iterator<Item = &'a ScheduledFlight> + '_ {
        self.days_of(from, until).flat_map(move |day| {
            let list = day.route(origin, destination).map(|r| r.flights.as_slice()).unwrap_or(&[]);
            day.window(list, from, until)
        })
    }

    /// Routes out of `origin` on each day overlapping `[from, until)`; a
    /// route flown on two of those days comes once per day.
    pub fn routes_from(&self, origin: AirportId, from: i64, until: i64) -> impl Iterator<Item = RouteOnDay<'a>> + '_ {
        self.days_of(from, until).flat_map(move |day| {
            day.routes.get(usize::from(origin)).into_iter().flatten().map(move |route| RouteOnDay { day, route })
        })
    }

    /// Routes out of `origin` on any day of the view (for lower bounds).
    pub fn all_routes_from(&self, origin: AirportId) -> impl Iterator<Item = &'a Route> + '_ {
        self.days.iter().flatten().flat_map(move |day| day.routes.get(usize::from(origin)).into_iter().flatten())
    }

    /// For every airport with a route into `destination` on any day of the
    /// view: the cheapest fare in `cabin` and the shortest flight time.
    pub fn bounds_into(&self, destination: AirportId, cabin: Cabin) -> Vec<Option<(i64, i64)>> {
        let mut bounds: Vec<Option<(i64, i64)>> = vec![None; self.network.airport_count()];
        for day in self.days.iter().flatten() {
            for (origin, route) in day.into.get(usize::from(destination)).into_iter().flatten() {
                let route = &day.routes[usize::from(*origin)][*route as usize];
                let fare = route.min_fare[cabin as usize];
                if fare == i64::MAX {
                    continue;
                }
                let slot = &mut bounds[usize::from(*origin)];
                *slot = Some(match slot {
                    Some((f, s)) => ((*f).min(fare), (*s).min(route.min_secs)),
                    None => (fare, route.min_secs),
                });
            }
        }
        bounds
    }
}

/// One route's flights on one day.
#[derive(Clone, Copy)]
pub struct RouteOnDay<'a> {
    day: &'a DayTable,
    pub route: &'a Route,
}

impl<'a> RouteOnDay<'a> {
    /// The route's flights of that day departing in `[from, until)`.
    pub fn departures(&self, from: i64, until: i64) -> impl Iterator<Item = &'a ScheduledFlight> + 'a {
        self.day.window(&self.route.flights, from, until)
    }
}
