//! Ticket issuance (from the ticketing queue or on demand), ticket and
//! invoice views. Issuance locks the booking row, so the queue consumer and
//! `tickets-generate` racing each other issue one set of tickets; the unique
//! (booking, passenger, leg) constraint is the final guard.

use super::notifications::NotificationKind;
use super::notifications::{self, Notification};
use crate::auth::caller::Caller;
use crate::domain::booking::BookingStatus;
use crate::domain::invoice::{compute_invoice, CashbackLine, Invoice, InvoiceInput, InvoiceLineInput};
use crate::domain::money::Money;
use crate::domain::seat_charges::SeatProduct;
use crate::domain::seating::Cabin;
use crate::domain::travellers::PassengerType;
use crate::store::bookings::{BookingRecord, PgBookings};
use crate::store::documents::PgDocuments;
use crate::store::flights::PgFlights;
use crate::store::outbox::Outgoing;
use crate::store::payments::lock_booking;
use crate::store::tickets::{self, GapFreeSeries, PgTickets, TicketRow};
use crate::store::users::{PgUsers, UserStore};
use crate::ErrorCode;
use crate::{ApiError, Services};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

#[derive(Debug, PartialEq, Eq)]
pub enum IssueOutcome {
    Issued(u64),
    AlreadyIssued,
    NotPaid(BookingStatus),
    UnknownBooking,
}

pub async fn issue_tickets(svc: &Services, booking_id: i64) -> Result<IssueOutcome, ApiError> {
    // What the invoice needs besides the tickets is read first, on pooled
    // connections given back at once: a paid booking's facts are final, so
    // the transaction below holds one connection and its locks no longer
    // than its own statements take.
    let Some(record) = PgBookings::new(&svc.db).find(booking_id).await? else {
        return Ok(IssueOutcome::UnknownBooking);
    };
    if record.status != BookingStatus::Paid {
        return Ok(IssueOutcome::NotPaid(record.status));
    }
    let facts = invoice_facts(svc, &record).await?;

    let mut client = svc.db.get().await?;
    let tx = client.transaction().await?;
    let Some(booking) = lock_booking(&tx, booking_id).await? else {
        return Ok(IssueOutcome::UnknownBooking);
    };
    if booking.status != BookingStatus::Paid {
        return Ok(IssueOutcome::NotPaid(booking.status));
    }
    if tickets::count_for_booking(&tx, booking_id).await? > 0 {
        return Ok(IssueOutcome::AlreadyIssued);
    }
    let issued = tickets::issue(&tx, booking_id).await?;
    // The invoice is computed from what this transaction wrote.
    let ticket_rows = tickets::of_booking_in(&tx, booking_id).await?;
    // A cashback granted before the invoice has no invoice to be credited
    // against: it shows on this one, for information (read under the
    // booking's lock, so none slips between). One granted later is a credit note.
    let cashback = tickets::cashback_in(&tx, booking_id).await?;
    let mut invoice = invoice_from(&record, &facts, &ticket_rows, "", Utc::now(), cashback)?;
    // Taking the number locks the year's series row until the commit, and
    // every issuance waits for it (the series has no gaps): so it comes
    // last, three statements before the commit.
    let number = tickets::next_in_series(&tx, GapFreeSeries::Invoices, invoice.issued_at).await?;
    invoice.invoice_number = number.2.clone();
    tickets::insert_invoice(&tx, booking_id, &number, &serde_json::to_value(&invoice).map_err(ApiError::internal)?)
        .await?;
    let notification = Notification::new(
        booking.user_id,
        NotificationKind::TicketIssued,
        format!("E-tickets for {}", booking.pnr),
        format!(
            "Your e-tickets for booking {} are issued: {}. Invoice {}.",
            booking.pnr,
            ticket_rows.iter().map(|t| t.ticket_number.as_str()).collect::<Vec<_>>().join(", "),
            number.2
        ),
    );
    let mut outgoing = Outgoing::default();
    notifications::enqueue(&mut outgoing, &tx, &notification).await?;
    tx.commit().await?;
    drop(client);
    outgoing.send(&svc.outbox()).await;
    tracing::info!(booking_id, tickets = issued, invoice = %number.2, "tickets issued");
    Ok(IssueOutcome::Issued(issued))
}

