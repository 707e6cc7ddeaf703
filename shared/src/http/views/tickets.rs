//! Tickets on the wire: one ticket (`tickets-get`) and a booking's tickets
//! (`tickets-generate`), each with its invoice's summary. The invoice
//! itself (`tickets-invoice`) is `invoices::InvoiceBody`.

use super::flights::AirlineBody;
use super::invoices::CashbackLineBody;
use crate::domain::money::Money;
use crate::service::tickets::{BookingTickets, InvoiceSummary, TicketDetails, TicketLeg};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketBody<'a> {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_number: &'a str,
    pub status: &'a str,
    pub booking_id: i64,
    pub pnr: &'a str,
    pub passenger: PassengerBody<'a>,
    pub flight_id: i64,
    pub seat_number: &'a str,
    pub fare: Money,
    pub legs: Vec<TicketLegBody<'a>>,
    pub issued_at: DateTime<Utc>,
    pub voided_at: Option<DateTime<Utc>>,
    pub invoice: Option<InvoiceSummaryBody<'a>>,
}

#[derive(Debug, Serialize)]
pub struct PassengerBody<'a> {
    pub position: i32,
    pub name: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketLegBody<'a> {
    pub leg: i32,
    pub flight_id: i64,
    pub flight_number: &'a str,
    pub airline: AirlineBody<'a>,
    pub origin: &'a str,
    pub destination: &'a str,
    pub departure_time: String,
    pub arrival_time: String,
    pub seat_number: &'a str,
    pub cabin: &'a str,
    pub fare: Money,
    pub this_ticket: bool,
}

/// The invoice's figures and where to read it in full. `total` and
/// `totalTax` are the original integers (the walkthrough reads `total`),
/// each with its money object beside it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceSummaryBody<'a> {
    pub invoice_number: &'a str,
    pub total: i64,
    pub total_money: Money,
    pub total_tax: i64,
    pub total_tax_money: Money,
    pub cashback: Option<CashbackLineBody<'a>>,
    pub href: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingTicketsBody<'a> {
    pub booking_id: i64,
    pub pnr: &'a str,
    pub booking_status: &'static str,
    pub tickets: Vec<TicketBody<'a>>,
    pub invoice: Option<InvoiceSummaryBody<'a>>,
}

impl<'a> From<&'a InvoiceSummary> for InvoiceSummaryBody<'a> {
    fn from(summary: &'a InvoiceSummary) -> Self {
        InvoiceSummaryBody {
            invoice_number: &summary.invoice_number,
            total: summary.total,
            total_money: Money::new(summary.total, &summary.currency),
            total_tax: summary.total_tax,
            total_tax_money: Money::new(summary.total_tax, &summary.currency),
            cashback: summary.cashback.as_ref().map(|c| CashbackLineBody::new(c, &summary.currency)),
            href: format!("/api/tickets/{}/invoice", summary.ticket_id),
        }
    }
}

impl<'a> From<&'a TicketLeg> for TicketLegBody<'a> {
    fn from(leg: &'a TicketLeg) -> Self {
        TicketLegBody {
            leg: leg.leg,
            flight_id: leg.flight_id,
            flight_number: &leg.flight_number,
            airline: AirlineBody { code: &leg.airline_code, name: leg.airline_name.as_deref() },
            origin: &leg.origin,
            destination: &leg.destination,
            departure_time: leg.departs_at.to_rfc3339(),
            arrival_time: leg.arrives_at.to_rfc3339(),
            seat_number: &leg.seat_number,
            cabin: &leg.cabin,
            fare: leg.fare.clone(),
            this_ticket: leg.this_ticket,
        }
    }
}

impl<'a> From<&'a TicketDetails> for TicketBody<'a> {
    fn from(ticket: &'a TicketDetails) -> Self {
        TicketBody {
            id: ticket.ticket_id,
            ticket_id: ticket.ticket_id,
            ticket_number: &ticket.ticket_number,
            status: &ticket.status,
            booking_id: ticket.booking_id,
            pnr: &ticket.pnr,
            passenger: PassengerBody { position: ticket.passenger_position, name: &ticket.passenger_name },
            flight_id: ticket.flight_id,
            seat_number: &ticket.seat_number,
            fare: ticket.fare.clone(),
            legs: ticket.legs.iter().map(TicketLegBody::from).collect(),
            issued_at: ticket.issued_at,
            voided_at: ticket.voided_at,
            invoice: ticket.invoice.as_ref().map(InvoiceSummaryBody::from),
        }
    }
}

impl<'a> From<&'a BookingTickets> for BookingTicketsBody<'a> {
    fn from(booking: &'a BookingTickets) -> Self {
        BookingTicketsBody {
            booking_id: booking.booking_id,
            pnr: &booking.pnr,
            booking_status: booking.booking_status.as_str(),
            tickets: booking.tickets.iter().map(TicketBody::from).collect(),
            invoice: booking.invoice.as_ref().map(InvoiceSummaryBody::from),
        }
    }
}
