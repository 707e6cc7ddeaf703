//! Airline-initiated schedule changes without I/O: a change's states, and
//! whether a booking's journey still holds together once one of its legs
//! is retimed or replaced by another flight (the booking plan's rules, plus
//! each airport's minimum connection time).

use super::booking_plan::{check_connections, check_slice_order, LegTimes, PlanError};
use chrono::{DateTime, Utc};

/// Where a schedule change stands: open until its customer resolves it,
/// once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScheduleChangeStatus {
    Open,
    Accepted,
    Rebooked,
    Refunded,
}

impl ScheduleChangeStatus {
    const ALL: [ScheduleChangeStatus; 4] = [
        ScheduleChangeStatus::Open,
        ScheduleChangeStatus::Accepted,
        ScheduleChangeStatus::Rebooked,
        ScheduleChangeStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleChangeStatus::Open => "OPEN",
            ScheduleChangeStatus::Accepted => "ACCEPTED",
            ScheduleChangeStatus::Rebooked => "REBOOKED",
            ScheduleChangeStatus::Refunded => "REFUNDED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// How a customer resolves an open change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Keep the seats at the new times.
    Accept,
    /// Move the seats to another flight on the route.
    Rebook,
    /// Cancel the booking, refunded in full.
    Refund,
}

impl Resolution {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "accept" => Some(Resolution::Accept),
            "rebook" => Some(Resolution::Rebook),
            "refund" => Some(Resolution::Refund),
            _ => None,
        }
    }

    /// The state the change ends in.
    pub fn status(self) -> ScheduleChangeStatus {
        match self {
            Resolution::Accept => ScheduleChangeStatus::Accepted,
            Resolution::Rebook => ScheduleChangeStatus::Rebooked,
            Resolution::Refund => ScheduleChangeStatus::Refunded,
        }
    }
}

/// One leg of a booking's journey with the minimum connection time to the
/// next leg of its slice, at this leg's destination (the international one
/// when either flight at the junction crosses a border; the caller knows
/// the airports).
#[derive(Clone, Debug)]
pub struct JourneyLeg<'a> {
    pub times: LegTimes<'a>,
    pub min_connection_minutes: i64,
}