/// A flight as an invoice line shows it.
struct InvoiceFlight {
    flight_number: String,
    origin: String,
    origin_country: String,
    destination: String,
    departure_date: chrono::NaiveDate,
}

/// What an invoice needs from the database besides the tickets.
struct InvoiceFacts {
    buyer_name: String,
    buyer_email: String,
    flights: std::collections::HashMap<i64, InvoiceFlight>,
    discount_code: Option<String>,
}

async fn invoice_facts(svc: &Services, record: &BookingRecord) -> Result<InvoiceFacts, ApiError> {
    let user = PgUsers::new(&svc.db).find_by_id(record.user_id).await?;
    let store = PgFlights::new(&svc.db);
    let mut flights = std::collections::HashMap::new();
    for seat in &record.seats {
        if flights.contains_key(&seat.flight_id) {
            continue;
        }
        let flight = store.find(seat.flight_id).await?.ok_or_else(|| ApiError::internal("flight vanished"))?;
        let directory = svc.directory.get(&svc.db, &[&flight.leg.origin]).await?;
        let origin = directory.airports.get(&flight.leg.origin);
        flights.insert(
            seat.flight_id,
            InvoiceFlight {
                flight_number: flight.leg.flight_number.clone(),
                origin: flight.leg.origin.clone(),
                origin_country: origin.map(|a| a.country.clone()).unwrap_or_default(),
                destination: flight.leg.destination.clone(),
                departure_date: flight
                    .leg
                    .departs_at
                    .with_timezone(&origin.map(|a| a.time_zone).unwrap_or(chrono_tz::UTC))
                    .date_naive(),
            },
        );
    }
    let discount_code = PgTickets::new(&svc.db).discount_code_of_booking(record.id).await?;
    Ok(InvoiceFacts {
        buyer_name: user.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
        buyer_email: user.map(|u| u.email).unwrap_or_default(),
        flights,
        discount_code,
    })
}

fn invoice_from(
    record: &BookingRecord,
    facts: &InvoiceFacts,
    tickets: &[TicketRow],
    invoice_number: &str,
    issued_at: DateTime<Utc>,
    cashback: i64,
) -> Result<Invoice, ApiError> {
    let mut lines = Vec::new();
    for ticket in tickets.iter().filter(|t| t.status == "ISSUED") {
        let coupons = coupons(record, ticket);
        if coupons.is_empty() {
            return Err(ApiError::internal("ticket without its seat"));
        }
        for coupon in coupons {
            let flight =
                facts.flights.get(&coupon.flight_id).ok_or_else(|| ApiError::internal("ticket of another flight"))?;
            let line = InvoiceLineInput {
                passenger: passenger_name(record, ticket.passenger_position),
                passenger_type: passenger_type(record, ticket.passenger_position),
                flight_number: flight.flight_number.clone(),
                origin: flight.origin.clone(),
                origin_country: flight.origin_country.clone(),
                destination: flight.destination.clone(),
                departure_date: flight.departure_date,
                cabin: Cabin::parse(coupon.cabin).unwrap_or(Cabin::Economy),
                seat: coupon.seat.to_string(),
                ticket_number: ticket.ticket_number.clone(),
                fare: coupon.fare,
                seat_product: None,
            };
            // A chosen seat's charge is its own line after its fare's.
            match coupon.seat_charge {
                Some((product, charge)) => {
                    let seat_line = InvoiceLineInput { fare: charge, seat_product: Some(product), ..line.clone() };
                    lines.push(InvoiceLineInput { fare: coupon.fare - charge, ..line });
                    lines.push(seat_line);
                }
                None => lines.push(line),
            }
        }
    }
    Ok(compute_invoice(InvoiceInput {
        invoice_number: invoice_number.to_string(),
        issued_at,
        pnr: record.pnr.clone(),
        buyer_name: facts.buyer_name.clone(),
        buyer_email: facts.buyer_email.clone(),
        currency: record.currency.clone(),
        lines,
        discount: record.discount_amount,
        cashback,
        discount_code: facts.discount_code.clone(),
    }))
}

