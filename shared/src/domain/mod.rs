//! Pure business rules: no I/O, unit-tested without any server.

pub mod accounts;
pub mod booking;
pub mod booking_actions;
pub mod booking_events;
pub mod booking_plan;
pub mod discount;
pub mod flight;
pub mod ids;
pub mod invoice;
pub mod itinerary;
pub mod money;
pub mod passengers;
pub mod payment;
pub mod schedule_change;
pub mod seating;
pub mod timetable;
pub mod travellers;
