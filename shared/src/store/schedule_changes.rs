//! Airline-initiated schedule changes in Postgres: retiming a flight, the
//! changes its paid bookings get, the alternatives on its route, and moving
//! a booking's seats to one of them in the caller's transaction (the same
//! guards as `book_seats`: the cabin count's CHECK and the partial unique
//! index on live seats).

use super::bookings::ReleasedSeat;
use super::pg_errors::{self, CheckConstraint, UniqueConstraint};
use super::StoreError;
use crate::domain::booking::BookingStatus;
use crate::domain::schedule_change::ScheduleChangeStatus;
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool, Transaction};

/// A flight's times: (departure, arrival).
pub type Times = (DateTime<Utc>, DateTime<Utc>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetimeOutcome {
    NotFound,
    Cancelled,
    Departed,
    /// Another flight of the same number leaves at that time.
    NumberTaken,
    /// The flight already has these times: nothing changed.
    Unchanged,
    Retimed {
        previous: Times,
    },
}

/// Retimes a scheduled flight that has not left, under a row lock (no key
/// update: bookings referencing the flight are not blocked).
#[tracing::instrument(name = "postgres.schedule_changes.retime_flight", level = "debug", skip_all, fields(flight_id = flight_id))]
pub async fn retime_flight(tx: &Transaction<'_>, flight_id: i64, new: Times) -> Result<RetimeOutcome, StoreError> {
    let Some(row) = tx
        .query_opt("SELECT status, departs_at, arrives_at FROM flights WHERE id = $1 FOR NO KEY UPDATE", &[&flight_id])
        .await?
    else {
        return Ok(RetimeOutcome::NotFound);
    };
    let (status, departs_at, arrives_at): (String, DateTime<Utc>, DateTime<Utc>) = (row.get(0), row.get(1), row.get(2));
    match status.as_str() {
        "CANCELLED" => return Ok(RetimeOutcome::Cancelled),
        "SCHEDULED" if departs_at > Utc::now() => {}
        _ => return Ok(RetimeOutcome::Departed),
    }
    if (departs_at, arrives_at) == new {
        return Ok(RetimeOutcome::Unchanged);
    }
    let updated = tx
        .execute("UPDATE flights SET departs_at = $2, arrives_at = $3 WHERE id = $1", &[&flight_id, &new.0, &new.1])
        .await;
    match updated {
        Ok(_) => Ok(RetimeOutcome::Retimed { previous: (departs_at, arrives_at) }),
        Err(e) if pg_errors::is_unique_violation(&e, UniqueConstraint::FlightNumberOncePerDeparture) => {
            Ok(RetimeOutcome::NumberTaken)
        }
        Err(e) => Err(e.into()),
    }
}

/// A live booking with seats on a flight.
#[derive(Clone, Debug)]
pub struct BookingOnFlight {
    pub booking_id: i64,
    pub user_id: i64,
    pub pnr: String,
    pub status: BookingStatus,
}

/// Locks the live bookings with seats on the flight, in id order. A retime
/// takes them before it updates the flight: the update locks the flight's
/// row against the foreign-key checks of every booking writing seats or
/// tickets on it, and those hold their booking's lock first, so taking the
/// bookings after the flight would wait in a cycle.
#[tracing::instrument(name = "postgres.schedule_changes.lock_bookings_on", level = "debug", skip_all, fields(flight_id = flight_id))]
pub async fn lock_bookings_on(tx: &Transaction<'_>, flight_id: i64) -> Result<u64, StoreError> {
    let locked = tx
        .execute(
            "SELECT id FROM bookings
              WHERE id IN (SELECT booking_id FROM booking_seats WHERE flight_id = $1 AND live)
                AND status IN ('PENDING_PAYMENT', 'PAID')
              ORDER BY id FOR UPDATE",
            &[&flight_id],
        )
        .await?;
    Ok(locked)
}

/// Live bookings (unpaid or paid) with seats on the flight.
#[tracing::instrument(name = "postgres.schedule_changes.live_bookings_on", level = "debug", skip_all, fields(flight_id = flight_id))]
pub async fn live_bookings_on(client: &impl GenericClient, flight_id: i64) -> Result<Vec<BookingOnFlight>, StoreError> {
    let rows = client
        .query(
            "SELECT DISTINCT b.id, b.user_id, b.pnr, b.status FROM bookings b JOIN booking_seats s ON s.booking_id = b.id
             WHERE s.flight_id = $1 AND s.live AND b.status IN ('PENDING_PAYMENT', 'PAID') ORDER BY b.id",
            &[&flight_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let status: String = r.get(3);
            Ok(BookingOnFlight {
                booking_id: r.get(0),
                user_id: r.get(1),
                pnr: r.get(2),
                status: BookingStatus::parse(&status)
                    .ok_or_else(|| StoreError::internal(format!("unknown status {status}")))?,
            })
        })
        .collect()
}

/// One leg a booking holds live seats on, with its flight's current times.
#[derive(Clone, Debug)]
pub struct JourneyRow {
    pub slice: i32,
    pub leg: i32,
    pub flight_id: i64,
    pub flight_number: String,
    pub origin: String,
    pub destination: String,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
}

/// The booking's live legs in slice and leg order.
#[tracing::instrument(name = "postgres.schedule_changes.journey_of", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn journey_of(client: &impl GenericClient, booking_id: i64) -> Result<Vec<JourneyRow>, StoreError> {
    let rows = client
        .query(
            "SELECT DISTINCT s.slice, s.leg, f.id, f.flight_number, f.origin, f.destination, f.departs_at, f.arrives_at
             FROM booking_seats s JOIN flights f ON f.id = s.flight_id
             WHERE s.booking_id = $1 AND s.live ORDER BY s.slice, s.leg",
            &[&booking_id],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| JourneyRow {
            slice: r.get(0),
            leg: r.get(1),
            flight_id: r.get(2),
            flight_number: r.get(3),
            origin: r.get(4),
            destination: r.get(5),
            departs_at: r.get(6),
            arrives_at: r.get(7),
        })
        .collect())
}