/// One flight of a ticket: a ticket is per passenger and slice, with a
/// coupon for each leg of the slice.
struct Coupon<'a> {
    leg: i32,
    flight_id: i64,
    /// `INF` for an infant on a lap.
    seat: &'a str,
    cabin: &'a str,
    /// The seat charge included.
    fare: i64,
    seat_charge: Option<(SeatProduct, i64)>,
}

/// Every flight a passenger takes, in leg order, with its slice: seats, or
/// an infant's laps.
fn travelled(record: &BookingRecord, position: i32) -> Vec<(i32, Coupon<'_>)> {
    let mut legs: Vec<(i32, Coupon)> = record
        .seats
        .iter()
        .filter(|s| s.passenger_position == position)
        .map(|s| {
            let coupon = Coupon {
                leg: s.leg,
                flight_id: s.flight_id,
                seat: &s.seat,
                cabin: &s.cabin,
                fare: s.fare,
                seat_charge: s.seat_charge,
            };
            (s.slice, coupon)
        })
        .collect();
    legs.extend(record.laps.iter().filter(|l| l.passenger_position == position).map(|l| {
        let coupon = Coupon {
            leg: l.leg,
            flight_id: l.flight_id,
            seat: tickets::LAP_SEAT,
            cabin: &l.cabin,
            fare: l.fare,
            seat_charge: None,
        };
        (l.slice, coupon)
    }));
    legs.sort_by_key(|(_, c)| c.leg);
    legs
}

/// The coupons of a ticket: its passenger's legs in the slice of the
/// ticket's (first) leg.
fn coupons<'a>(record: &'a BookingRecord, ticket: &TicketRow) -> Vec<Coupon<'a>> {
    let legs = travelled(record, ticket.passenger_position);
    let Some(slice) = legs.iter().find(|(_, c)| c.leg == ticket.leg).map(|(slice, _)| *slice) else {
        return Vec::new();
    };
    legs.into_iter().filter(|(s, _)| *s == slice).map(|(_, c)| c).collect()
}

fn passenger_type(record: &BookingRecord, position: i32) -> PassengerType {
    record.passengers.iter().find(|p| p.position == position).map(|p| p.kind).unwrap_or_default()
}

fn passenger_name(record: &BookingRecord, position: i32) -> String {
    record.passengers.iter().find(|p| p.position == position).map(|p| p.name.clone()).unwrap_or_default()
}

/// The booking's invoice as it was issued: read back from the document
/// stored at issue, never worked out again, so a number once issued keeps
/// its lines whatever happens to the booking after (a cancellation voids
/// the tickets; what goes back is a credit note).
pub async fn issued_invoice(svc: &Services, record: &BookingRecord) -> Result<Option<Invoice>, ApiError> {
    let Some(stored) = PgDocuments::new(&svc.db).invoice_of_booking(record.id).await? else {
        return Ok(None);
    };
    match serde_json::from_value(stored.document) {
        Ok(invoice) => Ok(Some(invoice)),
        Err(error) => {
            // An invoice issued before its stored document was what reads
            // serve, in a shape today's type does not read: worked out again
            // from the booking as it always was, the one case that still is.
            tracing::warn!(%error, booking_id = record.id, invoice = %stored.number, "stored invoice unreadable; recomputed");
            let store = PgTickets::new(&svc.db);
            let tickets = store.of_booking(record.id).await?;
            let cashback = store.cashback_of_booking(record.id).await?;
            let facts = invoice_facts(svc, record).await?;
            Ok(Some(invoice_from(record, &facts, &tickets, &stored.number, stored.issued_at, cashback)?))
        }
    }
}

