//! Integration and end-to-end tests against the real Postgres, Redis and
//! AWS emulator started by `local/test`. One test binary (one link) for all.

mod after_sales;
mod auth;
mod booking_inputs;
mod bookings;
mod calendar;
mod cancellation_quotes;
mod changes;
mod data_path;
mod documents;
mod family_bookings;
mod fare_brands;
mod faults;
mod flights;
mod gateway;
mod health;
mod inventory_protection;
mod ledger;
mod notifications;
mod openapi;
mod paid_seats;
mod payments;
mod races;
mod schedule_changes;
mod secrets;
mod security;
mod seed;
mod sequences;
mod support;
mod trips;
mod walkthrough;
