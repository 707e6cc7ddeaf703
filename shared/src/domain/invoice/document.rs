//! Any GST document a booking can have, for what reads them alike: the
//! documents list and its PDFs; and either kind of note, for what reads a
//! credit note and a debit note alike: the note's body on the wire and its PDF.

use chrono::{DateTime, NaiveDate, Utc};

use super::{render_credit_note_pdf, render_debit_note_pdf, render_pdf, Buyer, CreditNote, CreditReason};
use super::{DebitNote, Invoice, InvoiceLine, Seller};

/// A GST document issued for a booking, as it was stored at issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GstDocument {
    Invoice(Invoice),
    CreditNote(CreditNote),
    DebitNote(DebitNote),
}

impl GstDocument {
    pub fn number(&self) -> &str {
        match self {
            GstDocument::Invoice(invoice) => &invoice.invoice_number,
            GstDocument::CreditNote(note) => &note.credit_note_number,
            GstDocument::DebitNote(note) => &note.debit_note_number,
        }
    }

    pub fn issued_at(&self) -> DateTime<Utc> {
        match self {
            GstDocument::Invoice(invoice) => invoice.issued_at,
            GstDocument::CreditNote(note) => note.issued_at,
            GstDocument::DebitNote(note) => note.issued_at,
        }
    }

    /// The invoice a note reduces or adds to.
    pub fn references(&self) -> Option<&str> {
        match self {
            GstDocument::Invoice(_) => None,
            GstDocument::CreditNote(note) => Some(&note.invoice_number),
            GstDocument::DebitNote(note) => Some(&note.invoice_number),
        }
    }

    pub fn currency(&self) -> &str {
        match self {
            GstDocument::Invoice(invoice) => &invoice.currency,
            GstDocument::CreditNote(note) => &note.currency,
            GstDocument::DebitNote(note) => &note.currency,
        }
    }

    /// (total, taxable value, GST): what was charged, or what goes back.
    pub fn figures(&self) -> (i64, i64, i64) {
        match self {
            GstDocument::Invoice(i) => (i.invoice_total, i.taxable_value, i.total_tax),
            GstDocument::CreditNote(n) => (n.credit_total, n.taxable_value, n.total_tax),
            GstDocument::DebitNote(n) => (n.debit_total, n.taxable_value, n.total_tax),
        }
    }

    pub fn render_pdf(&self) -> Vec<u8> {
        match self {
            GstDocument::Invoice(invoice) => render_pdf(invoice),
            GstDocument::CreditNote(note) => render_credit_note_pdf(note),
            GstDocument::DebitNote(note) => render_debit_note_pdf(note),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteKind {
    Credit,
    Debit,
}

/// A credit or a debit note, borrowed field for field. The two are the same
/// document against an invoice but for what their number, date and total are
/// called and the credit note's reason, so what shows a note (its body on the
/// wire, its PDF) reads it through this once instead of once per kind.
#[derive(Clone, Copy, Debug)]
pub struct GstNote<'a> {
    pub kind: NoteKind,
    pub number: &'a str,
    pub issued_at: DateTime<Utc>,
    pub date: NaiveDate,
    pub invoice_number: &'a str,
    pub invoice_date: NaiveDate,
    pub pnr: &'a str,
    pub currency: &'a str,
    pub seller: &'a Seller,
    pub buyer: &'a Buyer,
    pub place_of_supply: &'a str,
    /// Why a credit note's money went back; a debit note has none.
    pub reason: Option<CreditReason>,
    pub description: &'a str,
    pub lines: &'a [InvoiceLine],
    pub taxable_value: i64,
    pub cgst: i64,
    pub sgst: i64,
    pub igst: i64,
    pub total_tax: i64,
    /// What goes back to the buyer, or what the buyer pays.
    pub total: i64,
    pub amount_in_words: &'a str,
}

// The one place each note's own names meet the shared ones. The stored types keep
// their names: issued notes are kept as jsonb under them.
impl<'a> From<&'a CreditNote> for GstNote<'a> {
    fn from(n: &'a CreditNote) -> Self {
        GstNote {
            kind: NoteKind::Credit,
            number: &n.credit_note_number,
            issued_at: n.issued_at,
            date: n.credit_note_date,
            invoice_number: &n.invoice_number,
            invoice_date: n.invoice_date,
            pnr: &n.pnr,
            currency: &n.currency,
            seller: &n.seller,
            buyer: &n.buyer,
            place_of_supply: &n.place_of_supply,
            reason: Some(n.reason),
            description: &n.description,
            lines: &n.lines,
            taxable_value: n.taxable_value,
            cgst: n.cgst,
            sgst: n.sgst,
            igst: n.igst,
            total_tax: n.total_tax,
            total: n.credit_total,
            amount_in_words: &n.amount_in_words,
        }
    }
}

impl<'a> From<&'a DebitNote> for GstNote<'a> {
    fn from(n: &'a DebitNote) -> Self {
        GstNote {
            kind: NoteKind::Debit,
            number: &n.debit_note_number,
            issued_at: n.issued_at,
            date: n.debit_note_date,
            invoice_number: &n.invoice_number,
            invoice_date: n.invoice_date,
            pnr: &n.pnr,
            currency: &n.currency,
            seller: &n.seller,
            buyer: &n.buyer,
            place_of_supply: &n.place_of_supply,
            reason: None,
            description: &n.description,
            lines: &n.lines,
            taxable_value: n.taxable_value,
            cgst: n.cgst,
            sgst: n.sgst,
            igst: n.igst,
            total_tax: n.total_tax,
            total: n.debit_total,
            amount_in_words: &n.amount_in_words,
        }
    }
}