/// One flight of a ticket's journey, times in the local time of their airports.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketLeg {
    pub leg: i32,
    pub flight_id: i64,
    pub flight_number: String,
    pub airline_code: String,
    /// `None` for an airline missing from the directory.
    pub airline_name: Option<String>,
    pub origin: String,
    pub destination: String,
    pub departs_at: DateTime<Tz>,
    pub arrives_at: DateTime<Tz>,
    pub seat_number: String,
    pub cabin: String,
    pub fare: Money,
    /// A leg of the ticket's slice (a ticket is per passenger and slice).
    pub this_ticket: bool,
}

/// The few invoice figures a ticket shows, and the ticket whose invoice
/// link they go with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceSummary {
    pub ticket_id: i64,
    pub invoice_number: String,
    pub currency: String,
    pub total: i64,
    pub total_tax: i64,
    pub cashback: Option<CashbackLine>,
}

impl InvoiceSummary {
    /// Read from the typed invoice, not its JSON: a misspelt key there once made `total` always null.
    fn of(invoice: &Invoice, ticket_id: i64) -> Self {
        InvoiceSummary {
            ticket_id,
            invoice_number: invoice.invoice_number.clone(),
            currency: invoice.currency.clone(),
            total: invoice.invoice_total,
            total_tax: invoice.total_tax,
            cashback: invoice.cashback.clone(),
        }
    }
}

/// One ticket: its passenger, its booking, the passenger's legs and the invoice.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketDetails {
    pub ticket_id: i64,
    pub ticket_number: String,
    pub status: String,
    pub booking_id: i64,
    pub pnr: String,
    pub passenger_position: i32,
    pub passenger_name: String,
    pub flight_id: i64,
    pub seat_number: String,
    pub fare: Money,
    pub legs: Vec<TicketLeg>,
    pub issued_at: DateTime<Utc>,
    pub voided_at: Option<DateTime<Utc>>,
    pub invoice: Option<InvoiceSummary>,
}

/// A booking's tickets and its invoice.
#[derive(Clone, Debug, PartialEq)]
pub struct BookingTickets {
    pub booking_id: i64,
    pub pnr: String,
    pub booking_status: BookingStatus,
    pub tickets: Vec<TicketDetails>,
    /// With the link of the booking's first ticket.
    pub invoice: Option<InvoiceSummary>,
}

async fn ticket_details(
    svc: &Services,
    record: &BookingRecord,
    ticket: &TicketRow,
    invoice: Option<&Invoice>,
) -> Result<TicketDetails, ApiError> {
    let flights = PgFlights::new(&svc.db);
    let mut legs = Vec::new();
    let own = coupons(record, ticket);
    let mine: Vec<i32> = own.iter().map(|c| c.leg).collect();
    let fare = own.iter().map(|c| c.fare).sum();
    for (_, coupon) in travelled(record, ticket.passenger_position) {
        let flight = flights.find(coupon.flight_id).await?.ok_or_else(|| ApiError::internal("flight vanished"))?;
        let directory = svc.directory.get(&svc.db, &[&flight.leg.origin, &flight.leg.destination]).await?;
        let tz = |code: &str| directory.airports.get(code).map(|a| a.time_zone).unwrap_or(chrono_tz::UTC);
        let leg = flight.leg;
        legs.push(TicketLeg {
            leg: coupon.leg,
            flight_id: leg.flight_id,
            airline_name: directory.airlines.get(&leg.airline_code).cloned(),
            airline_code: leg.airline_code,
            departs_at: leg.departs_at.with_timezone(&tz(&leg.origin)),
            arrives_at: leg.arrives_at.with_timezone(&tz(&leg.destination)),
            flight_number: leg.flight_number,
            origin: leg.origin,
            destination: leg.destination,
            seat_number: coupon.seat.to_string(),
            cabin: coupon.cabin.to_string(),
            fare: Money::new(coupon.fare, &record.currency),
            this_ticket: mine.contains(&coupon.leg),
        });
    }
    Ok(TicketDetails {
        ticket_id: ticket.id,
        ticket_number: ticket.ticket_number.clone(),
        status: ticket.status.clone(),
        booking_id: record.id,
        pnr: record.pnr.clone(),
        passenger_position: ticket.passenger_position,
        passenger_name: passenger_name(record, ticket.passenger_position),
        flight_id: ticket.flight_id,
        seat_number: ticket.seat.clone(),
        fare: Money::new(fare, &record.currency),
        legs,
        issued_at: ticket.issued_at,
        voided_at: ticket.voided_at,
        invoice: invoice.map(|i| InvoiceSummary::of(i, ticket.id)),
    })
}

