//! Aircraft seat layouts and seat numbers. A seat is row + letter (`12A`);
//! other spellings (`A12`, `012a`) are normalised to that form.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Cabin {
    Economy,
    PremiumEconomy,
    Business,
    First,
}

impl Cabin {
    pub const ALL: [Cabin; 4] = [Cabin::Economy, Cabin::PremiumEconomy, Cabin::Business, Cabin::First];

    pub fn as_str(self) -> &'static str {
        match self {
            Cabin::Economy => "ECONOMY",
            Cabin::PremiumEconomy => "PREMIUM_ECONOMY",
            Cabin::Business => "BUSINESS",
            Cabin::First => "FIRST",
        }
    }

    /// Accepts `economy`, `ECONOMY`, `premium_economy`, `premium-economy`, `premium economy`.
    pub fn parse(raw: &str) -> Option<Cabin> {
        let canonical = raw.trim().to_ascii_uppercase().replace(['-', ' '], "_");
        Cabin::ALL.into_iter().find(|c| c.as_str() == canonical)
    }
}

impl fmt::Display for Cabin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One cabin's block of rows in an aircraft.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CabinSection {
    pub cabin: Cabin,
    pub first_row: u16,
    pub last_row: u16,
    /// Seat letters left to right, e.g. `ABCDEF`.
    pub letters: String,
    /// Letters with an aisle to their right, e.g. `["C"]`.
    #[serde(default)]
    pub aisle_after: Vec<String>,
    #[serde(default)]
    pub exit_rows: Vec<u16>,
    #[serde(default)]
    pub extra_legroom_rows: Vec<u16>,
    /// Rows the airline sells as front-row seats (layouts before paid
    /// seats have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub front_rows: Vec<u16>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeatLayout {
    pub cabins: Vec<CabinSection>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeatPosition {
    Window,
    Middle,
    Aisle,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeatNumber {
    pub row: u16,
    pub letter: char,
}

impl fmt::Display for SeatNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.row, self.letter)
    }
}

impl SeatNumber {
    /// `12A`, `a12`, `012a`, ` 12 A ` → `12A`. `None` when it is not a seat spelling.
    pub fn parse(raw: &str) -> Option<SeatNumber> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let compact = compact.to_ascii_uppercase();
        if compact.is_empty() || compact.len() > 6 || !compact.is_ascii() {
            return None;
        }
        let digits: String = compact.chars().filter(char::is_ascii_digit).collect();
        let letters: Vec<char> = compact.chars().filter(char::is_ascii_alphabetic).collect();
        let well_formed = compact.starts_with(|c: char| c.is_ascii_digit())
            && compact.ends_with(|c: char| c.is_ascii_alphabetic())
            || compact.starts_with(|c: char| c.is_ascii_alphabetic())
                && compact.ends_with(|c: char| c.is_ascii_digit());
        if letters.len() != 1 || digits.is_empty() || digits.len() + 1 != compact.len() || !well_formed {
            return None;
        }
        let row: u16 = digits.parse().ok().filter(|r| *r > 0 && *r < 1000)?;
        Some(SeatNumber { row, letter: letters[0] })
    }
}

/// A seat of the layout with its characteristics.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Seat {
    #[serde(rename = "seatNumber")]
    pub number: String,
    pub row: u16,
    pub letter: char,
    pub cabin: Cabin,
    pub position: SeatPosition,
    pub exit_row: bool,
    pub extra_legroom: bool,
    pub front_row: bool,
}

impl SeatLayout {
    pub fn seats(&self) -> impl Iterator<Item = Seat> + '_ {
        self.cabins.iter().flat_map(|section| {
            let letters: Vec<char> = section.letters.chars().collect();
            (section.first_row..=section.last_row).flat_map(move |row| {
                let letters = letters.clone();
                letters.clone().into_iter().enumerate().map(move |(i, letter)| {
                    let position = if i == 0 || i == letters.len() - 1 {
                        SeatPosition::Window
                    } else if section.aisle_after.iter().any(|a| a.starts_with(letter))
                        || section.aisle_after.iter().any(|a| a.starts_with(letters[i - 1]))
                    {
                        SeatPosition::Aisle
                    } else {
                        SeatPosition::Middle
                    };
                    Seat {
                        number: format!("{row}{letter}"),
                        row,
                        letter,
                        cabin: section.cabin,
                        position,
                        exit_row: section.exit_rows.contains(&row),
                        extra_legroom: section.extra_legroom_rows.contains(&row),
                        front_row: section.front_rows.contains(&row),
                    }
                })
            })
        })
    }

    pub fn seat(&self, number: &SeatNumber) -> Option<Seat> {
        self.seats().find(|s| s.row == number.row && s.letter == number.letter)
    }

    pub fn seat_count(&self, cabin: Cabin) -> u32 {
        self.cabins
            .iter()
            .filter(|s| s.cabin == cabin)
            .map(|s| (u32::from(s.last_row) - u32::from(s.first_row) + 1) * s.letters.chars().count() as u32)
            .sum()
    }
}

