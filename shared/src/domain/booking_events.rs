//! What happened to a booking, in order: each change with who made it and
//! the money it moved.

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    BookingCreated,
    PaymentDeclined,
    PaymentSucceeded,
    DiscountApplied,
    CashbackGranted,
    TicketsIssued,
    BookingCancelled,
    /// Some passengers or slices cancelled by a confirmed quote; the rest
    /// of the booking stands.
    PartiallyCancelled,
    BookingExpired,
    TicketsVoided,
    Refunded,
    /// A promo use given back when the booking ended unpaid.
    PromoReleased,
    /// A slice moved to other flights (a confirmed change quote).
    SliceChanged,
    /// The airline retimed a flight of the booking (detail: its number).
    ScheduleChanged,
    /// The customer answered it (detail: ACCEPTED, REBOOKED or REFUNDED).
    ScheduleChangeResolved,
}

impl EventKind {
    const ALL: [EventKind; 15] = [
        EventKind::BookingCreated,
        EventKind::PaymentDeclined,
        EventKind::PaymentSucceeded,
        EventKind::DiscountApplied,
        EventKind::CashbackGranted,
        EventKind::TicketsIssued,
        EventKind::BookingCancelled,
        EventKind::PartiallyCancelled,
        EventKind::BookingExpired,
        EventKind::TicketsVoided,
        EventKind::Refunded,
        EventKind::PromoReleased,
        EventKind::SliceChanged,
        EventKind::ScheduleChanged,
        EventKind::ScheduleChangeResolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::BookingCreated => "BOOKING_CREATED",
            EventKind::PaymentDeclined => "PAYMENT_DECLINED",
            EventKind::PaymentSucceeded => "PAYMENT_SUCCEEDED",
            EventKind::DiscountApplied => "DISCOUNT_APPLIED",
            EventKind::CashbackGranted => "CASHBACK_GRANTED",
            EventKind::TicketsIssued => "TICKETS_ISSUED",
            EventKind::BookingCancelled => "BOOKING_CANCELLED",
            EventKind::PartiallyCancelled => "PARTIALLY_CANCELLED",
            EventKind::BookingExpired => "BOOKING_EXPIRED",
            EventKind::TicketsVoided => "TICKETS_VOIDED",
            EventKind::Refunded => "REFUNDED",
            EventKind::PromoReleased => "PROMO_RELEASED",
            EventKind::SliceChanged => "SLICE_CHANGED",
            EventKind::ScheduleChanged => "SCHEDULE_CHANGED",
            EventKind::ScheduleChangeResolved => "SCHEDULE_CHANGE_RESOLVED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Who made the change: the customer, the airline (a flight it cancelled
/// or retimed),
/// or the system (ticketing, the schedule's sweeps, the gateway's refunds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    Customer,
    Airline,
    System,
}

impl Actor {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "customer" => Some(Actor::Customer),
            "airline" => Some(Actor::Airline),
            "system" => Some(Actor::System),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookingEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub actor: Actor,
    /// Minor units of the booking's currency, when money moved.
    pub amount: Option<i64>,
    /// The decline code, promo code, refund reason, ticket count, what a
    /// partial cancellation covered, a retimed flight or a schedule change's answer.
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(EventKind::parse("PAID"), None);
    }
}
