//! Paid seats: what choosing a seat costs on top of its fare.
//!
//! A seat is one product, from its characteristics in the aircraft's layout:
//! extra legroom (exit rows with the legroom included), an exit row without
//! it, a front row the airline sells as such, or a standard seat. Choosing a
//! standard seat costs in Saver and nothing in Flexi or Flex; the others cost
//! the same in every brand. Business and first include seat choice.
//!
//! Only a seat the customer chose costs: named in the booking request or
//! held before it. A seat we assign is free, as at check-in. The original
//! specification's booking body (a count of seats) sold seats with the
//! choice of a standard one included, so it still does; its paid seats cost
//! what they cost in any other shape.
//!
//! The price list is in INR, the currency every fare here is sold in; a fare
//! in another currency has no seat price list, so its seats cost nothing.

use super::fares::FareBrand;
use super::seating::{Cabin, Seat};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SeatProduct {
    Standard,
    FrontRow,
    ExitRow,
    ExtraLegroom,
}

/// How a seat came to its passenger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatChoice {
    /// Named in the request or held by the customer before it.
    Chosen,
    /// Held by the customer and booked with the original body's count.
    ChosenWithStandardIncluded,
    /// Assigned by us.
    Assigned,
}

/// The currency of the price list.
pub const PRICE_LIST_CURRENCY: &str = "INR";

impl SeatProduct {
    pub const ALL: [SeatProduct; 4] =
        [SeatProduct::Standard, SeatProduct::FrontRow, SeatProduct::ExitRow, SeatProduct::ExtraLegroom];

    pub fn of(seat: &Seat) -> SeatProduct {
        if seat.extra_legroom {
            SeatProduct::ExtraLegroom
        } else if seat.exit_row {
            SeatProduct::ExitRow
        } else if seat.front_row {
            SeatProduct::FrontRow
        } else {
            SeatProduct::Standard
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SeatProduct::Standard => "STANDARD",
            SeatProduct::FrontRow => "FRONT_ROW",
            SeatProduct::ExitRow => "EXIT_ROW",
            SeatProduct::ExtraLegroom => "EXTRA_LEGROOM",
        }
    }

    pub fn parse(raw: &str) -> Option<SeatProduct> {
        SeatProduct::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    /// As printed on an invoice line.
    pub fn description(self) -> &'static str {
        match self {
            SeatProduct::Standard => "Standard seat",
            SeatProduct::FrontRow => "Front row seat",
            SeatProduct::ExitRow => "Exit row seat",
            SeatProduct::ExtraLegroom => "Extra legroom seat",
        }
    }

    /// What choosing this seat costs, in paise, in `cabin` under `brand`.
    pub fn charge(self, cabin: Cabin, brand: FareBrand) -> i64 {
        if matches!(cabin, Cabin::Business | Cabin::First) {
            return 0;
        }
        match self {
            SeatProduct::ExtraLegroom => 120_000,
            SeatProduct::ExitRow => 90_000,
            SeatProduct::FrontRow => 60_000,
            SeatProduct::Standard if brand.conditions().standard_seat_selection_free => 0,
            SeatProduct::Standard => 30_000,
        }
    }
}

/// What a booked seat's choice costs: its product and charge, or `None`
/// when it costs nothing.
pub fn seat_charge(seat: &Seat, brand: FareBrand, choice: SeatChoice, currency: &str) -> Option<(SeatProduct, i64)> {
    let product = SeatProduct::of(seat);
    let charged = match choice {
        SeatChoice::Assigned => false,
        SeatChoice::ChosenWithStandardIncluded => product != SeatProduct::Standard,
        SeatChoice::Chosen => true,
    };
    let brand = brand.in_cabin(seat.cabin).unwrap_or(FareBrand::default_in(seat.cabin));
    let charge = product.charge(seat.cabin, brand);
    (charged && currency == PRICE_LIST_CURRENCY && charge > 0).then_some((product, charge))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seating::SeatPosition;

    fn seat(cabin: Cabin, front_row: bool, exit_row: bool, extra_legroom: bool) -> Seat {
        Seat {
            number: "3A".into(),
            row: 3,
            letter: 'A',
            cabin,
            position: SeatPosition::Window,
            exit_row,
            extra_legroom,
            front_row,
        }
    }

    #[test]
    fn a_seat_is_the_best_product_it_has() {
        assert_eq!(SeatProduct::of(&seat(Cabin::Economy, true, true, true)), SeatProduct::ExtraLegroom);
        assert_eq!(SeatProduct::of(&seat(Cabin::Economy, true, true, false)), SeatProduct::ExitRow);
        assert_eq!(SeatProduct::of(&seat(Cabin::Economy, true, false, false)), SeatProduct::FrontRow);
        assert_eq!(SeatProduct::of(&seat(Cabin::Economy, false, false, false)), SeatProduct::Standard);
        for product in SeatProduct::ALL {
            assert_eq!(SeatProduct::parse(product.as_str()), Some(product));
        }
    }

    #[test]
    fn standard_seats_are_free_in_flexi_and_paid_seats_cost_in_every_brand() {
        let standard = seat(Cabin::Economy, false, false, false);
        let legroom = seat(Cabin::Economy, false, true, true);
        let chosen = |s: &Seat, brand| seat_charge(s, brand, SeatChoice::Chosen, "INR");
        assert_eq!(chosen(&standard, FareBrand::Saver), Some((SeatProduct::Standard, 30_000)));
        assert_eq!(chosen(&standard, FareBrand::Flexi), None);
        assert_eq!(chosen(&legroom, FareBrand::Saver), Some((SeatProduct::ExtraLegroom, 120_000)));
        assert_eq!(chosen(&legroom, FareBrand::Flexi), Some((SeatProduct::ExtraLegroom, 120_000)));
        assert_eq!(
            chosen(&seat(Cabin::PremiumEconomy, true, false, false), FareBrand::Saver),
            Some((SeatProduct::FrontRow, 60_000))
        );
    }

    #[test]
    fn business_and_first_include_the_choice_of_seat() {
        for cabin in [Cabin::Business, Cabin::First] {
            let front = seat(cabin, true, true, true);
            for brand in FareBrand::ALL {
                assert_eq!(seat_charge(&front, brand, SeatChoice::Chosen, "INR"), None);
            }
        }
    }

    #[test]
    fn assigned_seats_are_free_and_the_original_count_includes_standard_ones() {
        let standard = seat(Cabin::Economy, false, false, false);
        let exit = seat(Cabin::Economy, false, true, false);
        let charge = |s: &Seat, choice| seat_charge(s, FareBrand::Saver, choice, "INR").map(|(_, c)| c);
        assert_eq!(charge(&exit, SeatChoice::Assigned), None);
        assert_eq!(charge(&standard, SeatChoice::Assigned), None);
        assert_eq!(charge(&standard, SeatChoice::ChosenWithStandardIncluded), None);
        assert_eq!(charge(&exit, SeatChoice::ChosenWithStandardIncluded), Some(90_000));
    }

    #[test]
    fn fares_outside_the_price_lists_currency_carry_no_seat_charge() {
        let legroom = seat(Cabin::Economy, false, false, true);
        assert_eq!(seat_charge(&legroom, FareBrand::Saver, SeatChoice::Chosen, "USD"), None);
    }
}
