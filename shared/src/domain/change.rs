//! What a voluntary change of one slice costs: the new flights' fares
//! against what the slice's passengers paid for it, plus the brand's change
//! penalty for each passenger with a seat. A positive total is charged; a
//! negative one (cheaper flights) is refunded, never more than was paid
//! and not yet refunded.

use super::fares::FareBrand;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangeFigures {
    /// New fares less the fares paid for the slice (negative: cheaper).
    pub fare_difference: i64,
    pub penalty: i64,
    /// `fare_difference + penalty`, but a refund is capped at what can
    /// still go back.
    pub total_due: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeRefused {
    /// The brand does not allow changes.
    NotAllowed(FareBrand),
}

/// The figures of changing a slice priced `old_fares` (seats and lap fares
/// as paid) to new flights priced `new_fares` for `seated` passengers with
/// a seat, under `brand` as the slice's cabin sells it; `refundable` is what
/// was paid and not yet refunded.
pub fn change_figures(
    brand: FareBrand,
    old_fares: i64,
    new_fares: i64,
    seated: usize,
    refundable: i64,
) -> Result<ChangeFigures, ChangeRefused> {
    let rule = brand.conditions().change_before_departure;
    if !rule.allowed {
        return Err(ChangeRefused::NotAllowed(brand));
    }
    let fare_difference = new_fares - old_fares;
    let penalty = rule.penalty * seated as i64;
    let total_due = (fare_difference + penalty).max(-refundable.max(0));
    Ok(ChangeFigures { fare_difference, penalty, total_due })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dearer_flight_costs_the_difference_and_the_saver_penalty_per_seated_passenger() {
        let figures = change_figures(FareBrand::Saver, 900_000, 1_000_000, 2, 900_000).unwrap();
        assert_eq!(figures, ChangeFigures { fare_difference: 100_000, penalty: 600_000, total_due: 700_000 });
        let flexi = change_figures(FareBrand::Flexi, 900_000, 1_000_000, 2, 900_000).unwrap();
        assert_eq!(flexi.total_due, 100_000, "Flexi changes free");
    }

    #[test]
    fn a_cheaper_flight_refunds_the_difference_less_the_penalty_never_more_than_is_left() {
        let flex = change_figures(FareBrand::Flex, 2_000_000, 1_500_000, 1, 2_000_000).unwrap();
        assert_eq!(flex.total_due, -500_000);
        let saver = change_figures(FareBrand::Saver, 900_000, 700_000, 1, 900_000).unwrap();
        assert_eq!(saver.total_due, 100_000, "the penalty outweighs the difference: still charged");
        let capped = change_figures(FareBrand::Flex, 2_000_000, 0, 1, 300_000).unwrap();
        assert_eq!(capped.total_due, -300_000, "only what was paid and not refunded goes back");
    }
}
