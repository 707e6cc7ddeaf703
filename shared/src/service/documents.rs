//! A booking's GST documents: the invoice issued with its tickets and the
//! credit notes issued with every refund after it. Each is read back as it
//! was stored at issue, never worked out again.

use crate::auth::caller::Caller;
use crate::domain::invoice::{compute_credit_note, CreditNote, CreditReason, GstDocument};
use crate::service::bookings::owned_booking;
use crate::service::books::CreditNoteBooks;
use crate::service::tickets::issued_invoice;
use crate::store::documents::PgDocuments;
use crate::{ApiError, Services};
use chrono::{DateTime, Utc};

/// Issues the credit note for `amount` going back to the buyer of a paid
/// booking, in the refund's own transaction; `None` when there is nothing
/// to credit.
///
/// A booking whose tickets are not issued yet has no invoice, so nothing
/// can be credited against one: a cancelled booking never gets its tickets
/// (nor its invoice), and a cashback granted before the tickets is shown on
/// the invoice issued with them, for information, as it always was.
pub async fn credit_refund(
    books: &mut impl CreditNoteBooks,
    booking_id: i64,
    amount: i64,
    reason: CreditReason,
    at: DateTime<Utc>,
) -> Result<Option<CreditNote>, ApiError> {
    let Some(invoice) = books.issued_invoice(booking_id).await? else { return Ok(None) };
    let earlier = books.credit_notes(booking_id).await?;
    let note = compute_credit_note(&invoice, &earlier, amount, reason, at);
    if note.credit_total == 0 {
        return Ok(None);
    }
    Ok(Some(books.issue_credit_note(booking_id, note).await?))
}

/// The booking's documents in issue order: the invoice, then its credit notes.
#[derive(Clone, Debug, PartialEq)]
pub struct BookingDocuments {
    pub booking_id: i64,
    pub documents: Vec<GstDocument>,
}

/// The caller's booking's documents (`404` for another's booking).
pub async fn booking_documents(svc: &Services, caller: &Caller, booking_id: i64) -> Result<BookingDocuments, ApiError> {
    let record = owned_booking(svc, caller, booking_id).await?;
    let mut documents: Vec<GstDocument> =
        issued_invoice(svc, &record).await?.into_iter().map(GstDocument::Invoice).collect();
    for stored in PgDocuments::new(&svc.db).credit_notes_of_booking(booking_id).await? {
        // Credit notes were always stored as today's type: one that does
        // not read is a bug, not history.
        let note: CreditNote = serde_json::from_value(stored.document).map_err(ApiError::internal)?;
        documents.push(GstDocument::CreditNote(note));
    }
    Ok(BookingDocuments { booking_id, documents })
}

/// One of the caller's booking's documents by its number.
pub async fn booking_document(
    svc: &Services,
    caller: &Caller,
    booking_id: i64,
    number: &str,
) -> Result<GstDocument, ApiError> {
    booking_documents(svc, caller, booking_id)
        .await?
        .documents
        .into_iter()
        .find(|document| document.number() == number)
        .ok_or_else(|| ApiError::not_found(format!("booking {booking_id} has no document {number}")))
}
