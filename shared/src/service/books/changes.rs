//! The port of confirming a voluntary change (`service::bookings::change`):
//! one transaction over the locked booking and its locked change quote, in
//! which the charge, the move of the slice, the reissued tickets and the
//! debit or credit note commit together or not at all.

use super::{Books, CreditNoteBooks, PgBooks, RefundableBooks};
use crate::domain::invoice::DebitNote;
use crate::store::changes::{self, ChangePayment, ChangeQuoteRow, MoveError, MovedSeat, QuotedLeg};
use crate::store::documents::{self, NewDebitNote};
use crate::store::tickets::{self, GapFreeSeries};
use crate::ApiError;
use std::future::Future;

/// What confirming a change quote reads and writes, beside the booking's
/// lock, its payment and refunds so far, and its invoice and credit notes.
pub trait ChangeBooks: Books + CreditNoteBooks + RefundableBooks {
    /// The quote, locked until the transaction ends (after its booking:
    /// every confirm locks them in that order).
    fn lock_change_quote(
        &mut self,
        quote_id: i64,
    ) -> impl Future<Output = Result<Option<ChangeQuoteRow>, ApiError>> + Send;
    /// The slice's live seats as `flight:seat`, sorted: what a quote
    /// replaces, compared with what it was quoted from.
    fn live_seats_of_slice(
        &mut self,
        booking_id: i64,
        slice: i32,
    ) -> impl Future<Output = Result<Vec<String>, ApiError>> + Send;
    /// The change's charge, or its declined attempt, under its quote (at
    /// most one success each); the payment's id.
    fn record_change_payment(
        &mut self,
        payment: &ChangePayment<'_>,
    ) -> impl Future<Output = Result<i64, ApiError>> + Send;
    /// Moves the slice onto the quote's legs under the booking's guards
    /// (one live booking per seat, cabin counts, the flight still sold at
    /// the quoted fare); the seats it freed and took.
    fn move_slice(
        &mut self,
        booking_id: i64,
        slice: i32,
        legs: &[QuotedLeg],
    ) -> impl Future<Output = Result<Vec<MovedSeat>, MoveError>> + Send;
    /// Voids the tickets of the slice's old legs and issues the new legs'
    /// tickets; the voided tickets' numbers.
    fn reissue_changed_tickets(
        &mut self,
        booking_id: i64,
        slice: i32,
    ) -> impl Future<Output = Result<Vec<String>, ApiError>> + Send;
    /// Numbers the debit note from its gap-free series and stores it under
    /// its quote; the series is locked until the commit, so this comes late.
    fn issue_debit_note(
        &mut self,
        booking_id: i64,
        quote_id: i64,
        note: DebitNote,
    ) -> impl Future<Output = Result<DebitNote, ApiError>> + Send;
    /// What a cheaper change gives back, once per quote.
    fn record_change_refund(
        &mut self,
        booking_id: i64,
        payment_id: i64,
        quote_id: i64,
        amount: i64,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    fn mark_change_confirmed(&mut self, quote_id: i64) -> impl Future<Output = Result<(), ApiError>> + Send;
}

impl ChangeBooks for PgBooks<'_, '_> {
    async fn lock_change_quote(&mut self, quote_id: i64) -> Result<Option<ChangeQuoteRow>, ApiError> {
        Ok(changes::lock_quote(&self.tx, quote_id).await?)
    }

    async fn live_seats_of_slice(&mut self, booking_id: i64, slice: i32) -> Result<Vec<String>, ApiError> {
        Ok(changes::live_seats_of_slice(&self.tx, booking_id, slice).await?)
    }

    async fn record_change_payment(&mut self, payment: &ChangePayment<'_>) -> Result<i64, ApiError> {
        Ok(changes::record_payment(&self.tx, payment).await?)
    }

    async fn move_slice(
        &mut self,
        booking_id: i64,
        slice: i32,
        legs: &[QuotedLeg],
    ) -> Result<Vec<MovedSeat>, MoveError> {
        changes::move_slice(&self.tx, booking_id, slice, legs).await
    }

    async fn reissue_changed_tickets(&mut self, booking_id: i64, slice: i32) -> Result<Vec<String>, ApiError> {
        Ok(changes::reissue_tickets(&self.tx, booking_id, slice).await?)
    }

    async fn issue_debit_note(
        &mut self,
        booking_id: i64,
        quote_id: i64,
        mut note: DebitNote,
    ) -> Result<DebitNote, ApiError> {
        let number = tickets::next_in_series(&self.tx, GapFreeSeries::DebitNotes, note.issued_at).await?;
        note.debit_note_number = number.2.clone();
        let document = serde_json::to_value(&note).map_err(ApiError::internal)?;
        let row = NewDebitNote {
            booking_id,
            invoice_number: &note.invoice_number,
            change_quote_id: quote_id,
            amount: note.debit_total,
            issued_at: note.issued_at,
            document: &document,
        };
        documents::insert_debit_note(&self.tx, &number, &row).await?;
        Ok(note)
    }

    async fn record_change_refund(
        &mut self,
        booking_id: i64,
        payment_id: i64,
        quote_id: i64,
        amount: i64,
    ) -> Result<(), ApiError> {
        Ok(changes::record_refund(&self.tx, booking_id, payment_id, quote_id, amount).await?)
    }

    async fn mark_change_confirmed(&mut self, quote_id: i64) -> Result<(), ApiError> {
        Ok(changes::mark_confirmed(&self.tx, quote_id).await?)
    }
}