#[derive(Clone, Debug)]
pub struct ScheduleChangeRow {
    pub id: i64,
    pub booking_id: i64,
    pub flight_id: i64,
    pub flight_number: String,
    pub previous: Times,
    pub new: Times,
    pub status: ScheduleChangeStatus,
    pub accept_allowed: bool,
    pub rebooked_to: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

const CHANGE_COLUMNS: &str = "c.id, c.booking_id, c.flight_id, f.flight_number, c.previous_departs_at,
    c.previous_arrives_at, c.new_departs_at, c.new_arrives_at, c.status, c.accept_allowed, c.rebooked_to,
    c.created_at, c.resolved_at";

fn change_from_row(r: &tokio_postgres::Row) -> Result<ScheduleChangeRow, StoreError> {
    let status: String = r.get(8);
    Ok(ScheduleChangeRow {
        id: r.get(0),
        booking_id: r.get(1),
        flight_id: r.get(2),
        flight_number: r.get(3),
        previous: (r.get(4), r.get(5)),
        new: (r.get(6), r.get(7)),
        status: ScheduleChangeStatus::parse(&status)
            .ok_or_else(|| StoreError::internal(format!("unknown schedule change status {status}")))?,
        accept_allowed: r.get(9),
        rebooked_to: r.get(10),
        created_at: r.get(11),
        resolved_at: r.get(12),
    })
}

/// Opens a change for the booking on the retimed flight, or moves the one
/// still open to the new times (its previous times stay the ones the
/// customer booked). Returns its id.
#[tracing::instrument(name = "postgres.schedule_changes.open", level = "debug", skip_all, fields(booking_id = booking_id, flight_id = flight_id))]
pub async fn open(
    tx: &Transaction<'_>,
    booking_id: i64,
    flight_id: i64,
    previous: Times,
    new: Times,
    accept_allowed: bool,
) -> Result<i64, StoreError> {
    let row = tx
        .query_one(
            "INSERT INTO schedule_changes (booking_id, flight_id, previous_departs_at, previous_arrives_at,
                                           new_departs_at, new_arrives_at, accept_allowed)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (booking_id, flight_id) WHERE status = 'OPEN' DO UPDATE
                SET new_departs_at = EXCLUDED.new_departs_at, new_arrives_at = EXCLUDED.new_arrives_at,
                    accept_allowed = EXCLUDED.accept_allowed
             RETURNING id",
            &[&booking_id, &flight_id, &previous.0, &previous.1, &new.0, &new.1, &accept_allowed],
        )
        .await?;
    Ok(row.get(0))
}