/// A layout's seats in order with lookup by number, built once per
/// aircraft type (the layout itself generates seats on every walk).
#[derive(Clone, Debug)]
pub struct SeatPlan {
    pub layout: SeatLayout,
    seats: Vec<Seat>,
    index: std::collections::HashMap<(u16, char), usize>,
}

impl SeatPlan {
    pub fn new(layout: SeatLayout) -> SeatPlan {
        let seats: Vec<Seat> = layout.seats().collect();
        let index = seats.iter().enumerate().map(|(i, s)| ((s.row, s.letter), i)).collect();
        SeatPlan { layout, seats, index }
    }

    pub fn seats(&self) -> &[Seat] {
        &self.seats
    }

    pub fn seat(&self, number: &SeatNumber) -> Option<&Seat> {
        self.index.get(&(number.row, number.letter)).map(|i| &self.seats[*i])
    }

    /// The seat spelled `raw` in any accepted spelling, if on the aircraft.
    pub fn find(&self, raw: &str) -> Option<&Seat> {
        SeatNumber::parse(raw).and_then(|n| self.seat(&n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a320() -> SeatLayout {
        serde_json::from_value(serde_json::json!({"cabins": [
            {"cabin": "BUSINESS", "firstRow": 1, "lastRow": 2, "letters": "ACDF", "aisleAfter": ["C"]},
            {"cabin": "ECONOMY", "firstRow": 3, "lastRow": 30, "letters": "ABCDEF", "aisleAfter": ["C"], "exitRows": [12, 13], "extraLegroomRows": [12]}
        ]}))
        .unwrap()
    }

    #[test]
    fn seat_spellings_normalise() {
        for raw in ["1A", "A1", "1a", "a1", "01A", "001a", " 1 A "] {
            assert_eq!(SeatNumber::parse(raw).map(|s| s.to_string()).as_deref(), Some("1A"), "{raw}");
        }
        assert_eq!(SeatNumber::parse("A12").unwrap().to_string(), "12A");
        for bad in ["", "A", "12", "1AB", "A1B", "1A1", "0A", "-1A", "1Ä", "12345A", "1 2A3"] {
            assert_eq!(SeatNumber::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn layout_positions_and_counts() {
        let layout = a320();
        assert_eq!(layout.seat_count(Cabin::Business), 8);
        assert_eq!(layout.seat_count(Cabin::Economy), 28 * 6);
        assert_eq!(layout.seats().count(), 8 + 168);
        let seat = |n: &str| layout.seat(&SeatNumber::parse(n).unwrap());
        assert_eq!(seat("3A").unwrap().position, SeatPosition::Window);
        assert_eq!(seat("3B").unwrap().position, SeatPosition::Middle);
        assert_eq!(seat("3C").unwrap().position, SeatPosition::Aisle);
        assert_eq!(seat("3D").unwrap().position, SeatPosition::Aisle);
        assert_eq!(seat("3F").unwrap().position, SeatPosition::Window);
        assert_eq!(seat("1C").unwrap().cabin, Cabin::Business);
        assert!(seat("12B").unwrap().exit_row && seat("12B").unwrap().extra_legroom);
        assert!(seat("1B").is_none(), "business has no B seat");
        assert!(seat("31A").is_none());
        let plan = SeatPlan::new(layout.clone());
        assert_eq!(plan.seats().len(), 176);
        for seat in layout.seats() {
            assert_eq!(plan.find(&seat.number), Some(&seat));
        }
        assert_eq!(plan.find("A3").unwrap().number, "3A");
        assert!(plan.find("1B").is_none() && plan.find("31A").is_none() && plan.find("zz").is_none());
    }

    #[test]
    fn cabins_parse_leniently() {
        assert_eq!(Cabin::parse("economy"), Some(Cabin::Economy));
        assert_eq!(Cabin::parse("premium-economy"), Some(Cabin::PremiumEconomy));
        assert_eq!(Cabin::parse("coach"), None);
    }
}
