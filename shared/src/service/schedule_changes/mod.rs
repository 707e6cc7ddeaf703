//! Airline-initiated schedule changes: an admin retimes a flight
//! (`reschedule`), each paid booking on it gets a change with its options,
//! listed here, and its customer resolves it once (`resolve`): accept the
//! new times, move to another flight on the route, or a full refund.
//!
//! Unpaid bookings on a retimed flight get no change: they have not bought
//! anything yet, see the new times on the booking and are told; paying or
//! cancelling stays theirs to choose. A change left open when the flight
//! leaves needs nothing: the customer flies at the new time (the schedule's
//! sweeps refund only cancelled flights).

mod reschedule;
mod resolve;

pub use reschedule::{reschedule_flight, RescheduledFlight};
pub use resolve::{resolve_change, RebookRequest, ResolvedChange};

use super::bookings::owned_booking;
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::booking_plan::LegTimes;
use crate::domain::money::Money;
use crate::domain::schedule_change::{journey_with, JourneyLeg, ScheduleChangeStatus};
use crate::store::bookings::BookingRecord;
use crate::store::flights::Directory;
use crate::store::schedule_changes::{self, JourneyRow, RouteFlight, ScheduleChangeRow, Times};
use crate::{ApiError, Services};
use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;

/// Alternatives are offered from the start of the day the flight was
/// booked for until the end of the day after its new departure (local
/// days at its origin).
const ALTERNATIVE_DAYS_AFTER: i64 = 2;

/// A flight's times in its airports' local time.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalTimes {
    pub departs: DateTime<FixedOffset>,
    pub arrives: DateTime<FixedOffset>,
}

/// Another flight on the route the booking may move to.
#[derive(Clone, Debug, PartialEq)]
pub struct Alternative {
    pub flight_id: i64,
    pub flight_number: String,
    pub times: LocalTimes,
    pub seats_left: i32,
}

/// What the customer may do with an open change.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeOption {
    Accept,
    Rebook { alternatives: Vec<Alternative> },
    Refund { amount: Money },
}

/// A schedule change as its customer reads it.
#[derive(Clone, Debug)]
pub struct ScheduleChangeDetails {
    pub change: ScheduleChangeRow,
    pub previous: LocalTimes,
    pub new: LocalTimes,
    /// Empty once resolved (or when the booking is no longer paid).
    pub options: Vec<ChangeOption>,
}

/// The caller's booking and its schedule changes, oldest first.
pub async fn list_changes(
    svc: &Services,
    caller: &Caller,
    booking_id: i64,
) -> Result<(BookingRecord, Vec<ScheduleChangeDetails>), ApiError> {
    let record = owned_booking(svc, caller, booking_id).await?;
    let rows = schedule_changes::of_booking(&svc.db, booking_id).await?;
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        changes.push(change_details(svc, &record, row).await?);
    }
    Ok((record, changes))
}

/// The change with its local times and, while it is open on a paid
/// booking, its options.
pub(crate) async fn change_details(
    svc: &Services,
    record: &BookingRecord,
    change: ScheduleChangeRow,
) -> Result<ScheduleChangeDetails, ApiError> {
    let route = Route::of(svc, change.flight_id).await?;
    let options = if change.status == ScheduleChangeStatus::Open
        && record.status == BookingStatus::Paid
        && change.new.0 > Utc::now()
    {
        options(svc, record, &change, &route).await?
    } else {
        Vec::new()
    };
    Ok(ScheduleChangeDetails { previous: route.local(change.previous), new: route.local(change.new), change, options })
}

async fn options(
    svc: &Services,
    record: &BookingRecord,
    change: &ScheduleChangeRow,
    route: &Route,
) -> Result<Vec<ChangeOption>, ApiError> {
    let mut options = Vec::new();
    if change.accept_allowed {
        options.push(ChangeOption::Accept);
    }
    let alternatives = alternatives(svc, record.id, change, route).await?;
    options.push(ChangeOption::Rebook { alternatives });
    let (refundable, currency) = schedule_changes::refundable(&svc.db.get().await?, record.id).await?;
    options.push(ChangeOption::Refund { amount: Money::new(refundable, &currency) });
    Ok(options)
}

/// The retimed flight's route and its airports' zones.
pub(crate) struct Route {
    pub origin: String,
    pub destination: String,
    origin_zone: Tz,
    destination_zone: Tz,
}

impl Route {
    pub(crate) async fn of(svc: &Services, flight_id: i64) -> Result<Route, ApiError> {
        let facts = svc
            .flights
            .get(&svc.db, flight_id)
            .await?
            .ok_or_else(|| ApiError::internal(format!("flight {flight_id} vanished")))?;
        let directory = svc.directory.get(&svc.db, &[&facts.leg.origin, &facts.leg.destination]).await?;
        Ok(Route::new(&facts.leg.origin, &facts.leg.destination, &directory))
    }

