//! A query's slices as the itinerary search takes them: the departure
//! interval (the date at the origin, narrowed to its departure window) and
//! the filters (airlines, durations, the party's price cap as one adult's
//! fare, the arrival window at the destination).

use super::SearchQuery;
use crate::domain::itinerary::{ArrivalWindow, Filters, TimeWindow};
use crate::domain::timetable::Network;
use crate::domain::travellers::Travellers;
use crate::ApiError;
use chrono::{NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

/// `minute` minutes after midnight of `date` at `tz`, as Unix seconds (the
/// earliest instant when a clock change makes it ambiguous).
fn local_instant(date: NaiveDate, minute: u16, tz: Tz) -> Result<i64, ApiError> {
    let day = if minute >= 1440 { date.succ_opt() } else { Some(date) };
    let day = day.ok_or_else(|| ApiError::invalid_field("date", "out of range"))?;
    let minute = u32::from(minute % 1440);
    let time = day.and_hms_opt(minute / 60, minute % 60, 0).expect("a valid time");
    tz.from_local_datetime(&time)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(time + chrono::Duration::hours(1))).earliest())
        .map(|t| t.timestamp())
        .ok_or_else(|| ApiError::internal("a local time that does not exist"))
}

/// The search date at the origin as a UTC interval `[from, until)`.
pub(super) fn local_day(date: NaiveDate, tz: Tz) -> Result<(i64, i64), ApiError> {
    Ok((local_instant(date, 0, tz)?, local_instant(date, 1440, tz)?))
}

/// When a slice's first leg may leave: its date, within its window.
pub(super) fn departures(date: NaiveDate, window: Option<TimeWindow>, tz: Tz) -> Result<(i64, i64), ApiError> {
    let window = window.unwrap_or(TimeWindow { from_minute: 0, to_minute: 1440 });
    Ok((local_instant(date, window.from_minute, tz)?, local_instant(date, window.to_minute, tz)?))
}

/// The most one adult may pay for the party to stay within `max_price`
/// (the party's total never falls as the adult fare rises).
pub(super) fn max_adult_fare(travellers: &Travellers, max_price: i64) -> i64 {
    let (mut low, mut high) = (0, max_price.max(0));
    if travellers.total(high) <= max_price {
        return high;
    }
    // total(low) <= max_price < total(high)
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if travellers.total(middle) <= max_price {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

/// The filters of slice `index` of the query.
pub(super) fn slice_filters(query: &SearchQuery, index: usize, destination_tz: Tz, network: &Network) -> Filters {
    let f = &query.filters;
    let arrival = query.slices[index].arrival_window.map(|window| {
        let check: ArrivalWindow = Arc::new(move |t: i64| {
            let local = Utc.timestamp_opt(t, 0).single().map(|t| t.with_timezone(&destination_tz));
            local.is_some_and(|l| window.contains((l.hour() * 60 + l.minute()) as u16))
        });
        check
    });
    Filters {
        airlines: (!f.airlines.is_empty()).then(|| f.airlines.iter().map(|code| network.intern(code)).collect()),
        max_duration_secs: f.max_duration_minutes.map(|m| i64::from(m) * 60),
        max_layover_secs: f.max_layover_minutes.map(|m| i64::from(m) * 60),
        max_adult_fare: f.max_price.map(|p| max_adult_fare(&query.travellers, p)),
        arrival,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_price_cap_is_the_dearest_adult_fare_the_party_can_afford() {
        let party = Travellers::new(2, 1, 1).unwrap();
        for cap in [0, 1, 99, 1_000, 123_457, 5_000_000] {
            let adult = max_adult_fare(&party, cap);
            assert!(party.total(adult) <= cap, "{cap}");
            assert!(party.total(adult + 1) > cap, "{cap}");
        }
        assert_eq!(max_adult_fare(&Travellers::adults(1), 777), 777);
    }

    #[test]
    fn windows_are_local_instants() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        let date = NaiveDate::from_ymd_opt(2030, 1, 2).unwrap();
        let (from, until) = departures(date, TimeWindow::parse("06:00-12:00"), tz).unwrap();
        let midnight = local_day(date, tz).unwrap().0;
        assert_eq!((from - midnight, until - midnight), (6 * 3600, 12 * 3600));
        assert_eq!(local_day(date, tz).unwrap().1 - midnight, 86_400);
    }
}