/// How many changes announce these times of the flight (whatever became of them).
#[tracing::instrument(name = "postgres.schedule_changes.count_for", level = "debug", skip_all, fields(flight_id = flight_id))]
pub async fn count_for(client: &impl GenericClient, flight_id: i64, new: Times) -> Result<i64, StoreError> {
    Ok(client
        .query_one(
            "SELECT count(*) FROM schedule_changes WHERE flight_id = $1 AND new_departs_at = $2 AND new_arrives_at = $3",
            &[&flight_id, &new.0, &new.1],
        )
        .await?
        .get(0))
}

/// The booking's changes, oldest first.
#[tracing::instrument(name = "postgres.schedule_changes.of_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn of_booking(pool: &Pool, booking_id: i64) -> Result<Vec<ScheduleChangeRow>, StoreError> {
    let client = pool.get().await?;
    let sql = format!(
        "SELECT {CHANGE_COLUMNS} FROM schedule_changes c JOIN flights f ON f.id = c.flight_id
         WHERE c.booking_id = $1 ORDER BY c.id"
    );
    client.query(&sql, &[&booking_id]).await?.iter().map(change_from_row).collect()
}

/// What a full refund of the booking would pay back now (paid minus
/// already refunded, a cashback included), in its currency.
#[tracing::instrument(name = "postgres.schedule_changes.refundable", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn refundable(client: &impl GenericClient, booking_id: i64) -> Result<(i64, String), StoreError> {
    let row = client
        .query_one(
            "SELECT (SELECT coalesce(sum(amount), 0)::bigint FROM payments WHERE booking_id = $1 AND status = 'SUCCEEDED')
                  - (SELECT coalesce(sum(amount), 0)::bigint FROM refunds WHERE booking_id = $1),
                    (SELECT currency FROM bookings WHERE id = $1)",
            &[&booking_id],
        )
        .await?;
    Ok((row.get(0), row.get::<_, Option<String>>(1).unwrap_or_else(|| "INR".into())))
}

/// One change (unlocked).
#[tracing::instrument(name = "postgres.schedule_changes.find", level = "debug", skip_all, fields(change_id = change_id))]
pub async fn find(client: &impl GenericClient, change_id: i64) -> Result<Option<ScheduleChangeRow>, StoreError> {
    let sql =
        format!("SELECT {CHANGE_COLUMNS} FROM schedule_changes c JOIN flights f ON f.id = c.flight_id WHERE c.id = $1");
    client.query_opt(&sql, &[&change_id]).await?.as_ref().map(change_from_row).transpose()
}

/// One change, locked until the transaction ends.
#[tracing::instrument(name = "postgres.schedule_changes.lock", level = "debug", skip_all, fields(change_id = change_id))]
pub async fn lock(tx: &Transaction<'_>, change_id: i64) -> Result<Option<ScheduleChangeRow>, StoreError> {
    let sql = format!(
        "SELECT {CHANGE_COLUMNS} FROM schedule_changes c JOIN flights f ON f.id = c.flight_id WHERE c.id = $1
         FOR UPDATE OF c"
    );
    tx.query_opt(&sql, &[&change_id]).await?.as_ref().map(change_from_row).transpose()
}

