//! Fare brands: what a fare costs over its cabin's published fare and what
//! it allows after the sale (refund, change, no-show, baggage, seats).
//!
//! A booking chooses one brand; each seat's cabin decides what that choice
//! means there. Economy and premium economy sell *Saver* (the published
//! fare, the default, so the original requests price as before) and
//! *Flexi*; business and first sell one brand, *Flex*, which any choice
//! becomes in those cabins.
//!
//! Penalties are per passenger with a seat, per slice, in minor units of the
//! fare's currency, and never more than what that passenger paid for the
//! slice. Infants on a lap pay no penalty: their fare is refunded or lost
//! with their adult's seat.

use super::seating::Cabin;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FareBrand {
    Saver,
    Flexi,
    Flex,
}

/// What a fare allows before departure: whether, and at what penalty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Allowance {
    pub allowed: bool,
    /// Per passenger with a seat, per slice, minor units.
    pub penalty: i64,
}

/// What is refunded once a slice has departed without its passenger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoShowRefund {
    /// The statutory taxes inside the fare (GST), nothing of the fare.
    TaxesOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FareConditions {
    pub refund_before_departure: Allowance,
    pub change_before_departure: Allowance,
    pub no_show: NoShowRefund,
    pub cabin_baggage_kg: u8,
    pub checked_baggage_kg: u8,
    /// Standard seats chosen at no charge (paid seats still cost extra).
    pub standard_seat_selection_free: bool,
}

impl FareBrand {
    pub const ALL: [FareBrand; 3] = [FareBrand::Saver, FareBrand::Flexi, FareBrand::Flex];

    pub fn as_str(self) -> &'static str {
        match self {
            FareBrand::Saver => "SAVER",
            FareBrand::Flexi => "FLEXI",
            FareBrand::Flex => "FLEX",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FareBrand::Saver => "Saver",
            FareBrand::Flexi => "Flexi",
            FareBrand::Flex => "Flex",
        }
    }

    /// `saver`, `SAVER`, ` Flexi `.
    pub fn parse(raw: &str) -> Option<FareBrand> {
        let canonical = raw.trim().to_ascii_uppercase();
        FareBrand::ALL.into_iter().find(|b| b.as_str() == canonical)
    }

    /// The brands a cabin sells, its default first.
    pub fn offered_in(cabin: Cabin) -> &'static [FareBrand] {
        match cabin {
            Cabin::Economy | Cabin::PremiumEconomy => &[FareBrand::Saver, FareBrand::Flexi],
            Cabin::Business | Cabin::First => &[FareBrand::Flex],
        }
    }

    pub fn default_in(cabin: Cabin) -> FareBrand {
        FareBrand::offered_in(cabin)[0]
    }

    /// What a booking's choice becomes on a seat of `cabin`; `None` when the
    /// cabin cannot honour it (Flex is sold in business and first only).
    pub fn in_cabin(self, cabin: Cabin) -> Option<FareBrand> {
        let offered = FareBrand::offered_in(cabin);
        if offered.contains(&self) {
            Some(self)
        } else if offered.len() == 1 && self != FareBrand::Flex {
            Some(offered[0])
        } else {
            None
        }
    }

    /// The adult fare of this brand over the cabin's published fare: Flexi
    /// costs 15 % more, rounded up to a whole major unit.
    pub fn price(self, published: i64) -> i64 {
        match self {
            FareBrand::Saver | FareBrand::Flex => published,
            FareBrand::Flexi => {
                let raised = (published * 115 + 99) / 100;
                (raised + 99) / 100 * 100
            }
        }
    }

    pub fn conditions(self) -> FareConditions {
        let allowance = |penalty| Allowance { allowed: true, penalty };
        match self {
            FareBrand::Saver => FareConditions {
                refund_before_departure: allowance(350_000),
                change_before_departure: allowance(300_000),
                no_show: NoShowRefund::TaxesOnly,
                cabin_baggage_kg: 7,
                checked_baggage_kg: 15,
                standard_seat_selection_free: false,
            },
            FareBrand::Flexi => FareConditions {
                refund_before_departure: allowance(150_000),
                change_before_departure: allowance(0),
                no_show: NoShowRefund::TaxesOnly,
                cabin_baggage_kg: 7,
                checked_baggage_kg: 25,
                standard_seat_selection_free: true,
            },
            FareBrand::Flex => FareConditions {
                refund_before_departure: allowance(0),
                change_before_departure: allowance(0),
                no_show: NoShowRefund::TaxesOnly,
                cabin_baggage_kg: 14,
                checked_baggage_kg: 35,
                standard_seat_selection_free: true,
            },
        }
    }
}

