//! Tickets and invoices in Postgres.

use super::StoreError;
use chrono::{DateTime, Datelike, Utc};
use deadpool_postgres::{Pool, Transaction};

#[derive(Clone, Debug)]
pub struct TicketRow {
    pub id: i64,
    pub ticket_number: String,
    pub booking_id: i64,
    pub passenger_position: i32,
    pub leg: i32,
    pub flight_id: i64,
    pub seat: String,
    pub status: String,
    pub issued_at: DateTime<Utc>,
    pub voided_at: Option<DateTime<Utc>>,
}

const TICKET_COLUMNS: &str =
    "id, ticket_number, booking_id, passenger_position, leg, flight_id, seat, status, issued_at, voided_at";

fn ticket_from_row(r: &tokio_postgres::Row) -> TicketRow {
    TicketRow {
        id: r.get(0),
        ticket_number: r.get(1),
        booking_id: r.get(2),
        passenger_position: r.get(3),
        leg: r.get(4),
        flight_id: r.get(5),
        seat: r.get(6),
        status: r.get(7),
        issued_at: r.get(8),
        voided_at: r.get(9),
    }
}

/// E-ticket numbers: our 3-digit accounting code, then a 10-digit serial.
const ACCOUNTING_CODE: &str = "589";

/// The seat an infant's ticket shows: it travels on a lap.
pub const LAP_SEAT: &str = "INF";

/// Issues one ticket per passenger per slice (infants on laps included),
/// each row naming the slice's first leg, in slice then passenger order.
/// Already issued tickets are left alone.
#[tracing::instrument(name = "postgres.tickets.issue", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn issue(tx: &Transaction<'_>, booking_id: i64) -> Result<u64, StoreError> {
    insert_tickets(tx, booking_id, None).await
}

/// Reissues the tickets of one slice after its seats moved to another
/// flight: the issued ones are voided and new ones (new numbers) issued
/// from the slice's live seats. A slice not ticketed yet is left to the
/// ticketing queue. Returns how many were issued.
#[tracing::instrument(name = "postgres.tickets.reissue_slice", level = "debug", skip_all, fields(booking_id = booking_id, slice = slice))]
pub async fn reissue_slice(tx: &Transaction<'_>, booking_id: i64, slice: i32) -> Result<u64, StoreError> {
    let voided = tx
        .execute(
            "UPDATE tickets SET status = 'VOID', voided_at = now()
             WHERE booking_id = $1 AND status = 'ISSUED'
               AND leg IN (SELECT leg FROM booking_seats WHERE booking_id = $1 AND slice = $2
                           UNION SELECT leg FROM booking_lap_fares WHERE booking_id = $1 AND slice = $2)",
            &[&booking_id, &slice],
        )
        .await?;
    if voided == 0 {
        return Ok(0);
    }
    insert_tickets(tx, booking_id, Some(slice)).await
}

/// One ticket per passenger per slice (of every slice, or of one).
async fn insert_tickets(tx: &Transaction<'_>, booking_id: i64, slice: Option<i32>) -> Result<u64, StoreError> {
    let issued = tx
        .execute(
            &format!(
                "INSERT INTO tickets (ticket_number, booking_id, passenger_position, leg, flight_id, seat)
                 SELECT '{ACCOUNTING_CODE}' || lpad(nextval('ticket_serials')::text, 10, '0'), t.booking_id,
                        t.passenger_position, t.leg, t.flight_id, t.seat
                 FROM (SELECT * FROM (
                           SELECT DISTINCT ON (passenger_position, slice) *
                           FROM (SELECT booking_id, passenger_position, slice, leg, flight_id, seat
                                 FROM booking_seats WHERE booking_id = $1 AND live
                                 UNION ALL
                                 -- An infant travels while its adult's seat on the leg is live.
                                 SELECT l.booking_id, l.passenger_position, l.slice, l.leg, l.flight_id, '{LAP_SEAT}'
                                 FROM booking_lap_fares l
                                 JOIN booking_passengers p
                                   ON p.booking_id = l.booking_id AND p.position = l.passenger_position
                                 WHERE l.booking_id = $1 AND l.live AND EXISTS (
                                     SELECT 1 FROM booking_seats s
                                      WHERE s.booking_id = l.booking_id AND s.leg = l.leg
                                        AND s.passenger_position = p.infant_of AND s.live)) travelled
                           WHERE $2::integer IS NULL OR slice = $2
                           ORDER BY passenger_position, slice, leg) first_legs
                       ORDER BY slice, passenger_position) t
                 ON CONFLICT (booking_id, passenger_position, leg) WHERE status = 'ISSUED' DO NOTHING"
            ),
            &[&booking_id, &slice],
        )
        .await?;
    Ok(issued)
}

/// The booking's tickets as the transaction sees them.
#[tracing::instrument(name = "postgres.tickets.of_booking_in", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn of_booking_in(tx: &Transaction<'_>, booking_id: i64) -> Result<Vec<TicketRow>, StoreError> {
    let rows = tx
        .query(&format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE booking_id = $1 ORDER BY id"), &[&booking_id])
        .await?;
    Ok(rows.iter().map(ticket_from_row).collect())
}