/// Whether the journey (slices of legs, in order) still works when the leg
/// on `flight_id` is replaced by `replacement` (the same flight at new
/// times, or another flight on its route): each slice's legs connect
/// (`check_connections`) with at least the minimum connection time between
/// them, and the slices follow each other (`check_slice_order`).
pub fn journey_with(
    slices: &[Vec<JourneyLeg<'_>>],
    flight_id: i64,
    replacement: &LegTimes<'_>,
) -> Result<(), PlanError> {
    let changed: Vec<Vec<JourneyLeg<'_>>> = slices
        .iter()
        .map(|legs| {
            legs.iter()
                .map(|leg| {
                    if leg.times.flight_id != flight_id {
                        return leg.clone();
                    }
                    JourneyLeg {
                        times: LegTimes {
                            flight_id: replacement.flight_id,
                            origin: replacement.origin,
                            destination: replacement.destination,
                            departs_at: replacement.departs_at,
                            arrives_at: replacement.arrives_at,
                        },
                        min_connection_minutes: leg.min_connection_minutes,
                    }
                })
                .collect()
        })
        .collect();
    let times: Vec<Vec<LegTimes<'_>>> =
        changed.iter().map(|legs| legs.iter().map(|leg| leg.times.clone()).collect()).collect();
    for (legs, slice) in changed.iter().zip(&times) {
        check_connections(slice)?;
        for pair in legs.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let ready: DateTime<Utc> = a.times.arrives_at + chrono::Duration::minutes(a.min_connection_minutes);
            if b.times.departs_at < ready {
                return Err(PlanError::LegsDoNotConnect { from: a.times.flight_id, to: b.times.flight_id });
            }
        }
    }
    let slices: Vec<&[LegTimes<'_>]> = times.iter().map(Vec::as_slice).filter(|s| !s.is_empty()).collect();
    check_slice_order(&slices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
    }

    fn leg(id: i64, from: &'static str, to: &'static str, dep: i64, arr: i64) -> JourneyLeg<'static> {
        JourneyLeg {
            times: LegTimes { flight_id: id, origin: from, destination: to, departs_at: at(dep), arrives_at: at(arr) },
            min_connection_minutes: 45,
        }
    }

    fn retimed(id: i64, from: &'static str, to: &'static str, dep: i64, arr: i64) -> LegTimes<'static> {
        leg(id, from, to, dep, arr).times
    }

    #[test]
    fn a_single_flight_retimed_still_makes_a_journey() {
        let journey = vec![vec![leg(1, "AAA", "BBB", 600, 720)]];
        assert_eq!(journey_with(&journey, 1, &retimed(1, "AAA", "BBB", 900, 1020)), Ok(()));
    }

    #[test]
    fn a_retimed_first_leg_must_land_the_minimum_connection_time_before_the_next_leaves() {
        let journey = vec![vec![leg(1, "AAA", "BBB", 600, 720), leg(2, "BBB", "CCC", 800, 900)]];
        // Lands at 750: 50 minutes before the next leg leaves, above 45.
        assert_eq!(journey_with(&journey, 1, &retimed(1, "AAA", "BBB", 630, 750)), Ok(()));
        // Lands at 770: 30 minutes, below the airport's 45.
        assert_eq!(
            journey_with(&journey, 1, &retimed(1, "AAA", "BBB", 650, 770)),
            Err(PlanError::LegsDoNotConnect { from: 1, to: 2 })
        );
        // Lands after the next one left.
        assert!(journey_with(&journey, 1, &retimed(1, "AAA", "BBB", 700, 820)).is_err());
    }

    #[test]
    fn a_retimed_second_leg_must_leave_the_minimum_connection_time_after_the_previous_lands() {
        let journey = vec![vec![leg(1, "AAA", "BBB", 600, 720), leg(2, "BBB", "CCC", 800, 900)]];
        assert_eq!(
            journey_with(&journey, 2, &retimed(2, "BBB", "CCC", 740, 840)),
            Err(PlanError::LegsDoNotConnect { from: 1, to: 2 })
        );
        assert_eq!(journey_with(&journey, 2, &retimed(2, "BBB", "CCC", 765, 865)), Ok(()));
    }

    #[test]
    fn a_retimed_outbound_may_not_land_after_the_return_leaves() {
        let journey = vec![vec![leg(1, "AAA", "BBB", 600, 720)], vec![leg(2, "BBB", "AAA", 1500, 1620)]];
        assert_eq!(journey_with(&journey, 1, &retimed(1, "AAA", "BBB", 1200, 1320)), Ok(()));
        assert_eq!(
            journey_with(&journey, 1, &retimed(1, "AAA", "BBB", 1450, 1570)),
            Err(PlanError::SlicesOutOfOrder { slice: 1 })
        );
    }

    #[test]
    fn another_flight_on_the_route_replaces_the_leg_under_the_same_rules() {
        let journey = vec![vec![leg(1, "AAA", "BBB", 600, 720), leg(2, "BBB", "CCC", 800, 900)]];
        assert_eq!(journey_with(&journey, 1, &retimed(7, "AAA", "BBB", 500, 620)), Ok(()));
        assert_eq!(
            journey_with(&journey, 1, &retimed(7, "AAA", "BBB", 660, 780)),
            Err(PlanError::LegsDoNotConnect { from: 7, to: 2 })
        );
    }

    #[test]
    fn statuses_and_resolutions_read_back() {
        for status in ScheduleChangeStatus::ALL {
            assert_eq!(ScheduleChangeStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(Resolution::parse("rebook").map(Resolution::status), Some(ScheduleChangeStatus::Rebooked));
        assert_eq!(Resolution::parse("cancel"), None);
    }
}
