//! A booking's GST documents: the invoice issued with its tickets and the
//! credit notes issued with every refund after it (`service::credit_notes`).
//! Each is read back as it was stored at issue, never worked out again.

use crate::auth::caller::Caller;
use crate::domain::invoice::{CreditNote, DebitNote, GstDocument};
use crate::service::bookings::owned_booking;
use crate::service::tickets::issued_invoice;
use crate::store::documents::PgDocuments;
use crate::{ApiError, Services};

/// The booking's documents in issue order: the invoice, then its credit and debit notes.
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
    for stored in PgDocuments::new(&svc.db).debit_notes_of_booking(booking_id).await? {
        let note: DebitNote = serde_json::from_value(stored.document).map_err(ApiError::internal)?;
        documents.push(GstDocument::DebitNote(note));
    }
    documents.sort_by_key(|d| (!matches!(d, GstDocument::Invoice(_)), d.issued_at()));
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
