//! [`ScheduleChangeBooks`] over the in-memory ledger: a change is resolved
//! only while open (as `store::schedule_changes::resolve` insists), and a
//! rebooking moves the booking's live seats (and its fare lines and
//! flights, when the ledger has them) from one flight to the other under
//! Postgres's guards that matter to the rules: one live booking per seat,
//! no seats on a closed flight, something to move.

use super::MemoryBooks;
use crate::domain::cancellation::FareLine;
use crate::domain::schedule_change::ScheduleChangeStatus;
use crate::service::books::ScheduleChangeBooks;
use crate::store::bookings::ReleasedSeat;
use crate::store::schedule_changes::{MoveSeatsError, ScheduleChangeRow};
use crate::ApiError;
use chrono::Utc;

impl ScheduleChangeBooks for MemoryBooks<'_> {
    async fn lock_change(&mut self, change_id: i64) -> Result<Option<ScheduleChangeRow>, ApiError> {
        Ok(self.working.schedule_changes.get(&change_id).cloned())
    }

    async fn resolve_change(
        &mut self,
        change_id: i64,
        status: ScheduleChangeStatus,
        rebooked_to: Option<i64>,
    ) -> Result<(), ApiError> {
        let change = self
            .working
            .schedule_changes
            .get_mut(&change_id)
            .filter(|c| c.status == ScheduleChangeStatus::Open)
            .ok_or_else(|| ApiError::internal(format!("schedule change {change_id} was not open under its lock")))?;
        change.status = status;
        change.rebooked_to = rebooked_to;
        change.resolved_at = Some(Utc::now());
        Ok(())
    }

    async fn move_seats(
        &mut self,
        booking_id: i64,
        (from, to): (i64, i64),
        positions: &[i32],
        seats: &[String],
    ) -> Result<Vec<ReleasedSeat>, MoveSeatsError> {
        if self.working.closed_flights.contains(&to) {
            return Err(MoveSeatsError::FlightNotBookable);
        }
        let taken: Vec<String> = seats
            .iter()
            .filter(|seat| {
                self.working.seats.iter().any(|(other, live)| {
                    *other != booking_id && live.iter().any(|s| s.flight_id == to && &s.seat == *seat)
                })
            })
            .cloned()
            .collect();
        if !taken.is_empty() {
            return Err(MoveSeatsError::SeatTaken(taken));
        }
        let live = self.working.seats.entry(booking_id).or_default();
        let (released, kept): (Vec<ReleasedSeat>, Vec<ReleasedSeat>) =
            live.drain(..).partition(|s| s.flight_id == from);
        *live = kept;
        if released.is_empty() {
            return Err(MoveSeatsError::NothingToMove);
        }
        live.extend(seats.iter().map(|seat| ReleasedSeat { booking_id, flight_id: to, seat: seat.clone() }));
        if let Some(facts) = self.working.fares.get_mut(&booking_id) {
            let seat_of = |position: i32| positions.iter().position(|p| *p == position).map(|i| seats[i].clone());
            let mut taken_now: Vec<FareLine> = Vec::new();
            for line in facts.lines.iter_mut().filter(|l| l.flight_id == from && l.live) {
                if line.seat.is_none() {
                    // A lap fare follows its adult, as in Postgres.
                    line.flight_id = to;
                    continue;
                }
                line.live = false;
                taken_now.push(FareLine { flight_id: to, seat: seat_of(line.position), live: true, ..line.clone() });
            }
            facts.lines.extend(taken_now);
        }
        for flight in self.working.flights.entry(booking_id).or_default().iter_mut() {
            if flight.flight_id == from {
                flight.flight_id = to;
            }
        }
        Ok(released)
    }

    async fn reissue_tickets(&mut self, booking_id: i64, slice: i32) -> Result<u64, ApiError> {
        Ok(self.reissue_slice(booking_id, slice).len() as u64)
    }
}
