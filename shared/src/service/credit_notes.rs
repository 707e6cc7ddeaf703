//! Issuing a GST credit note with a refund of a paid booking, in the
//! refund's own transaction (cancellation and cashback both).

use crate::domain::invoice::{compute_credit_note, CreditNote, CreditReason};
use crate::service::books::CreditNoteBooks;
use crate::ApiError;
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
    let debits = books.debit_notes(booking_id).await?;
    let note = compute_credit_note(&invoice, &earlier, &debits, amount, reason, at);
    if note.credit_total == 0 {
        return Ok(None);
    }
    Ok(Some(books.issue_credit_note(booking_id, note).await?))
}
