//! A booking's GST documents on the wire (`bookings-documents`): each one's
//! figures as money, and the document itself as it was stored at issue.

use super::MoneyBody;
use crate::domain::invoice::GstDocument;
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
    pub total: MoneyBody,
    pub taxable_value: MoneyBody,
    pub gst: MoneyBody,
    /// The whole document, the shape `tickets-invoice` serves for an invoice.
    pub document: DocumentJson<'a>,
}

/// The stored document, serialised as the domain type it was read into.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum DocumentJson<'a> {
    Invoice(&'a crate::domain::invoice::Invoice),
    CreditNote(&'a crate::domain::invoice::CreditNote),
    DebitNote(&'a crate::domain::invoice::DebitNote),
}

impl<'a> DocumentBody<'a> {
    pub fn new(document: &'a GstDocument) -> Self {
        let currency = document.currency();
        let (total, taxable_value, gst) = document.figures();
        let (kind, json) = match document {
            GstDocument::Invoice(invoice) => ("INVOICE", DocumentJson::Invoice(invoice)),
            GstDocument::CreditNote(note) => ("CREDIT_NOTE", DocumentJson::CreditNote(note)),
            GstDocument::DebitNote(note) => ("DEBIT_NOTE", DocumentJson::DebitNote(note)),
        };
        DocumentBody {
            kind,
            number: document.number(),
            issued_at: document.issued_at(),
            references: document.references(),
            total: MoneyBody::new(total, currency),
            taxable_value: MoneyBody::new(taxable_value, currency),
            gst: MoneyBody::new(gst, currency),
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
