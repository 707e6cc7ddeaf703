//! The fare calendar on the wire (`flights-calendar`): per date the
//! party's cheapest price, or `null` when nothing sells that day.

use crate::domain::money::Money;
use crate::domain::seating::Cabin;
use crate::service::search::calendar::{CalendarDay, FareCalendar};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FareCalendarBody {
    pub query: CalendarQueryBody,
    pub days: Vec<CalendarDayBody>,
    /// The cheapest day of the range (the earliest among equals).
    pub cheapest: Option<CalendarDayBody>,
    pub cached: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarQueryBody {
    pub source: String,
    pub destination: String,
    pub from: String,
    pub to: String,
    pub adults: u8,
    pub children: u8,
    pub infants: u8,
    pub max_stops: u8,
    pub cabin: Cabin,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarDayBody {
    pub date: String,
    /// The whole party's price of the day's cheapest itinerary.
    pub price: Option<Money>,
    /// One adult's fare of it.
    pub price_per_passenger: Option<Money>,
    /// The itinerary (its flight ids joined by `-`), as the search shows it.
    pub itinerary_id: Option<String>,
}

impl From<&FareCalendar> for FareCalendarBody {
    fn from(calendar: &FareCalendar) -> Self {
        let q = &calendar.query;
        let t = &q.travellers;
        let day = |d: &CalendarDay| CalendarDayBody {
            date: d.date.to_string(),
            price: d.cheapest.as_ref().map(|f| Money::new(t.total(f.adult_fare), &f.currency)),
            price_per_passenger: d.cheapest.as_ref().map(|f| Money::new(f.adult_fare, &f.currency)),
            itinerary_id: d.cheapest.as_ref().map(|f| f.itinerary_id.clone()),
        };
        let cheapest = calendar
            .days
            .iter()
            .filter_map(|d| d.cheapest.as_ref().map(|f| (f.adult_fare, d)))
            .min_by_key(|(fare, d)| (*fare, d.date))
            .map(|(_, d)| day(d));
        FareCalendarBody {
            query: CalendarQueryBody {
                source: q.origin.clone(),
                destination: q.destination.clone(),
                from: q.from.to_string(),
                to: q.to.to_string(),
                adults: t.adults,
                children: t.children,
                infants: t.infants,
                max_stops: q.max_stops,
                cabin: q.cabin,
            },
            days: calendar.days.iter().map(day).collect(),
            cheapest,
            cached: calendar.cached,
        }
    }
}
