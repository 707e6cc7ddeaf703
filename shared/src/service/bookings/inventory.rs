//! The seat inventory a booking draws on: it holds the seats a booking
//! names, or chooses and holds free ones for a count, re-reading the seats
//! and choosing again when a racer takes one in between, and gives back
//! what it newly held when the booking fails.
//!
//! It sees seats through one small port, [`SeatLedger`]: [`LiveSeats`] is
//! Redis in front of Postgres; the unit tests below use an in-memory ledger
//! whose seats are taken by a racer between the read and the hold.

use crate::domain::booking::assign_seats;
use crate::domain::flight::FlightStatus;
use crate::domain::ids::{FlightId, UserId};
use crate::domain::seating::{Cabin, SeatNumber, SeatPlan};
use crate::service::seats::{hold_refused, hold_seats, new_hold_id, not_bookable, seat_state};
use crate::store::seat_holds::{HoldOutcome, SeatState};
use crate::ErrorCode;
use crate::{ApiError, Services};
use std::collections::HashSet;
use std::future::Future;

/// Concurrent bookings by count tend to choose the same free seats; each
/// retry re-reads the seats and skips those seen taken, after a short
/// random pause that spreads the contenders out.
const ASSIGNMENT_ATTEMPTS: usize = 10;

/// The seats of a flight as the inventory needs them.
pub trait SeatLedger {
    /// Sold seats, unexpired holds and the flight's status.
    fn state(&self, flight_id: i64) -> impl Future<Output = Result<SeatState, ApiError>> + Send;
    /// Who holds each seat, if anyone.
    fn holders(
        &self,
        flight_id: i64,
        seats: &[String],
    ) -> impl Future<Output = Result<Vec<Option<i64>>, ApiError>> + Send;
    /// Holds all of `seats` for `user_id` or none; a refusal says why.
    fn hold(
        &self,
        user: UserId,
        flight: FlightId,
        seats: &[String],
        cap: usize,
    ) -> impl Future<Output = Result<Result<(), HoldOutcome>, ApiError>> + Send;
    fn release(
        &self,
        flight: FlightId,
        user: UserId,
        seats: &[String],
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
}

/// What one leg of a booking asks of the inventory.
pub struct SeatRequest<'a> {
    pub flight_id: i64,
    pub plan: &'a SeatPlan,
    /// Seats the client named (normalised, on this aircraft); empty: choose.
    pub named: &'a [String],
    pub count: usize,
    pub cabin: Option<Cabin>,
    /// Most seats one customer may hold on the flight at once.
    pub cap: usize,
}

/// Seats held for one leg of a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldSeats {
    pub flight_id: i64,
    /// In passenger order.
    pub seats: Vec<String>,
    /// Those this request held (the others the caller held before): given
    /// back if the booking fails.
    pub newly_held: Vec<String>,
}

