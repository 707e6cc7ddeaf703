//! Pure business rules: no I/O, unit-tested without any server.

pub mod accounts;
pub mod booking;
pub mod booking_actions;
pub mod booking_events;
pub mod booking_plan;
pub mod change;
// Amounts in paise are written rupees_paise (`3_500_00` is ₹3,500.00).
#[allow(clippy::inconsistent_digit_grouping)]
pub mod cancellation;
pub mod discount;
#[allow(clippy::inconsistent_digit_grouping)]
pub mod fares;
pub mod flight;
pub mod ids;
pub mod invoice;
pub mod itinerary;
pub mod money;
pub mod passengers;
pub mod payment;
pub mod schedule_change;
pub mod seat_charges;
pub mod seating;
pub mod timetable;
pub mod travellers;