    pub(crate) fn new(origin: &str, destination: &str, directory: &Directory) -> Route {
        let zone = |code: &str| directory.airports.get(code).map_or(chrono_tz::UTC, |a| a.time_zone);
        Route {
            origin_zone: zone(origin),
            destination_zone: zone(destination),
            origin: origin.to_string(),
            destination: destination.to_string(),
        }
    }

    pub(crate) fn local(&self, (departs, arrives): Times) -> LocalTimes {
        LocalTimes {
            departs: departs.with_timezone(&self.origin_zone).fixed_offset(),
            arrives: arrives.with_timezone(&self.destination_zone).fixed_offset(),
        }
    }

    /// From the start of the earlier departure's local day to the end of
    /// the day after the new one.
    fn window(&self, change: &ScheduleChangeRow) -> Times {
        let day_start = |at: DateTime<Utc>| {
            let date = at.with_timezone(&self.origin_zone).date_naive();
            let midnight = date.and_hms_opt(0, 0, 0).expect("midnight");
            chrono::TimeZone::from_local_datetime(&self.origin_zone, &midnight)
                .earliest()
                .map_or(at, |t| t.with_timezone(&Utc))
        };
        let from = day_start(change.previous.0.min(change.new.0));
        let until = day_start(change.new.0) + chrono::Duration::days(ALTERNATIVE_DAYS_AFTER);
        (from, until)
    }
}

/// Flights on the route in the window, scheduled and in the future, with
/// room in the booking's cabin for its passengers on the retimed flight,
/// that keep the rest of its journey connecting.
pub(crate) async fn alternatives(
    svc: &Services,
    booking_id: i64,
    change: &ScheduleChangeRow,
    route: &Route,
) -> Result<Vec<Alternative>, ApiError> {
    let client = svc.db.get().await?;
    let seats = schedule_changes::seats_on(&client, booking_id, change.flight_id).await?;
    let journey = schedule_changes::journey_of(&client, booking_id).await?;
    drop(client);
    let Some(cabin) = seats.first().map(|s| s.cabin.clone()) else { return Ok(Vec::new()) };
    let candidates = schedule_changes::route_flights(
        &svc.db,
        (&route.origin, &route.destination),
        route.window(change),
        change.flight_id,
        &cabin,
        seats.len() as i32,
    )
    .await?;
    let directory = directory_for(svc, &journey).await?;
    let slices = journey_legs(&journey, &directory);
    Ok(candidates
        .into_iter()
        .filter(|c| journey_with(&slices, change.flight_id, &leg_times(c)).is_ok())
        .map(|c| Alternative {
            times: route.local((c.departs_at, c.arrives_at)),
            flight_id: c.flight_id,
            flight_number: c.flight_number,
            seats_left: c.seats_left,
        })
        .collect())
}

fn leg_times(flight: &RouteFlight) -> LegTimes<'_> {
    LegTimes {
        flight_id: flight.flight_id,
        origin: &flight.origin,
        destination: &flight.destination,
        departs_at: flight.departs_at,
        arrives_at: flight.arrives_at,
    }
}

/// The airports of a journey.
pub(crate) async fn directory_for(
    svc: &Services,
    journey: &[JourneyRow],
) -> Result<std::sync::Arc<Directory>, ApiError> {
    let codes: Vec<&str> = journey.iter().flat_map(|l| [l.origin.as_str(), l.destination.as_str()]).collect();
    Ok(svc.directory.get(&svc.db, &codes).await?)
}

/// The journey as the domain's rules read it: slices of legs, each with the
/// minimum connection time at its destination (the international one when
/// either flight at the junction crosses a border).
pub(crate) fn journey_legs<'a>(journey: &'a [JourneyRow], directory: &Directory) -> Vec<Vec<JourneyLeg<'a>>> {
    let country = |code: &str| directory.airports.get(code).map(|a| a.country.as_str());
    let crosses = |leg: &JourneyRow| country(&leg.origin) != country(&leg.destination);
    let mut slices: Vec<Vec<JourneyLeg<'a>>> = Vec::new();
    for (index, leg) in journey.iter().enumerate() {
        let next = journey.get(index + 1).filter(|n| n.slice == leg.slice);
        let international = crosses(leg) || next.is_some_and(crosses);
        let minimum = directory.airports.get(&leg.destination).map_or(0, |a| {
            if international {
                a.min_connection_minutes_international
            } else {
                a.min_connection_minutes
            }
        });
        let entry = JourneyLeg {
            times: LegTimes {
                flight_id: leg.flight_id,
                origin: &leg.origin,
                destination: &leg.destination,
                departs_at: leg.departs_at,
                arrives_at: leg.arrives_at,
            },
            min_connection_minutes: i64::from(minimum),
        };
        match slices.last_mut() {
            Some(last) if index > 0 && journey[index - 1].slice == leg.slice => last.push(entry),
            _ => slices.push(vec![entry]),
        }
    }
    slices
}
