//! Who travels: adults, children (2–11 on the day of travel) and infants
//! (under 2, on an adult's lap, no seat), how many seats they take, and what
//! each pays.
//!
//! Fares are published for one adult. A child pays [`CHILD_PERCENT`] of the
//! adult fare and an infant [`INFANT_PERCENT`], each of the whole journey's
//! adult fare (every slice of the order), rounded half up to the minor unit,
//! so the total for everyone follows the adult fare: ordering by the adult
//! fare orders by the total too. Fares include their taxes; the breakdown
//! shows the GST inside them, as the invoice will.

use super::booking::MAX_PASSENGERS;
use serde::{Deserialize, Serialize};

/// A child's fare, in percent of the adult fare.
pub const CHILD_PERCENT: i64 = 75;
/// An infant's fare, in percent of the adult fare.
pub const INFANT_PERCENT: i64 = 10;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PassengerType {
    #[default]
    Adult,
    Child,
    Infant,
}

impl PassengerType {
    pub const ALL: [PassengerType; 3] = [PassengerType::Adult, PassengerType::Child, PassengerType::Infant];

    pub fn as_str(self) -> &'static str {
        match self {
            PassengerType::Adult => "adult",
            PassengerType::Child => "child",
            PassengerType::Infant => "infant",
        }
    }

    pub fn parse(raw: &str) -> Option<PassengerType> {
        PassengerType::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(raw.trim()))
    }

    /// This type's fare for an adult fare of `adult_fare` minor units.
    pub fn fare(self, adult_fare: i64) -> i64 {
        match self {
            PassengerType::Adult => adult_fare,
            PassengerType::Child => percent_of(adult_fare, CHILD_PERCENT),
            PassengerType::Infant => percent_of(adult_fare, INFANT_PERCENT),
        }
    }

    /// Whether this passenger occupies a seat.
    pub fn is_seated(self) -> bool {
        self != PassengerType::Infant
    }
}

/// `amount × percent / 100`, halves rounded up; `amount` is not negative.
fn percent_of(amount: i64, percent: i64) -> i64 {
    (amount * percent * 2 + 100) / 200
}

/// How many of each type travel together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Travellers {
    pub adults: u8,
    pub children: u8,
    pub infants: u8,
}

/// A passenger mix that cannot travel; `(field, reason)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTravellers(pub &'static str, pub String);

impl Travellers {
    pub fn adults(adults: u8) -> Travellers {
        Travellers { adults, children: 0, infants: 0 }
    }

    /// 1–9 adults, adults and children together at most 9, at most one
    /// infant per adult (each travels on an adult's lap).
    pub fn new(adults: u8, children: u8, infants: u8) -> Result<Travellers, InvalidTravellers> {
        let max = MAX_PASSENGERS as u8;
        if adults == 0 || adults > max {
            return Err(InvalidTravellers("adults", format!("give 1 to {max} adults")));
        }
        if u16::from(adults) + u16::from(children) > u16::from(max) {
            return Err(InvalidTravellers("children", format!("adults and children together are at most {max}")));
        }
        if infants > adults {
            return Err(InvalidTravellers(
                "infants",
                "at most one infant per adult (each sits on an adult's lap)".into(),
            ));
        }
        Ok(Travellers { adults, children, infants })
    }

    /// Seats the party needs on every flight: infants need none.
    pub fn seated(&self) -> i32 {
        i32::from(self.adults) + i32::from(self.children)
    }

    pub fn count(&self, kind: PassengerType) -> u8 {
        match kind {
            PassengerType::Adult => self.adults,
            PassengerType::Child => self.children,
            PassengerType::Infant => self.infants,
        }
    }

    /// Only adults: the shape every request had before passenger types.
    pub fn only_adults(&self) -> bool {
        self.children == 0 && self.infants == 0
    }

    /// What everyone pays for a journey whose adult fare is `adult_fare`.
    pub fn total(&self, adult_fare: i64) -> i64 {
        PassengerType::ALL.into_iter().map(|t| i64::from(self.count(t)) * t.fare(adult_fare)).sum()
    }

    /// Per type present, its count and fare, with the tax inside each fare:
    /// `tax_of(fare)` is the tax contained in a fare of that amount.
    pub fn breakdown(&self, adult_fare: i64, tax_of: impl Fn(i64) -> i64) -> Vec<TypeFare> {
        PassengerType::ALL
            .into_iter()
            .filter(|t| self.count(*t) > 0)
            .map(|kind| {
                let fare = kind.fare(adult_fare);
                let taxes = tax_of(fare).clamp(0, fare);
                TypeFare { kind, count: self.count(kind), base: fare - taxes, taxes, fare }
            })
            .collect()
    }
}

/// One passenger type's part of a price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeFare {
    pub kind: PassengerType,
    pub count: u8,
    /// Per passenger: the fare without its taxes and fees, those, and the fare.
    pub base: i64,
    pub taxes: i64,
    pub fare: i64,
}

impl TypeFare {
    pub fn total(&self) -> i64 {
        self.fare * i64::from(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_round_half_up_and_follow_the_adult_fare() {
        assert_eq!(PassengerType::Child.fare(10_000), 7_500);
        assert_eq!(PassengerType::Child.fare(2), 2); // 1.5 → 2
        assert_eq!(PassengerType::Infant.fare(15), 2); // 1.5 → 2
        assert_eq!(PassengerType::Infant.fare(14), 1);
        let party = Travellers::new(2, 1, 1).unwrap();
        let mut previous = 0;
        for adult in 0..5_000 {
            let total = party.total(adult);
            assert!(total >= previous, "the total never falls as the adult fare rises");
            previous = total;
        }
        assert_eq!(party.total(500_000), 2 * 500_000 + 375_000 + 50_000);
    }

    #[test]
    fn mixes_that_cannot_travel_name_the_field() {
        assert_eq!(Travellers::new(0, 1, 0).unwrap_err().0, "adults");
        assert_eq!(Travellers::new(10, 0, 0).unwrap_err().0, "adults");
        assert_eq!(Travellers::new(5, 5, 0).unwrap_err().0, "children");
        assert_eq!(Travellers::new(1, 0, 2).unwrap_err().0, "infants");
        let party = Travellers::new(2, 7, 2).unwrap();
        assert_eq!(party.seated(), 9);
    }

    #[test]
    fn the_breakdown_adds_up_and_lists_only_present_types() {
        let party = Travellers::new(2, 0, 1).unwrap();
        let lines = party.breakdown(10_500, |fare| fare - fare * 100 / 105);
        assert_eq!(lines.iter().map(|l| l.kind).collect::<Vec<_>>(), [PassengerType::Adult, PassengerType::Infant]);
        assert_eq!(lines.iter().map(TypeFare::total).sum::<i64>(), party.total(10_500));
        for line in &lines {
            assert_eq!(line.base + line.taxes, line.fare);
        }
        assert_eq!((lines[0].base, lines[0].taxes), (10_000, 500));
    }
}
