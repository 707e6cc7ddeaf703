//! A booking's GST documents on the wire (`bookings-documents`): each one's
//! figures as money, and the document itself as it was stored at issue.

use super::invoices::{InvoiceBody, NoteBody};
use crate::domain::invoice::GstDocument;
use crate::domain::money::Money;
use crate::service::documents::BookingDocuments;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingDocumentsBody<'a> {
    pub booking_id: i64,
    pub documents: Vec<DocumentBody<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentBody<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub number: &'a str,
    pub issued_at: DateTime<Utc>,
    /// The invoice a credit note reduces; `null` for the invoice.
    pub references: Option<&'a str>,
    pub total: Money,
    pub taxable_value: Money,
    pub gst: Money,
    /// The whole document, the shape `tickets-invoice` serves for an invoice.
    pub document: DocumentJson<'a>,
}

/// The stored document, as `tickets-invoice` serves an invoice.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum DocumentJson<'a> {
    Invoice(InvoiceBody<'a>),
    Note(NoteBody<'a>),
}

impl<'a> DocumentBody<'a> {
    pub fn new(document: &'a GstDocument) -> Self {
        let currency = document.currency();
        let (total, taxable_value, gst) = document.figures();
        let (kind, json) = match document {
            GstDocument::Invoice(invoice) => ("INVOICE", DocumentJson::Invoice(invoice.into())),
            GstDocument::CreditNote(note) => ("CREDIT_NOTE", DocumentJson::Note(NoteBody::new(note.into()))),
            GstDocument::DebitNote(note) => ("DEBIT_NOTE", DocumentJson::Note(NoteBody::new(note.into()))),
        };
        DocumentBody {
            kind,
            number: document.number(),
            issued_at: document.issued_at(),
            references: document.references(),
            total: Money::new(total, currency),
            taxable_value: Money::new(taxable_value, currency),
            gst: Money::new(gst, currency),
            document: json,
        }
    }
}

impl<'a> BookingDocumentsBody<'a> {
    pub fn new(documents: &'a BookingDocuments) -> Self {
        BookingDocumentsBody {
            booking_id: documents.booking_id,
            documents: documents.documents.iter().map(DocumentBody::new).collect(),
        }
    }
}
