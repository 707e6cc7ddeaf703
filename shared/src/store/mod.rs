//! Adapters to the outside world. Domain code sees the small traits; these
//! modules hold every SQL statement, Redis command and AWS call.

pub mod aws;
pub mod booking_events;
pub mod bookings;
pub mod cancellation_quotes;
pub mod changes;
pub mod discounts;
pub mod documents;
pub mod error;
pub mod flights;
pub mod health;
pub mod idempotency;
pub mod login_throttle;
pub mod notification_log;
pub mod outbox;
pub mod payments;
pub mod pg_errors;
pub mod postgres;
pub mod rate_limit;
pub mod redelivery;
pub mod redis;
pub mod schedule_changes;
pub mod search_cache;
pub mod seat_holds;
pub mod secrets;
pub mod tickets;
pub mod timetable;
pub mod tls;
pub mod users;

pub use error::StoreError;
