//! The stable `code` of every problem the API answers: clients switch on
//! these strings, so a variant's string never changes once published.

macro_rules! error_codes {
    ($($variant:ident = $text:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }
        }
    };
}

error_codes! {
    // The request itself.
    InvalidJson = "INVALID_JSON",
    InvalidField = "INVALID_FIELD",
    MissingParameter = "MISSING_PARAMETER",
    InvalidCursor = "INVALID_CURSOR",
    InvalidIdempotencyKey = "INVALID_IDEMPOTENCY_KEY",
    DateInPast = "DATE_IN_PAST",
    DateOutOfRange = "DATE_OUT_OF_RANGE",
    UnknownAirport = "UNKNOWN_AIRPORT",
    UnknownSeat = "UNKNOWN_SEAT",
    LegsDoNotConnect = "LEGS_DO_NOT_CONNECT",
    WeakPassword = "WEAK_PASSWORD",
    // Who may do it.
    Unauthorized = "UNAUTHORIZED",
    Forbidden = "FORBIDDEN",
    NotFound = "NOT_FOUND",
    MethodNotAllowed = "METHOD_NOT_ALLOWED",
    PayloadTooLarge = "PAYLOAD_TOO_LARGE",
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE",
    RateLimited = "RATE_LIMITED",
    // Accounts.
    EmailTaken = "EMAIL_TAKEN",
    // Flights and seats.
    FlightNotBookable = "FLIGHT_NOT_BOOKABLE",
    FlightDeparted = "FLIGHT_DEPARTED",
    FlightCancelled = "FLIGHT_CANCELLED",
    FlightNumberTaken = "FLIGHT_NUMBER_TAKEN",
    SeatUnavailable = "SEAT_UNAVAILABLE",
    SeatNotHeld = "SEAT_NOT_HELD",
    NotEnoughSeats = "NOT_ENOUGH_SEATS",
    SoldOut = "SOLD_OUT",
    HoldLimitReached = "HOLD_LIMIT_REACHED",
    PriceChanged = "PRICE_CHANGED",
    UnpaidSeatsLimit = "UNPAID_SEATS_LIMIT",
    // Bookings and payments.
    BookingAlreadyPaid = "BOOKING_ALREADY_PAID",
    BookingCancelled = "BOOKING_CANCELLED",
    BookingExpired = "BOOKING_EXPIRED",
    BookingNotPaid = "BOOKING_NOT_PAID",
    BookingNotDiscountable = "BOOKING_NOT_DISCOUNTABLE",
    AmountMismatch = "AMOUNT_MISMATCH",
    BookingNotChangeable = "BOOKING_NOT_CHANGEABLE",
    PaymentDeclined = "PAYMENT_DECLINED",
    IdempotencyInProgress = "IDEMPOTENCY_IN_PROGRESS",
    // Airline-initiated schedule changes.
    ScheduleChangeResolved = "SCHEDULE_CHANGE_RESOLVED",
    AcceptNotAllowed = "ACCEPT_NOT_ALLOWED",
    NotAnAlternative = "NOT_AN_ALTERNATIVE",
    IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED",
    // Cancellation quotes.
    CancellationScopeInvalid = "CANCELLATION_SCOPE_INVALID",
    NothingToCancel = "NOTHING_TO_CANCEL",
    QuoteExpired = "QUOTE_EXPIRED",
    QuoteAlreadyConfirmed = "QUOTE_ALREADY_CONFIRMED",
    QuoteStale = "QUOTE_STALE",
    // Discounts.
    DiscountAlreadyApplied = "DISCOUNT_ALREADY_APPLIED",
    DiscountExhausted = "DISCOUNT_EXHAUSTED",
    DiscountNotApplicable = "DISCOUNT_NOT_APPLICABLE",
    DiscountUserLimit = "DISCOUNT_USER_LIMIT",
    DiscountInactive = "DISCOUNT_INACTIVE",
    DiscountExpired = "DISCOUNT_EXPIRED",
    DiscountNotYetValid = "DISCOUNT_NOT_YET_VALID",
    DiscountMinFareNotMet = "DISCOUNT_MIN_FARE_NOT_MET",
    // Ours.
    ServiceUnavailable = "SERVICE_UNAVAILABLE",
    InternalError = "INTERNAL_ERROR",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_upper_snake_strings() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(text.chars().all(|c| c.is_ascii_uppercase() || c == '_'), "{text}");
            assert!(seen.insert(text), "{text} twice");
        }
    }
}
