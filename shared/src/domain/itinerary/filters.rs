//! What a traveller narrows a search to: airlines, time on the ground and
//! in the air, a price, and when a slice lands. Stops and the departure
//! window are the search's own inputs (`max_stops`, the departure
//! interval); the rest is checked here on every itinerary the search would
//! keep, so the best `limit` are the best of those that pass.

use crate::domain::seating::Cabin;
use crate::domain::timetable::ScheduledFlight;
use std::sync::Arc;

/// Whether a slice's last arrival (Unix seconds) is in the asked window of
/// the destination's local time.
pub type ArrivalWindow = Arc<dyn Fn(i64) -> bool + Send + Sync>;

#[derive(Clone, Default)]
pub struct Filters {
    /// Every leg flown by one of these airlines (interned ids).
    pub airlines: Option<Vec<u32>>,
    /// From first departure to last arrival.
    pub max_duration_secs: Option<i64>,
    /// Each connection.
    pub max_layover_secs: Option<i64>,
    /// One adult, all legs, minor units.
    pub max_adult_fare: Option<i64>,
    pub arrival: Option<ArrivalWindow>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.airlines.is_none()
            && self.max_duration_secs.is_none()
            && self.max_layover_secs.is_none()
            && self.max_adult_fare.is_none()
            && self.arrival.is_none()
    }

    /// A leg may be part of an itinerary that passes.
    pub fn allows_leg(&self, leg: &ScheduledFlight) -> bool {
        self.airlines.as_ref().is_none_or(|ids| ids.contains(&leg.airline))
    }

    /// A connection is short enough.
    pub fn allows_layover(&self, arriving: &ScheduledFlight, departing: &ScheduledFlight) -> bool {
        self.max_layover_secs.is_none_or(|max| departing.departs_at - arriving.arrives_at <= max)
    }

    /// No completion of a partial itinerary whose price and arrival are at
    /// least these can pass.
    pub fn rules_out(&self, price: i64, departs: i64, arrives: i64) -> bool {
        self.max_adult_fare.is_some_and(|max| price > max)
            || self.max_duration_secs.is_some_and(|max| arrives - departs > max)
    }

    /// A whole itinerary passes.
    pub fn admits(&self, legs: &[&ScheduledFlight], cabin: Cabin) -> bool {
        if self.is_empty() {
            return true;
        }
        let (departs, arrives) = (legs[0].departs_at, legs[legs.len() - 1].arrives_at);
        let price: i64 = legs.iter().filter_map(|l| l.fare(cabin)).map(|f| f.amount).sum();
        legs.iter().all(|l| self.allows_leg(l))
            && legs.windows(2).all(|pair| self.allows_layover(pair[0], pair[1]))
            && !self.rules_out(price, departs, arrives)
            && self.arrival.as_ref().is_none_or(|window| window(arrives))
    }
}

/// A part of the day in an airport's local time, `[from, to)` in minutes
/// after midnight (`to` up to 1440).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeWindow {
    pub from_minute: u16,
    pub to_minute: u16,
}

impl TimeWindow {
    /// `HH:MM-HH:MM`, the end after the start (`24:00` is the end of the day).
    pub fn parse(raw: &str) -> Option<TimeWindow> {
        let minute = |hm: &str| -> Option<u16> {
            let (h, m) = hm.trim().split_once(':')?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
        };
        let (from, to) = raw.split_once('-')?;
        let window = TimeWindow { from_minute: minute(from)?, to_minute: minute(to)? };
        (window.from_minute < window.to_minute).then_some(window)
    }

    pub fn contains(&self, minute_of_day: u16) -> bool {
        (self.from_minute..self.to_minute).contains(&minute_of_day)
    }
}

impl std::fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hm(self.from_minute), hm(self.to_minute))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_read_as_written_and_refuse_nonsense() {
        let w = TimeWindow::parse("06:00-12:30").unwrap();
        assert_eq!((w.from_minute, w.to_minute), (360, 750));
        assert_eq!(w.to_string(), "06:00-12:30");
        assert!(w.contains(360) && w.contains(749) && !w.contains(750));
        assert_eq!(TimeWindow::parse("18:00-24:00").unwrap().to_minute, 1440);
        for bad in ["12:00-06:00", "06:00-06:00", "25:00-26:00", "6-12", "06:60-07:00", "24:30-24:40", ""] {
            assert_eq!(TimeWindow::parse(bad), None, "{bad}");
        }
    }
}
