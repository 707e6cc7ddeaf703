//! In-memory implementations of the service ports, for unit tests of the
//! rules: [`MemoryBooks`] works on a copy of a [`Ledger`] and writes it back
//! only on commit, as a transaction would. The ports of a cancellation
//! quote, a voluntary change and a schedule change's answer are
//! implemented in `quotes`, `changes` and `schedule_changes`.

mod changes;
mod quotes;
mod schedule_changes;

use crate::domain::booking::BookingStatus;
use crate::domain::cancellation::{FareLine, QuoteFacts, QuoteFlight, QuotePassenger};
use crate::domain::fares::FareBrand;
use crate::domain::flight::FlightStatus;
use crate::domain::invoice::{compute_invoice, CreditNote, DebitNote, Invoice, InvoiceInput, InvoiceLineInput};
use crate::domain::seating::Cabin;
use crate::service::books::{Books, CancellationBooks, CreditNoteBooks, PaymentBooks, RefundableBooks};
use crate::service::notifications::Notification;
use crate::store::bookings::ReleasedSeat;
use crate::store::cancellation_quotes::StoredQuote;
use crate::store::changes::ChangeQuoteRow;
use crate::store::payments::{BookedFlight, KeyedPayment, LockedBooking, PaymentRow};
use crate::store::schedule_changes::ScheduleChangeRow;
use crate::ApiError;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub booking_id: i64,
    pub amount: i64,
    pub succeeded: bool,
    pub method: String,
    pub reference: String,
    pub decline_code: Option<String>,
    pub idempotency_key: Option<String>,
    /// A change's charge (or its declined attempt), under its quote.
    pub change_quote_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub booking_id: i64,
    pub payment_id: i64,
    pub amount: i64,
    pub reason: String,
}

/// Committed state.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub bookings: BTreeMap<i64, LockedBooking>,
    pub payments: Vec<Payment>,
    pub refunds: Vec<Refund>,
    /// The flights of each booking's live seats.
    pub flights: BTreeMap<i64, Vec<BookedFlight>>,
    /// Live seats per booking.
    pub seats: BTreeMap<i64, Vec<ReleasedSeat>>,
    /// Issued (unvoided) tickets per booking.
    pub tickets: BTreeMap<i64, u64>,
    /// Bookings the ticketing queue was asked for.
    pub ticket_requests: Vec<i64>,
    pub notifications: Vec<Notification>,
    /// Issued invoices per booking.
    pub invoices: BTreeMap<i64, Invoice>,
    /// (booking, note) in issue order; the series is their count.
    pub credit_notes: Vec<(i64, CreditNote)>,
    pub debit_notes: Vec<(i64, DebitNote)>,
    /// What each booking's quotes are computed from besides its status and
    /// money: brand, discount, passengers, fares (their `live` kept here),
    /// flights.
    pub fares: BTreeMap<i64, QuoteFacts>,
    pub quotes: BTreeMap<i64, StoredQuote>,
    /// Quote → the index of its refund in `refunds`.
    pub quote_refunds: BTreeMap<i64, usize>,
    /// Bookings whose promo use came back.
    pub promos_given_back: Vec<i64>,
    pub change_quotes: BTreeMap<i64, ChangeQuoteRow>,
    /// Change quote → the index of its refund in `refunds`.
    pub change_refunds: BTreeMap<i64, usize>,
    /// The issued tickets' numbers per (booking, slice), for the reissues of
    /// changes and schedule changes (`tickets` counts them per booking).
    pub slice_tickets: BTreeMap<(i64, i32), Vec<String>>,
    /// Tickets voided, in order.
    pub voided_tickets: Vec<String>,
    pub schedule_changes: BTreeMap<i64, ScheduleChangeRow>,
    /// Flights no longer sold (cancelled, departed): seats are not moved
    /// onto them, as `change_slice` and `move_seats` refuse in Postgres.
    pub closed_flights: BTreeSet<i64>,
    pub commits: usize,
}