/// Holds the leg's seats for the caller: the named ones, or `count` chosen
/// ones (the caller's own holds first, then the best free seats).
pub async fn hold_for_booking(
    ledger: &impl SeatLedger,
    user_id: i64,
    request: SeatRequest<'_>,
) -> Result<HeldSeats, ApiError> {
    let SeatRequest { flight_id, plan, named, count, cabin, cap } = request;
    if !named.is_empty() {
        let holders = ledger.holders(flight_id, named).await?;
        let newly_held =
            named.iter().zip(holders).filter(|(_, h)| *h != Some(user_id)).map(|(s, _)| s.clone()).collect();
        return match ledger.hold(UserId(user_id), FlightId(flight_id), named, cap).await? {
            Ok(()) => Ok(HeldSeats { flight_id, seats: named.to_vec(), newly_held }),
            Err(refused) => Err(hold_refused(flight_id, refused, cap)),
        };
    }

    let mut seen_taken: HashSet<String> = HashSet::new();
    for attempt in 0..ASSIGNMENT_ATTEMPTS {
        if attempt > 0 {
            let pause = rand::Rng::gen_range(&mut rand::thread_rng(), 1..=15 * attempt as u64);
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        }
        let state = ledger.state(flight_id).await?;
        if let Some(status) = state.status.as_deref().filter(|s| *s != FlightStatus::Scheduled.as_str()) {
            return Err(not_bookable(flight_id, status));
        }
        // A hold of the caller's over a seat already sold is left over from
        // a booking cut short between its commit and its Redis update: the
        // seat is not the caller's to use again.
        let mut held: Vec<String> = state
            .holds
            .iter()
            .filter(|(seat, holder)| **holder == user_id && !state.sold.contains_key(*seat))
            .map(|(s, _)| s.clone())
            .collect();
        held.sort();
        let mut chosen: Vec<String> = held.iter().take(count).cloned().collect();
        if chosen.len() < count {
            let cabin =
                cabin.or_else(|| chosen.first().and_then(|s| plan.find(s)).map(|s| s.cabin)).unwrap_or(Cabin::Economy);
            let mut unavailable: HashSet<String> = state.sold.keys().cloned().collect();
            unavailable.extend(state.holds.iter().filter(|(_, h)| **h != user_id).map(|(s, _)| s.clone()));
            unavailable.extend(chosen.iter().cloned());
            unavailable.extend(seen_taken.iter().filter(|s| !held.contains(*s)).cloned());
            let mut near: Vec<u16> = chosen.iter().filter_map(|s| SeatNumber::parse(s)).map(|s| s.row).collect();
            // Everyone who lost a race computes the same next-best seat;
            // with many racers some lose every round although the cabin
            // has room. After a lost race, start from a random row instead.
            if near.is_empty() && attempt > 0 {
                let rows: Vec<u16> = plan.seats().iter().filter(|s| s.cabin == cabin).map(|s| s.row).collect();
                near.extend(rand::seq::SliceRandom::choose(rows.as_slice(), &mut rand::thread_rng()));
            }
            let extra =
                assign_seats(&plan.layout, cabin, count - chosen.len(), &unavailable, &near).ok_or_else(|| {
                    ApiError::conflict(
                        ErrorCode::NotEnoughSeats,
                        format!("flight {flight_id} has fewer than {} free {cabin} seats", count - chosen.len()),
                    )
                })?;
            chosen.extend(extra);
        }
        let newly_held: Vec<String> = chosen.iter().filter(|s| !held.contains(s)).cloned().collect();
        match ledger.hold(UserId(user_id), FlightId(flight_id), &chosen, cap).await? {
            Ok(()) => return Ok(HeldSeats { flight_id, seats: chosen, newly_held }),
            // Someone took an automatically chosen seat meanwhile: choose again.
            Err(HoldOutcome::Taken(taken)) => seen_taken.extend(taken),
            Err(refused) => return Err(hold_refused(flight_id, refused, cap)),
        }
    }
    Err(ApiError::conflict(
        ErrorCode::SeatUnavailable,
        format!("seats on flight {flight_id} kept being taken; try again"),
    ))
}

/// Gives back what a failed booking newly held (best effort: holds expire
/// on their own).
pub async fn give_back(ledger: &impl SeatLedger, user_id: i64, held: &[HeldSeats]) {
    for leg in held {
        if let Err(e) = ledger.release(FlightId(leg.flight_id), UserId(user_id), &leg.newly_held).await {
            tracing::warn!(error = %e, flight_id = leg.flight_id, "could not give back seat holds; they expire on their own");
        }
    }
}

/// The live ledger: Redis holds in front of what Postgres sold.
pub struct LiveSeats<'a> {
    pub svc: &'a Services,
}