#[tracing::instrument(name = "postgres.tickets.count_for_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn count_for_booking(tx: &Transaction<'_>, booking_id: i64) -> Result<i64, StoreError> {
    Ok(tx.query_one("SELECT count(*) FROM tickets WHERE booking_id = $1", &[&booking_id]).await?.get(0))
}

#[tracing::instrument(name = "postgres.tickets.void_for_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn void_for_booking(tx: &Transaction<'_>, booking_id: i64) -> Result<u64, StoreError> {
    Ok(tx
        .execute(
            "UPDATE tickets SET status = 'VOID', voided_at = now() WHERE booking_id = $1 AND status = 'ISSUED'",
            &[&booking_id],
        )
        .await?)
}

/// A gap-free numbering of issued documents, per year.
#[derive(Clone, Copy, Debug)]
pub enum GapFreeSeries {
    /// `FB/{year}/{n}` in `invoice_series`.
    Invoices,
    /// `CN/{year}/{n}` in `credit_note_series`.
    CreditNotes,
    /// `DN/{year}/{n}` in `debit_note_series`.
    DebitNotes,
}

/// The next number of the year's series: (year, sequence, number). The
/// series row stays locked until the transaction ends; a rollback returns
/// the number.
#[tracing::instrument(name = "postgres.tickets.next_in_series", level = "debug", skip_all, fields(series = ?series))]
pub async fn next_in_series(
    tx: &Transaction<'_>,
    series: GapFreeSeries,
    at: DateTime<Utc>,
) -> Result<(i32, i32, String), StoreError> {
    let (statement, prefix) = match series {
        GapFreeSeries::Invoices => (
            "INSERT INTO invoice_series (year, last_number) VALUES ($1, 1)
             ON CONFLICT (year) DO UPDATE SET last_number = invoice_series.last_number + 1
             RETURNING last_number",
            "FB",
        ),
        GapFreeSeries::CreditNotes => (
            "INSERT INTO credit_note_series (year, last_number) VALUES ($1, 1)
             ON CONFLICT (year) DO UPDATE SET last_number = credit_note_series.last_number + 1
             RETURNING last_number",
            "CN",
        ),
        GapFreeSeries::DebitNotes => (
            "INSERT INTO debit_note_series (year, last_number) VALUES ($1, 1)
             ON CONFLICT (year) DO UPDATE SET last_number = debit_note_series.last_number + 1
             RETURNING last_number",
            "DN",
        ),
    };
    let year = at.year();
    let sequence: i32 = tx.query_one(statement, &[&year]).await?.get(0);
    Ok((year, sequence, format!("{prefix}/{year}/{sequence:06}")))
}

#[tracing::instrument(name = "postgres.tickets.insert_invoice", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn insert_invoice(
    tx: &Transaction<'_>,
    booking_id: i64,
    (year, sequence, number): &(i32, i32, String),
    document: &serde_json::Value,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO invoices (booking_id, invoice_number, year, sequence, document) VALUES ($1, $2, $3, $4, $5)",
        &[&booking_id, number, year, sequence, document],
    )
    .await?;
    Ok(())
}

const CASHBACK_OF_BOOKING: &str =
    "SELECT coalesce(sum(amount), 0)::bigint FROM refunds WHERE booking_id = $1 AND reason = 'CASHBACK'";

/// The cashback paid back on the booking, as the transaction sees it.
#[tracing::instrument(name = "postgres.tickets.cashback_in", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn cashback_in(tx: &Transaction<'_>, booking_id: i64) -> Result<i64, StoreError> {
    Ok(tx.query_one(CASHBACK_OF_BOOKING, &[&booking_id]).await?.get(0))
}

pub struct PgTickets<'a> {
    pool: &'a Pool,
}

impl<'a> PgTickets<'a> {
    pub fn new(pool: &'a Pool) -> Self {
        PgTickets { pool }
    }

    #[tracing::instrument(name = "postgres.tickets.find", level = "debug", skip_all, fields(ticket_id = ticket_id))]
    pub async fn find(&self, ticket_id: i64) -> Result<Option<TicketRow>, StoreError> {
        let client = self.pool.get().await?;
        let row =
            client.query_opt(&format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = $1"), &[&ticket_id]).await?;
        Ok(row.as_ref().map(ticket_from_row))
    }

    #[tracing::instrument(name = "postgres.tickets.of_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
    pub async fn of_booking(&self, booking_id: i64) -> Result<Vec<TicketRow>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(&format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE booking_id = $1 ORDER BY id"), &[&booking_id])
            .await?;
        Ok(rows.iter().map(ticket_from_row).collect())
    }

    /// The cashback paid back on the booking so far.
    #[tracing::instrument(name = "postgres.tickets.cashback_of_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
    pub async fn cashback_of_booking(&self, booking_id: i64) -> Result<i64, StoreError> {
        let client = self.pool.get().await?;
        Ok(client.query_one(CASHBACK_OF_BOOKING, &[&booking_id]).await?.get(0))
    }

    #[tracing::instrument(name = "postgres.tickets.discount_code_of_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
    pub async fn discount_code_of_booking(&self, booking_id: i64) -> Result<Option<String>, StoreError> {
        let client = self.pool.get().await?;
        let row = client.query_opt("SELECT code FROM booking_discounts WHERE booking_id = $1", &[&booking_id]).await?;
        Ok(row.map(|r| r.get(0)))
    }
}