impl Ledger {
    /// A booking of `user_id` for `amount_due` paise, pending for 10 more
    /// minutes from `now`, with one live seat and no tickets.
    pub fn with_booking(mut self, id: i64, user_id: i64, amount_due: i64, now: DateTime<Utc>) -> Self {
        self.bookings.insert(
            id,
            LockedBooking {
                id,
                user_id,
                pnr: format!("PNR{id:03}"),
                status: BookingStatus::PendingPayment,
                currency: "INR".into(),
                total_amount: amount_due,
                amount_due,
                expires_at: now + Duration::minutes(10),
            },
        );
        self.seats.insert(id, vec![ReleasedSeat { booking_id: id, flight_id: 7, seat: "12A".into() }]);
        let flight =
            BookedFlight { flight_id: 7, status: FlightStatus::Scheduled, departs_at: now + Duration::days(2) };
        self.flights.insert(id, vec![flight]);
        self
    }

    pub fn status(&self, booking_id: i64) -> BookingStatus {
        self.bookings[&booking_id].status
    }

    /// A successful payment with tickets issued, as payment and ticketing
    /// would leave it.
    pub fn paid(mut self, booking_id: i64, key: Option<&str>) -> Self {
        let booking = self.bookings.get_mut(&booking_id).expect("booking");
        booking.status = BookingStatus::Paid;
        let amount = booking.amount_due;
        self.payments.push(Payment {
            id: 100 + booking_id,
            booking_id,
            amount,
            succeeded: true,
            method: "wallet".into(),
            reference: format!("pay_{booking_id}"),
            decline_code: None,
            idempotency_key: key.map(str::to_string),
            change_quote_id: None,
        });
        self.tickets.insert(booking_id, 1);
        self
    }

    /// The invoice issued with the booking's tickets: one economy seat
    /// from Delhi for what was paid.
    pub fn invoiced(mut self, booking_id: i64, issued_at: DateTime<Utc>) -> Self {
        let booking = &self.bookings[&booking_id];
        let line = InvoiceLineInput {
            passenger: "Asha Verma".into(),
            passenger_type: Default::default(),
            flight_number: "XY 1".into(),
            origin: "DEL".into(),
            origin_country: "IN".into(),
            destination: "BOM".into(),
            departure_date: issued_at.date_naive(),
            cabin: Cabin::Economy,
            seat: "12A".into(),
            ticket_number: format!("589{booking_id:010}"),
            fare: booking.amount_due,
            seat_product: None,
        };
        let invoice = compute_invoice(InvoiceInput {
            invoice_number: format!("FB/2026/{booking_id:06}"),
            issued_at,
            pnr: booking.pnr.clone(),
            buyer_name: "Asha Verma".into(),
            buyer_email: "asha@example.com".into(),
            currency: booking.currency.clone(),
            lines: vec![line],
            discount: 0,
            cashback: 0,
            discount_code: None,
        });
        self.invoices.insert(booking_id, invoice);
        self
    }

    /// Gives the booking passengers, fares and flights for quotes: each
    /// seat line is a live seat (replacing `with_booking`'s one), one
    /// ticket per passenger and slice if tickets were issued.
    pub fn with_fares(
        mut self,
        booking_id: i64,
        brand: FareBrand,
        passengers: Vec<QuotePassenger>,
        lines: Vec<FareLine>,
        flights: Vec<QuoteFlight>,
    ) -> Self {
        let seats = lines
            .iter()
            .filter_map(|l| Some(ReleasedSeat { booking_id, flight_id: l.flight_id, seat: l.seat.clone()? }))
            .collect();
        self.seats.insert(booking_id, seats);
        if self.tickets.contains_key(&booking_id) {
            let parts: std::collections::BTreeSet<(i32, i32)> = lines.iter().map(|l| (l.position, l.slice)).collect();
            self.tickets.insert(booking_id, parts.len() as u64);
        }
        let booking = &self.bookings[&booking_id];
        let facts = QuoteFacts {
            booking_id,
            user_id: booking.user_id,
            pnr: booking.pnr.clone(),
            status: booking.status,
            currency: booking.currency.clone(),
            expires_at: booking.expires_at,
            brand,
            discount: booking.total_amount - booking.amount_due,
            paid: 0,
            refunded: 0,
            passengers,
            lines,
            flights,
        };
        self.fares.insert(booking_id, facts);
        self
    }

