//! Use cases that combine the domain rules with the stores: what a handler
//! calls after parsing its request.

pub mod bookings;
pub mod books;
pub mod credit_notes;
pub mod discounts;
pub mod documents;
pub mod flights;
pub mod notifications;
pub mod payments;
pub mod schedule_changes;
pub mod search;
pub mod seats;
pub mod tickets;

/// In-memory ports for the use cases' unit tests.
#[cfg(test)]
mod fakes;
