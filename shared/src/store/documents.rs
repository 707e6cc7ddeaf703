//! A booking's GST documents in Postgres: the invoice (written at ticket
//! issue, `store::tickets`) and the credit notes against it, each stored as
//! the JSON document it was at issue.

use super::StoreError;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Pool, Transaction};

/// A stored document as it was issued.
#[derive(Clone, Debug)]
pub struct StoredDocument {
    pub number: String,
    pub issued_at: DateTime<Utc>,
    pub document: serde_json::Value,
}

fn stored(row: &tokio_postgres::Row) -> StoredDocument {
    StoredDocument { number: row.get(0), issued_at: row.get(1), document: row.get(2) }
}

const INVOICE_OF_BOOKING: &str = "SELECT invoice_number, issued_at, document FROM invoices WHERE booking_id = $1";
const CREDIT_NOTES_OF_BOOKING: &str =
    "SELECT credit_note_number, issued_at, document FROM credit_notes WHERE booking_id = $1 ORDER BY id";

const DEBIT_NOTES_OF_BOOKING: &str =
    "SELECT debit_note_number, issued_at, document FROM debit_notes WHERE booking_id = $1 ORDER BY id";

/// The booking's invoice as the transaction sees it.
#[tracing::instrument(name = "postgres.documents.invoice_in", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn invoice_in(tx: &Transaction<'_>, booking_id: i64) -> Result<Option<StoredDocument>, StoreError> {
    Ok(tx.query_opt(INVOICE_OF_BOOKING, &[&booking_id]).await?.as_ref().map(stored))
}

/// The booking's credit notes as the transaction sees them, in issue order.
#[tracing::instrument(name = "postgres.documents.credit_notes_in", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn credit_notes_in(tx: &Transaction<'_>, booking_id: i64) -> Result<Vec<StoredDocument>, StoreError> {
    Ok(tx.query(CREDIT_NOTES_OF_BOOKING, &[&booking_id]).await?.iter().map(stored).collect())
}

/// The booking's debit notes as the transaction sees them, in issue order.
#[tracing::instrument(name = "postgres.documents.debit_notes_in", level = "debug", skip_all, fields(booking_id = booking_id))]
pub async fn debit_notes_in(tx: &Transaction<'_>, booking_id: i64) -> Result<Vec<StoredDocument>, StoreError> {
    Ok(tx.query(DEBIT_NOTES_OF_BOOKING, &[&booking_id]).await?.iter().map(stored).collect())
}

/// A debit note as issued, with the change it charges for.
pub struct NewDebitNote<'a> {
    pub booking_id: i64,
    pub invoice_number: &'a str,
    pub change_quote_id: i64,
    pub amount: i64,
    pub issued_at: DateTime<Utc>,
    pub document: &'a serde_json::Value,
}

#[tracing::instrument(name = "postgres.documents.insert_debit_note", level = "debug", skip_all, fields(booking_id = note.booking_id))]
pub async fn insert_debit_note(
    tx: &Transaction<'_>,
    (year, sequence, number): &(i32, i32, String),
    note: &NewDebitNote<'_>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO debit_notes
             (booking_id, debit_note_number, year, sequence, invoice_number, change_quote_id, amount, issued_at,
              document)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &note.booking_id,
            number,
            year,
            sequence,
            &note.invoice_number,
            &note.change_quote_id,
            &note.amount,
            &note.issued_at,
            note.document,
        ],
    )
    .await?;
    Ok(())
}

/// A credit note as issued.
pub struct NewCreditNote<'a> {
    pub booking_id: i64,
    pub invoice_number: &'a str,
    pub reason: &'a str,
    pub amount: i64,
    pub issued_at: DateTime<Utc>,
    pub document: &'a serde_json::Value,
}

#[tracing::instrument(name = "postgres.documents.insert_credit_note", level = "debug", skip_all, fields(booking_id = note.booking_id))]
pub async fn insert_credit_note(
    tx: &Transaction<'_>,
    (year, sequence, number): &(i32, i32, String),
    note: &NewCreditNote<'_>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO credit_notes
             (booking_id, credit_note_number, year, sequence, invoice_number, reason, amount, issued_at, document)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &note.booking_id,
            number,
            year,
            sequence,
            &note.invoice_number,
            &note.reason,
            &note.amount,
            &note.issued_at,
            note.document,
        ],
    )
    .await?;
    Ok(())
}

pub struct PgDocuments<'a> {
    pool: &'a Pool,
}

impl<'a> PgDocuments<'a> {
    pub fn new(pool: &'a Pool) -> Self {
        PgDocuments { pool }
    }

    #[tracing::instrument(name = "postgres.documents.invoice_of_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
    pub async fn invoice_of_booking(&self, booking_id: i64) -> Result<Option<StoredDocument>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client.query_opt(INVOICE_OF_BOOKING, &[&booking_id]).await?.as_ref().map(stored))
    }

    #[tracing::instrument(name = "postgres.documents.credit_notes_of_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
    pub async fn credit_notes_of_booking(&self, booking_id: i64) -> Result<Vec<StoredDocument>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client.query(CREDIT_NOTES_OF_BOOKING, &[&booking_id]).await?.iter().map(stored).collect())
    }

    #[tracing::instrument(name = "postgres.documents.debit_notes_of_booking", level = "debug", skip_all, fields(booking_id = booking_id))]
    pub async fn debit_notes_of_booking(&self, booking_id: i64) -> Result<Vec<StoredDocument>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client.query(DEBIT_NOTES_OF_BOOKING, &[&booking_id]).await?.iter().map(stored).collect())
    }
}