/// Records the customer's answer to an open change.
#[tracing::instrument(name = "postgres.schedule_changes.resolve", level = "debug", skip_all, fields(change_id = change_id))]
pub async fn resolve(
    tx: &Transaction<'_>,
    change_id: i64,
    status: ScheduleChangeStatus,
    rebooked_to: Option<i64>,
) -> Result<(), StoreError> {
    let changed = tx
        .execute(
            "UPDATE schedule_changes SET status = $2, rebooked_to = $3, resolved_at = now()
             WHERE id = $1 AND status = 'OPEN'",
            &[&change_id, &status.as_str(), &rebooked_to],
        )
        .await?;
    if changed != 1 {
        return Err(StoreError::internal(format!("schedule change {change_id} was not open under its lock")));
    }
    Ok(())
}

/// Another flight on a route, with what is left in one cabin.
#[derive(Clone, Debug)]
pub struct RouteFlight {
    pub flight_id: i64,
    pub flight_number: String,
    pub origin: String,
    pub destination: String,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
    pub seats_left: i32,
}

/// Scheduled flights from `origin` to `destination` leaving in
/// `[from, until)` and in the future, other than `except`, with at least
/// `seats` unsold seats in `cabin`; by departure.
#[tracing::instrument(name = "postgres.schedule_changes.route_flights", level = "debug", skip_all)]
pub async fn route_flights(
    pool: &Pool,
    (origin, destination): (&str, &str),
    (from, until): Times,
    except: i64,
    cabin: &str,
    seats: i32,
) -> Result<Vec<RouteFlight>, StoreError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT f.id, f.flight_number, f.origin, f.destination, f.departs_at, f.arrives_at,
                    fa.seats_total - fa.seats_sold
             FROM flights f JOIN flight_fares fa ON fa.flight_id = f.id AND fa.cabin = $6
             WHERE f.origin = $1 AND f.destination = $2 AND f.status = 'SCHEDULED'
               AND f.departs_at >= greatest($3, now()) AND f.departs_at < $4 AND f.id <> $5
               AND fa.seats_total - fa.seats_sold >= $7
             ORDER BY f.departs_at, f.id LIMIT 20",
            &[&origin, &destination, &from, &until, &except, &cabin, &seats],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| RouteFlight {
            flight_id: r.get(0),
            flight_number: r.get(1),
            origin: r.get(2),
            destination: r.get(3),
            departs_at: r.get(4),
            arrives_at: r.get(5),
            seats_left: r.get(6),
        })
        .collect())
}

/// A booking's live seat on one flight.
#[derive(Clone, Debug)]
pub struct HeldSeat {
    pub slice: i32,
    pub seat: String,
    pub cabin: String,
    pub passenger_position: i32,
}

/// The booking's live seats on the flight, in passenger order.
#[tracing::instrument(name = "postgres.schedule_changes.seats_on", level = "debug", skip_all, fields(booking_id = booking_id, flight_id = flight_id))]
pub async fn seats_on(
    client: &impl GenericClient,
    booking_id: i64,
    flight_id: i64,
) -> Result<Vec<HeldSeat>, StoreError> {
    let rows = client
        .query(
            "SELECT slice, seat, cabin, passenger_position FROM booking_seats
             WHERE booking_id = $1 AND flight_id = $2 AND live ORDER BY passenger_position",
            &[&booking_id, &flight_id],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| HeldSeat { slice: r.get(0), seat: r.get(1), cabin: r.get(2), passenger_position: r.get(3) })
        .collect())
}

