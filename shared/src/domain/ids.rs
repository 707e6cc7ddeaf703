//! Ids of different things, as types where they meet in one signature (a
//! seat hold names a flight, a customer and, once sold, a booking): passed
//! in the wrong order, they do not compile.

use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id!(
    /// A flight (one departure of a flight number).
    FlightId
);
id!(
    /// A customer's account.
    UserId
);
id!(
    /// A booking (an order of one or more slices).
    BookingId
);
