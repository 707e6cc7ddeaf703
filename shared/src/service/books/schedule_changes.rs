//! The port of answering an airline's schedule change
//! (`service::schedule_changes::resolve`): accept, refund or rebook, once,
//! over the locked booking and the locked change.

use super::{CancellationBooks, PgBooks};
use crate::domain::schedule_change::ScheduleChangeStatus;
use crate::store::bookings::ReleasedSeat;
use crate::store::schedule_changes::{self, MoveSeatsError, ScheduleChangeRow};
use crate::store::tickets;
use crate::ApiError;
use std::future::Future;

/// What resolving an airline's schedule change writes, beside what a
/// refund does.
pub trait ScheduleChangeBooks: CancellationBooks {
    /// The change, locked until the transaction ends.
    fn lock_change(
        &mut self,
        change_id: i64,
    ) -> impl Future<Output = Result<Option<ScheduleChangeRow>, ApiError>> + Send;
    /// Records the customer's answer (the change was open under its lock).
    fn resolve_change(
        &mut self,
        change_id: i64,
        status: ScheduleChangeStatus,
        rebooked_to: Option<i64>,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// Moves the booking's seats from one flight to another (the seat for
    /// the passenger at `positions[i]` is `seats[i]`); see
    /// `store::schedule_changes::move_seats`.
    fn move_seats(
        &mut self,
        booking_id: i64,
        flights: (i64, i64),
        positions: &[i32],
        seats: &[String],
    ) -> impl Future<Output = Result<Vec<ReleasedSeat>, MoveSeatsError>> + Send;
    /// Voids the slice's issued tickets and issues new ones.
    fn reissue_tickets(&mut self, booking_id: i64, slice: i32) -> impl Future<Output = Result<u64, ApiError>> + Send;
}

impl ScheduleChangeBooks for PgBooks<'_, '_> {
    async fn lock_change(&mut self, change_id: i64) -> Result<Option<ScheduleChangeRow>, ApiError> {
        Ok(schedule_changes::lock(&self.tx, change_id).await?)
    }

    async fn resolve_change(
        &mut self,
        change_id: i64,
        status: ScheduleChangeStatus,
        rebooked_to: Option<i64>,
    ) -> Result<(), ApiError> {
        Ok(schedule_changes::resolve(&self.tx, change_id, status, rebooked_to).await?)
    }

    async fn move_seats(
        &mut self,
        booking_id: i64,
        flights: (i64, i64),
        positions: &[i32],
        seats: &[String],
    ) -> Result<Vec<ReleasedSeat>, MoveSeatsError> {
        schedule_changes::move_seats(&self.tx, booking_id, flights, positions, seats).await
    }

    async fn reissue_tickets(&mut self, booking_id: i64, slice: i32) -> Result<u64, ApiError> {
        Ok(tickets::reissue_slice(&self.tx, booking_id, slice).await?)
    }
}