/// Why seats could not move.
#[derive(Debug, thiserror::Error)]
pub enum MoveSeatsError {
    #[error("seats {0:?} belong to another booking")]
    SeatTaken(Vec<String>),
    #[error("the cabin is sold out")]
    SoldOut,
    #[error("the flight can no longer be booked")]
    FlightNotBookable,
    #[error("the booking has no live seats on the flight")]
    NothingToMove,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tokio_postgres::Error> for MoveSeatsError {
    fn from(e: tokio_postgres::Error) -> Self {
        if pg_errors::is_unique_violation(&e, UniqueConstraint::OneLiveBookingPerSeat) {
            return MoveSeatsError::SeatTaken(Vec::new());
        }
        if pg_errors::is_check_violation(&e, CheckConstraint::FlightFaresNeverOversold) {
            return MoveSeatsError::SoldOut;
        }
        MoveSeatsError::Store(e.into())
    }
}

/// Moves the booking's live seats on `from` to `to` (`seats[i]` for the
/// passenger at `positions[i]`), same cabin and fare: the old seats are
/// freed and their cabin count lowered, the new cabin count raised (only
/// while `to` is scheduled and in the future; its CHECK refuses overselling)
/// and the new seats inserted under the one-live-booking-per-seat index.
/// Lap fares follow. Any refusal leaves the transaction to roll back.
#[tracing::instrument(name = "postgres.schedule_changes.move_seats", level = "debug", skip_all, fields(booking_id = booking_id, from = from, to = to))]
pub async fn move_seats(
    tx: &Transaction<'_>,
    booking_id: i64,
    (from, to): (i64, i64),
    positions: &[i32],
    seats: &[String],
) -> Result<Vec<ReleasedSeat>, MoveSeatsError> {
    // Cabin counts are raised in flight order, as `book_seats` does, so
    // concurrent bookings and moves queue instead of deadlocking.
    let lower = "UPDATE flight_fares fa SET seats_sold = fa.seats_sold - n.seats
                 FROM (SELECT cabin, count(*)::integer AS seats FROM booking_seats
                       WHERE booking_id = $1 AND flight_id = $2 AND live GROUP BY cabin) n
                 WHERE fa.flight_id = $2 AND fa.cabin = n.cabin";
    let raise = "UPDATE flight_fares fa SET seats_sold = fa.seats_sold + n.seats
                 FROM (SELECT cabin, count(*)::integer AS seats FROM booking_seats
                       WHERE booking_id = $1 AND flight_id = $2 AND live GROUP BY cabin) n, flights f
                 WHERE fa.flight_id = $3 AND fa.cabin = n.cabin AND f.id = fa.flight_id
                   AND f.status = 'SCHEDULED' AND f.departs_at > now()";
    let (first, second) = if from < to { (lower, raise) } else { (raise, lower) };
    for statement in [first, second] {
        let params: &[&(dyn tokio_postgres::types::ToSql + Sync)] =
            if statement == raise { &[&booking_id, &from, &to] } else { &[&booking_id, &from] };
        let changed = tx.execute(statement, params).await?;
        if changed == 0 && statement == raise {
            return Err(MoveSeatsError::FlightNotBookable);
        }
    }
    let released = tx
        .query(
            "UPDATE booking_seats SET live = false WHERE booking_id = $1 AND flight_id = $2 AND live
             RETURNING seat",
            &[&booking_id, &from],
        )
        .await?;
    if released.is_empty() {
        return Err(MoveSeatsError::NothingToMove);
    }
    tx.execute(
        "INSERT INTO booking_seats (booking_id, slice, leg, flight_id, seat, cabin, passenger_position, fare)
         SELECT s.booking_id, s.slice, s.leg, $3, x.seat, s.cabin, s.passenger_position, s.fare
         FROM booking_seats s JOIN unnest($4::integer[], $5::text[]) AS x(position, seat)
           ON x.position = s.passenger_position
         WHERE s.booking_id = $1 AND s.flight_id = $2 AND NOT s.live
           AND s.seat = ANY($6)
         ORDER BY x.seat",
        &[
            &booking_id,
            &from,
            &to,
            &positions,
            &seats,
            &released.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>(),
        ],
    )
    .await?;
    tx.execute(
        "UPDATE booking_lap_fares SET flight_id = $3 WHERE booking_id = $1 AND flight_id = $2",
        &[&booking_id, &from, &to],
    )
    .await?;
    Ok(released.iter().map(|r| ReleasedSeat { booking_id, flight_id: from, seat: r.get(0) }).collect())
}