/// Where a slice stands when a refund of it is worked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceState {
    /// Its first flight has not departed and none of its flights is cancelled.
    BeforeDeparture,
    /// Its first flight left (the passenger flew it or did not show).
    Departed,
    /// The airline cancelled one of its flights: refunded in full.
    CancelledByAirline,
}

/// One passenger's part of one slice, as paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaidPart {
    pub brand: FareBrand,
    /// After any discount: what this part of the booking actually paid.
    pub paid: i64,
    /// The statutory taxes inside `paid`.
    pub taxes: i64,
    /// An infant on a lap pays no penalty.
    pub lap: bool,
    pub state: SliceState,
}

/// What giving up one part returns and keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PartRefund {
    pub refund: i64,
    pub penalty: i64,
}

/// The refund of one part under its brand's conditions: in full when the
/// airline cancelled; before departure what was paid less the penalty (the
/// penalty at most what was paid); after departure the taxes only.
pub fn refund_of(part: &PaidPart) -> PartRefund {
    match part.state {
        SliceState::CancelledByAirline => PartRefund { refund: part.paid, penalty: 0 },
        SliceState::Departed => {
            let refund = part.taxes.clamp(0, part.paid);
            PartRefund { refund, penalty: part.paid - refund }
        }
        SliceState::BeforeDeparture => {
            let rule = part.brand.conditions().refund_before_departure;
            if !rule.allowed {
                return PartRefund { refund: 0, penalty: part.paid };
            }
            let penalty = if part.lap { 0 } else { rule.penalty.min(part.paid) };
            PartRefund { refund: part.paid - penalty, penalty }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(brand: FareBrand, paid: i64, state: SliceState) -> PaidPart {
        PaidPart { brand, paid, taxes: paid * 5 / 105, lap: false, state }
    }

    #[test]
    fn each_cabin_sells_its_brands_and_a_choice_maps_onto_every_cabin() {
        assert_eq!(FareBrand::default_in(Cabin::Economy), FareBrand::Saver);
        assert_eq!(FareBrand::default_in(Cabin::Business), FareBrand::Flex);
        assert_eq!(FareBrand::Flexi.in_cabin(Cabin::PremiumEconomy), Some(FareBrand::Flexi));
        assert_eq!(FareBrand::Saver.in_cabin(Cabin::Business), Some(FareBrand::Flex));
        assert_eq!(FareBrand::Flexi.in_cabin(Cabin::First), Some(FareBrand::Flex));
        assert_eq!(FareBrand::Flex.in_cabin(Cabin::Economy), None);
        assert_eq!(FareBrand::parse(" flexi "), Some(FareBrand::Flexi));
        assert_eq!(FareBrand::parse("basic"), None);
    }

    #[test]
    fn saver_is_the_published_fare_and_flexi_fifteen_percent_more_in_whole_rupees() {
        assert_eq!(FareBrand::Saver.price(450_000), 450_000);
        assert_eq!(FareBrand::Flex.price(1_800_000), 1_800_000);
        assert_eq!(FareBrand::Flexi.price(450_000), 517_500);
        // 4,999.99 × 1.15 = 5,749.9885: up to the next rupee.
        assert_eq!(FareBrand::Flexi.price(499_999), 575_000);
        assert_eq!(FareBrand::Flexi.price(0), 0);
    }

    #[test]
    fn before_departure_the_brand_penalty_is_kept_never_more_than_was_paid() {
        assert_eq!(
            refund_of(&part(FareBrand::Saver, 500_000, SliceState::BeforeDeparture)),
            PartRefund { refund: 150_000, penalty: 350_000 }
        );
        assert_eq!(
            refund_of(&part(FareBrand::Flexi, 500_000, SliceState::BeforeDeparture)),
            PartRefund { refund: 350_000, penalty: 150_000 }
        );
        assert_eq!(
            refund_of(&part(FareBrand::Flex, 2_000_000, SliceState::BeforeDeparture)),
            PartRefund { refund: 2_000_000, penalty: 0 }
        );
        assert_eq!(
            refund_of(&part(FareBrand::Saver, 200_000, SliceState::BeforeDeparture)),
            PartRefund { refund: 0, penalty: 200_000 }
        );
        let lap = PaidPart { lap: true, ..part(FareBrand::Saver, 45_000, SliceState::BeforeDeparture) };
        assert_eq!(refund_of(&lap), PartRefund { refund: 45_000, penalty: 0 });
    }

    #[test]
    fn after_departure_only_the_taxes_come_back_and_an_airline_cancellation_refunds_all() {
        let flown = part(FareBrand::Flex, 2_100_000, SliceState::Departed);
        assert_eq!(refund_of(&flown), PartRefund { refund: 100_000, penalty: 2_000_000 });
        assert_eq!(
            refund_of(&part(FareBrand::Saver, 500_000, SliceState::CancelledByAirline)),
            PartRefund { refund: 500_000, penalty: 0 }
        );
    }
}