impl SeatLedger for LiveSeats<'_> {
    async fn state(&self, flight_id: i64) -> Result<SeatState, ApiError> {
        seat_state(self.svc, flight_id).await
    }

    async fn holders(&self, flight_id: i64, seats: &[String]) -> Result<Vec<Option<i64>>, ApiError> {
        Ok(self.svc.seat_holds().holders(flight_id, seats).await?)
    }

    async fn hold(
        &self,
        user: UserId,
        flight: FlightId,
        seats: &[String],
        cap: usize,
    ) -> Result<Result<(), HoldOutcome>, ApiError> {
        Ok(hold_seats(self.svc, user, flight, &new_hold_id(flight.0), seats, cap).await?.map(|_| ()))
    }

    async fn release(&self, flight: FlightId, user: UserId, seats: &[String]) -> Result<(), ApiError> {
        self.svc.seat_holds().release(flight, user, seats).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seating::SeatLayout;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// Seats in memory. `racer` takes the next `steal` chosen seats for
    /// another customer between a read and the hold, as a concurrent
    /// booking would.
    #[derive(Default)]
    struct MemoryLedger {
        status: Option<&'static str>,
        sold: Mutex<HashMap<String, i64>>,
        holds: Mutex<HashMap<String, i64>>,
        steal: Mutex<usize>,
    }

    const RACER: i64 = 99;

    impl SeatLedger for MemoryLedger {
        async fn state(&self, _flight_id: i64) -> Result<SeatState, ApiError> {
            Ok(SeatState {
                status: Some(self.status.unwrap_or("SCHEDULED").to_string()),
                sold: self.sold.lock().unwrap().clone(),
                holds: self.holds.lock().unwrap().clone(),
                version: "1".into(),
            })
        }

        async fn holders(&self, _flight_id: i64, seats: &[String]) -> Result<Vec<Option<i64>>, ApiError> {
            let holds = self.holds.lock().unwrap();
            Ok(seats.iter().map(|s| holds.get(s).copied()).collect())
        }

        async fn hold(
            &self,
            UserId(user_id): UserId,
            _flight: FlightId,
            seats: &[String],
            cap: usize,
        ) -> Result<Result<(), HoldOutcome>, ApiError> {
            let mut holds = self.holds.lock().unwrap();
            let mut steal = self.steal.lock().unwrap();
            if *steal > 0 {
                *steal -= 1;
                holds.insert(seats[0].clone(), RACER);
            }
            let sold = self.sold.lock().unwrap();
            let taken: Vec<String> = seats
                .iter()
                .filter(|s| sold.contains_key(*s) || holds.get(*s).is_some_and(|h| *h != user_id))
                .cloned()
                .collect();
            if !taken.is_empty() {
                return Ok(Err(HoldOutcome::Taken(taken)));
            }
            let already = holds.values().filter(|h| **h == user_id).count();
            let new = seats.iter().filter(|s| holds.get(*s) != Some(&user_id)).count();
            if already + new > cap {
                return Ok(Err(HoldOutcome::OverCap { already }));
            }
            for seat in seats {
                holds.insert(seat.clone(), user_id);
            }
            Ok(Ok(()))
        }

        async fn release(&self, _flight: FlightId, UserId(user_id): UserId, seats: &[String]) -> Result<(), ApiError> {
            let mut holds = self.holds.lock().unwrap();
            for seat in seats {
                if holds.get(seat) == Some(&user_id) {
                    holds.remove(seat);
                }
            }
            Ok(())
        }
    }

    fn plan() -> SeatPlan {
        let layout: SeatLayout = serde_json::from_value(serde_json::json!({"cabins": [
            {"cabin": "BUSINESS", "firstRow": 1, "lastRow": 1, "letters": "AC", "aisleAfter": ["A"]},
            {"cabin": "ECONOMY", "firstRow": 2, "lastRow": 4, "letters": "ABC", "aisleAfter": ["B"]}
        ]}))
        .unwrap();
        SeatPlan::new(layout)
    }

    fn by_count(plan: &SeatPlan, count: usize) -> SeatRequest<'_> {
        SeatRequest { flight_id: 7, plan, named: &[], count, cabin: Some(Cabin::Economy), cap: 9 }
    }

    const ME: i64 = 1;

    #[tokio::test]
    async fn a_count_gets_free_seats_of_the_cabin_and_holds_them() {
        let ledger = MemoryLedger::default();
        ledger.sold.lock().unwrap().insert("2A".into(), 500);
        let plan = plan();
        let held = hold_for_booking(&ledger, ME, by_count(&plan, 2)).await.unwrap();
        assert_eq!(held.seats.len(), 2);
        assert!(!held.seats.contains(&"2A".to_string()), "a sold seat is never chosen");
        assert!(held.seats.iter().all(|s| plan.find(s).unwrap().cabin == Cabin::Economy));
        assert_eq!(held.newly_held, held.seats);
        let holds = ledger.holds.lock().unwrap();
        assert!(held.seats.iter().all(|s| holds.get(s) == Some(&ME)));
    }

    #[tokio::test]
    async fn the_callers_own_holds_come_first_and_are_not_given_back() {
        let ledger = MemoryLedger::default();
        ledger.holds.lock().unwrap().insert("4C".into(), ME);
        let plan = plan();
        let held = hold_for_booking(&ledger, ME, by_count(&plan, 2)).await.unwrap();
        assert_eq!(held.seats[0], "4C");
        assert!(!held.newly_held.contains(&"4C".to_string()));
        give_back(&ledger, ME, std::slice::from_ref(&held)).await;
        let holds = ledger.holds.lock().unwrap();
        assert_eq!(holds.get("4C"), Some(&ME), "the hold made before the booking stays");
        assert_eq!(holds.len(), 1);
    }

    #[tokio::test]
    async fn seats_taken_between_the_read_and_the_hold_are_chosen_around() {
        let ledger = MemoryLedger { steal: Mutex::new(3), ..Default::default() };
        let plan = plan();
        let held = hold_for_booking(&ledger, ME, by_count(&plan, 2)).await.unwrap();
        let holds = ledger.holds.lock().unwrap();
        let racers: Vec<&String> = holds.iter().filter(|(_, h)| **h == RACER).map(|(s, _)| s).collect();
        assert_eq!(racers.len(), 3);
        assert!(held.seats.iter().all(|s| !racers.contains(&s)), "never a seat the racer holds: {held:?}");
        assert!(held.seats.iter().all(|s| holds.get(s) == Some(&ME)));
    }

    #[tokio::test]
    async fn a_full_cabin_and_a_closed_flight_are_refused() {
        let ledger = MemoryLedger::default();
        for seat in ["2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B"] {
            ledger.sold.lock().unwrap().insert(seat.into(), 500);
        }
        let plan = plan();
        let refused = hold_for_booking(&ledger, ME, by_count(&plan, 2)).await.unwrap_err();
        assert_eq!(refused.error_code(), ErrorCode::NotEnoughSeats);

        let closed = MemoryLedger { status: Some("CANCELLED"), ..Default::default() };
        let refused = hold_for_booking(&closed, ME, by_count(&plan, 1)).await.unwrap_err();
        assert_eq!(refused.error_code(), ErrorCode::FlightNotBookable);
    }

    #[tokio::test]
    async fn named_seats_are_held_as_named_or_refused_as_taken() {
        let ledger = MemoryLedger::default();
        ledger.holds.lock().unwrap().insert("3B".into(), RACER);
        let plan = plan();
        let named = ["2A".to_string(), "2B".to_string()];
        let request = SeatRequest { named: &named, ..by_count(&plan, 2) };
        let held = hold_for_booking(&ledger, ME, request).await.unwrap();
        assert_eq!(held.seats, named);

        let taken = ["3A".to_string(), "3B".to_string()];
        let request = SeatRequest { named: &taken, ..by_count(&plan, 2) };
        let refused = hold_for_booking(&ledger, ME, request).await.unwrap_err();
        assert_eq!(refused.error_code(), ErrorCode::SeatUnavailable);
        assert_eq!(ledger.holds.lock().unwrap().get("3A"), None, "all or nothing");

        let over = SeatRequest { named: &["4A".to_string()], cap: 2, ..by_count(&plan, 1) };
        let refused = hold_for_booking(&ledger, ME, over).await.unwrap_err();
        assert_eq!(refused.error_code(), ErrorCode::HoldLimitReached);
    }
}
