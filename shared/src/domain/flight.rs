//! A flight's life: scheduled, then departed or cancelled. One rule says
//! whether it can still be sold, and every path that sells asks it.

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlightStatus {
    Scheduled,
    Departed,
    Cancelled,
}

impl FlightStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FlightStatus::Scheduled => "SCHEDULED",
            FlightStatus::Departed => "DEPARTED",
            FlightStatus::Cancelled => "CANCELLED",
        }
    }

    /// The database's spelling (a CHECK constraint allows only these).
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Scheduled, Self::Departed, Self::Cancelled].into_iter().find(|s| s.as_str() == raw)
    }
}

impl serde::Serialize for FlightStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Why a flight cannot be sold now, if it cannot.
pub fn unbookable_because(status: FlightStatus, departs_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<FlightStatus> {
    match status {
        FlightStatus::Scheduled if departs_at <= now => Some(FlightStatus::Departed),
        FlightStatus::Scheduled => None,
        other => Some(other),
    }
}

/// The one "bookable" rule: scheduled and not yet departed.
pub fn is_bookable(status: FlightStatus, departs_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    unbookable_because(status, departs_at, now).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn only_a_scheduled_flight_that_has_not_left_is_bookable() {
        let now = Utc::now();
        let later = now + Duration::hours(2);
        assert!(is_bookable(FlightStatus::Scheduled, later, now));
        assert_eq!(unbookable_because(FlightStatus::Scheduled, now, now), Some(FlightStatus::Departed));
        assert_eq!(unbookable_because(FlightStatus::Cancelled, later, now), Some(FlightStatus::Cancelled));
        assert_eq!(unbookable_because(FlightStatus::Departed, later, now), Some(FlightStatus::Departed));
        for status in [FlightStatus::Scheduled, FlightStatus::Departed, FlightStatus::Cancelled] {
            assert_eq!(FlightStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(FlightStatus::parse("scheduled"), None);
    }
}
