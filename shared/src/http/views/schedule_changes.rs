//! Airline-initiated schedule changes on the wire: the admin's reschedule
//! answer, a booking's changes with their options, and a resolved change.
//! Times are shown in the local time of their airport.

use super::bookings::BookingBody;
use super::flights::FlightBody;
use crate::domain::money::Money;
use crate::service::schedule_changes::{
    Alternative, ChangeOption, LocalTimes, RescheduledFlight, ResolvedChange, ScheduleChangeDetails,
};
use crate::store::bookings::BookingRecord;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The retimed flight, with how many cached searches were dropped, how many
/// live bookings were affected and how many schedule changes announce
/// these times.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RescheduledFlightBody<'a> {
    #[serde(flatten)]
    pub flight: FlightBody<'a>,
    pub invalidated_searches: usize,
    pub affected_bookings: usize,
    pub schedule_changes: usize,
}

impl<'a> From<&'a RescheduledFlight> for RescheduledFlightBody<'a> {
    fn from(r: &'a RescheduledFlight) -> Self {
        RescheduledFlightBody {
            flight: FlightBody::from(&r.flight),
            invalidated_searches: r.invalidated_searches,
            affected_bookings: r.affected_bookings,
            schedule_changes: r.schedule_changes,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimesBody {
    pub departure_time: String,
    pub arrival_time: String,
}

impl From<&LocalTimes> for TimesBody {
    fn from(t: &LocalTimes) -> Self {
        TimesBody { departure_time: t.departs.to_rfc3339(), arrival_time: t.arrives.to_rfc3339() }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlternativeBody<'a> {
    pub flight_id: i64,
    pub flight_number: &'a str,
    pub departure_time: String,
    pub arrival_time: String,
    pub seats_left: i32,
}

impl<'a> From<&'a Alternative> for AlternativeBody<'a> {
    fn from(a: &'a Alternative) -> Self {
        AlternativeBody {
            flight_id: a.flight_id,
            flight_number: &a.flight_number,
            departure_time: a.times.departs.to_rfc3339(),
            arrival_time: a.times.arrives.to_rfc3339(),
            seats_left: a.seats_left,
        }
    }
}

/// One way to resolve the change, named by its route's last segment.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum OptionBody<'a> {
    Accept,
    Rebook { alternatives: Vec<AlternativeBody<'a>> },
    Refund { amount: Money },
}

impl<'a> From<&'a ChangeOption> for OptionBody<'a> {
    fn from(option: &'a ChangeOption) -> Self {
        match option {
            ChangeOption::Accept => OptionBody::Accept,
            ChangeOption::Rebook { alternatives } => {
                OptionBody::Rebook { alternatives: alternatives.iter().map(AlternativeBody::from).collect() }
            }
            ChangeOption::Refund { amount } => OptionBody::Refund { amount: amount.clone() },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleChangeBody<'a> {
    pub id: i64,
    pub booking_id: i64,
    pub flight_id: i64,
    pub flight_number: &'a str,
    pub previous: TimesBody,
    pub new: TimesBody,
    pub status: &'static str,
    pub accept_allowed: bool,
    pub rebooked_to: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub options: Vec<OptionBody<'a>>,
}

impl<'a> From<&'a ScheduleChangeDetails> for ScheduleChangeBody<'a> {
    fn from(d: &'a ScheduleChangeDetails) -> Self {
        let c = &d.change;
        ScheduleChangeBody {
            id: c.id,
            booking_id: c.booking_id,
            flight_id: c.flight_id,
            flight_number: &c.flight_number,
            previous: TimesBody::from(&d.previous),
            new: TimesBody::from(&d.new),
            status: c.status.as_str(),
            accept_allowed: c.accept_allowed,
            rebooked_to: c.rebooked_to,
            created_at: c.created_at,
            resolved_at: c.resolved_at,
            options: d.options.iter().map(OptionBody::from).collect(),
        }
    }
}

/// `GET /api/bookings/{id}/schedule-changes`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleChangeListBody<'a> {
    pub booking_id: i64,
    pub pnr: &'a str,
    pub schedule_changes: Vec<ScheduleChangeBody<'a>>,
}

impl<'a> ScheduleChangeListBody<'a> {
    pub fn new(record: &'a BookingRecord, changes: &'a [ScheduleChangeDetails]) -> Self {
        ScheduleChangeListBody {
            booking_id: record.id,
            pnr: &record.pnr,
            schedule_changes: changes.iter().map(ScheduleChangeBody::from).collect(),
        }
    }
}

/// `POST /api/schedule-changes/{id}/accept|rebook|refund`: the change as
/// resolved and the booking now.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedChangeBody<'a> {
    pub schedule_change: ScheduleChangeBody<'a>,
    pub booking: BookingBody<'a>,
}

impl<'a> From<&'a ResolvedChange> for ResolvedChangeBody<'a> {
    fn from(r: &'a ResolvedChange) -> Self {
        ResolvedChangeBody {
            schedule_change: ScheduleChangeBody::from(&r.change),
            booking: BookingBody::new(&r.booking),
        }
    }
}
