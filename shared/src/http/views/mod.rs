//! The wire format: each resource's response body as `Serialize` structs,
//! built from what the use cases return. Field names and shapes are the API
//! contract (`../shared/design/API.md`, `openapi/openapi.json`); nothing
//! below `http` knows them. Money is `domain::money::Money`, which serialises
//! as the contract's money object (`{amount, currency, formatted}`) wherever
//! it appears; a bare integer amount kept for the original contract gets one
//! beside it (see `invoices`).

pub mod accounts;
pub mod bookings;
pub mod calendar;
pub mod cancellation_quotes;
pub mod changes;
pub mod discounts;
pub mod documents;
pub mod fares;
pub mod flights;
pub mod invoices;
pub mod notifications;
pub mod schedule_changes;
pub mod seat_map;
pub mod seats;
pub mod tickets;