    /// What a quote of the booking is computed from, from the ledger.
    pub fn quote_facts(&self, booking_id: i64) -> Option<QuoteFacts> {
        let mut facts = self.fares.get(&booking_id)?.clone();
        let booking = &self.bookings[&booking_id];
        facts.status = booking.status;
        facts.expires_at = booking.expires_at;
        facts.paid = self.payments.iter().filter(|p| p.booking_id == booking_id && p.succeeded).map(|p| p.amount).sum();
        facts.refunded = self.refunds.iter().filter(|r| r.booking_id == booking_id).map(|r| r.amount).sum();
        Some(facts)
    }

    pub fn books(&mut self) -> MemoryBooks<'_> {
        MemoryBooks { working: self.clone(), committed: self }
    }
}

/// One transaction over a [`Ledger`].
pub struct MemoryBooks<'l> {
    working: Ledger,
    committed: &'l mut Ledger,
}

impl Books for MemoryBooks<'_> {
    async fn lock(&mut self, booking_id: i64) -> Result<Option<LockedBooking>, ApiError> {
        Ok(self.working.bookings.get(&booking_id).cloned())
    }

    async fn announce(&mut self, notification: &Notification) -> Result<(), ApiError> {
        self.working.notifications.push(notification.clone());
        Ok(())
    }

    async fn commit(mut self) -> Result<(), ApiError> {
        self.working.commits += 1;
        *self.committed = self.working;
        Ok(())
    }
}

impl MemoryBooks<'_> {
    fn record(&mut self, payment: &PaymentRow<'_>, succeeded: bool) -> i64 {
        let id = self.next_payment_id();
        self.working.payments.push(Payment {
            id,
            booking_id: payment.booking.id,
            amount: payment.amount,
            succeeded,
            method: payment.method.to_string(),
            reference: payment.reference.to_string(),
            decline_code: payment.decline_code.map(str::to_string),
            idempotency_key: payment.idempotency_key.filter(|_| succeeded).map(str::to_string),
            change_quote_id: None,
        });
        id
    }

    /// The next payment's id.
    fn next_payment_id(&self) -> i64 {
        1 + self.working.payments.len() as i64 + 1000
    }

    /// Voids the slice's issued tickets and issues as many new ones,
    /// numbered after every ticket the ledger has seen; the voided numbers.
    fn reissue_slice(&mut self, booking_id: i64, slice: i32) -> Vec<String> {
        let Some(voided) = self.working.slice_tickets.remove(&(booking_id, slice)) else { return Vec::new() };
        let seen = self.working.voided_tickets.len()
            + voided.len()
            + self.working.slice_tickets.values().map(Vec::len).sum::<usize>();
        let issued = (0..voided.len()).map(|i| format!("589{:010}", 9_000 + seen + i)).collect();
        self.working.slice_tickets.insert((booking_id, slice), issued);
        self.working.voided_tickets.extend(voided.iter().cloned());
        voided
    }
}

impl PaymentBooks for MemoryBooks<'_> {
    async fn success_under_key(&mut self, booking_id: i64, key: &str) -> Result<Option<KeyedPayment>, ApiError> {
        Ok(self
            .working
            .payments
            .iter()
            .find(|p| p.booking_id == booking_id && p.succeeded && p.idempotency_key.as_deref() == Some(key))
            .map(|p| KeyedPayment {
                id: p.id,
                method: p.method.clone(),
                card_last4: None,
                gateway_reference: p.reference.clone(),
            }))
    }

    async fn record_decline(&mut self, payment: PaymentRow<'_>) -> Result<(), ApiError> {
        self.record(&payment, false);
        Ok(())
    }

    async fn record_success(&mut self, payment: PaymentRow<'_>) -> Result<Option<i64>, ApiError> {
        let booking_id = payment.booking.id;
        // One success per booking, a change's charges aside (V17).
        let paid = |p: &Payment| p.booking_id == booking_id && p.succeeded && p.change_quote_id.is_none();
        if self.working.payments.iter().any(paid) {
            return Ok(None);
        }
        let id = self.record(&payment, true);
        self.working.bookings.get_mut(&booking_id).expect("locked booking").status = BookingStatus::Paid;
        Ok(Some(id))
    }

    async fn flights_of(&mut self, booking_id: i64) -> Result<Vec<BookedFlight>, ApiError> {
        Ok(self.working.flights.get(&booking_id).cloned().unwrap_or_default())
    }

    async fn request_tickets(&mut self, booking_id: i64) -> Result<(), ApiError> {
        self.working.ticket_requests.push(booking_id);
        Ok(())
    }
}