async fn owned_booking_or_404(svc: &Services, caller: &Caller, booking_id: i64) -> Result<BookingRecord, ApiError> {
    super::bookings::owned_booking(svc, caller, booking_id).await
}

/// `tickets-generate`: the booking's tickets, issuing them now if needed.
pub async fn generate(svc: &Services, caller: &Caller, booking_id: i64) -> Result<BookingTickets, ApiError> {
    let record = owned_booking_or_404(svc, caller, booking_id).await?;
    match record.status {
        BookingStatus::PendingPayment => {
            return Err(ApiError::conflict(
                ErrorCode::BookingNotPaid,
                format!("booking {booking_id} is not paid yet; pay it first"),
            ))
        }
        BookingStatus::Expired => {
            return Err(ApiError::conflict(ErrorCode::BookingExpired, format!("booking {booking_id} expired unpaid")))
        }
        BookingStatus::Cancelled | BookingStatus::Paid => {}
    }
    if record.status == BookingStatus::Paid {
        issue_tickets(svc, booking_id).await?;
    }
    tickets_of(svc, &record).await
}

async fn tickets_of(svc: &Services, record: &BookingRecord) -> Result<BookingTickets, ApiError> {
    let rows = PgTickets::new(&svc.db).of_booking(record.id).await?;
    let invoice = issued_invoice(svc, record).await?;
    let mut tickets = Vec::new();
    for ticket in &rows {
        tickets.push(ticket_details(svc, record, ticket, invoice.as_ref()).await?);
    }
    Ok(BookingTickets {
        booking_id: record.id,
        pnr: record.pnr.clone(),
        booking_status: record.status,
        tickets,
        invoice: invoice.as_ref().zip(rows.first()).map(|(i, t)| InvoiceSummary::of(i, t.id)),
    })
}

async fn owned_ticket(svc: &Services, caller: &Caller, ticket_id: i64) -> Result<(TicketRow, BookingRecord), ApiError> {
    let not_found = || ApiError::not_found(format!("ticket {ticket_id} does not exist"));
    let ticket = PgTickets::new(&svc.db).find(ticket_id).await?.ok_or_else(not_found)?;
    let record = PgBookings::new(&svc.db).find(ticket.booking_id).await?.ok_or_else(not_found)?;
    if record.user_id != caller.user_id {
        return Err(not_found());
    }
    Ok((ticket, record))
}

pub async fn ticket(svc: &Services, caller: &Caller, ticket_id: i64) -> Result<TicketDetails, ApiError> {
    let (ticket, record) = owned_ticket(svc, caller, ticket_id).await?;
    let invoice = issued_invoice(svc, &record).await?;
    ticket_details(svc, &record, &ticket, invoice.as_ref()).await
}

pub async fn invoice_of_ticket(svc: &Services, caller: &Caller, ticket_id: i64) -> Result<Invoice, ApiError> {
    let (_, record) = owned_ticket(svc, caller, ticket_id).await?;
    issued_invoice(svc, &record).await?.ok_or_else(|| ApiError::not_found(format!("ticket {ticket_id} has no invoice")))
}
