//! Any GST document a booking can have, for what reads them alike: the
//! documents list and its PDFs.

use chrono::{DateTime, Utc};

use super::{render_credit_note_pdf, render_debit_note_pdf, render_pdf, CreditNote, DebitNote, Invoice};

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