impl CreditNoteBooks for MemoryBooks<'_> {
    async fn issued_invoice(&mut self, booking_id: i64) -> Result<Option<Invoice>, ApiError> {
        Ok(self.working.invoices.get(&booking_id).cloned())
    }

    async fn credit_notes(&mut self, booking_id: i64) -> Result<Vec<CreditNote>, ApiError> {
        Ok(self.working.credit_notes.iter().filter(|(b, _)| *b == booking_id).map(|(_, n)| n.clone()).collect())
    }

    async fn debit_notes(&mut self, booking_id: i64) -> Result<Vec<DebitNote>, ApiError> {
        Ok(self.working.debit_notes.iter().filter(|(b, _)| *b == booking_id).map(|(_, n)| n.clone()).collect())
    }

    async fn issue_credit_note(&mut self, booking_id: i64, mut note: CreditNote) -> Result<CreditNote, ApiError> {
        note.credit_note_number = format!("CN/2026/{:06}", self.working.credit_notes.len() + 1);
        self.working.credit_notes.push((booking_id, note.clone()));
        Ok(note)
    }
}

impl RefundableBooks for MemoryBooks<'_> {
    /// As in Postgres: the booking's own payment, and everything paid on it.
    async fn successful_payment(&mut self, booking_id: i64) -> Result<Option<(i64, i64)>, ApiError> {
        let succeeded: Vec<&Payment> =
            self.working.payments.iter().filter(|p| p.booking_id == booking_id && p.succeeded).collect();
        let Some(own) = succeeded.iter().find(|p| p.change_quote_id.is_none()) else { return Ok(None) };
        Ok(Some((own.id, succeeded.iter().map(|p| p.amount).sum())))
    }

    async fn refunded_so_far(&mut self, booking_id: i64) -> Result<i64, ApiError> {
        Ok(self.working.refunds.iter().filter(|r| r.booking_id == booking_id).map(|r| r.amount).sum())
    }
}

impl CancellationBooks for MemoryBooks<'_> {
    async fn mark_cancelled(&mut self, booking_id: i64) -> Result<(), ApiError> {
        self.working.bookings.get_mut(&booking_id).expect("locked booking").status = BookingStatus::Cancelled;
        Ok(())
    }

    async fn release_seats(&mut self, booking_id: i64) -> Result<Vec<ReleasedSeat>, ApiError> {
        Ok(self.working.seats.remove(&booking_id).unwrap_or_default())
    }

    async fn void_tickets(&mut self, booking_id: i64) -> Result<u64, ApiError> {
        let slices: Vec<(i64, i32)> =
            self.working.slice_tickets.keys().filter(|(booking, _)| *booking == booking_id).copied().collect();
        for slice in slices {
            let voided = self.working.slice_tickets.remove(&slice).unwrap_or_default();
            self.working.voided_tickets.extend(voided);
        }
        Ok(self.working.tickets.remove(&booking_id).unwrap_or(0))
    }

    async fn record_refund(
        &mut self,
        booking_id: i64,
        payment_id: i64,
        amount: i64,
        reason: &str,
    ) -> Result<bool, ApiError> {
        let quoted: Vec<usize> = self.working.quote_refunds.values().copied().collect();
        let taken = self
            .working
            .refunds
            .iter()
            .enumerate()
            .any(|(i, r)| r.booking_id == booking_id && r.reason == reason && !quoted.contains(&i));
        if taken {
            return Ok(false);
        }
        self.working.refunds.push(Refund { booking_id, payment_id, amount, reason: reason.to_string() });
        Ok(true)
    }
}
