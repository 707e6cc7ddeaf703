-- What the functions' role may do, granted by `db-migrate` after the
-- migrations (as the schema's owner; `{app}` is the role, quoted). The app
-- role creates, alters, truncates and deletes nothing: rows leave by state
-- (CANCELLED, EXPIRED, VOID), never by DELETE. A new table gets a line here,
-- or the app role cannot see it (local/tests/api/data_path.rs checks both).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO {app};

-- The schedule and reference data: written by the operator's seeding only.
GRANT SELECT ON airports, airlines, aircraft_types, schedule_revision TO {app};
GRANT SELECT, UPDATE (status, cancelled_at, cancelled_by) ON flights TO {app};
-- An admin's reschedule retimes a flight.
GRANT UPDATE (departs_at, arrives_at) ON flights TO {app};
GRANT SELECT, UPDATE (seats_sold) ON flight_fares TO {app};

-- What customers and the admin's routes change.
GRANT SELECT, INSERT, UPDATE ON users, bookings, booking_seats, discount_codes, tickets, invoice_series, outbox TO {app};
GRANT SELECT, INSERT ON booking_passengers, booking_lap_fares, payments, refunds, booking_discounts, invoices TO {app};
-- GST credit notes: issued, never changed; the series row is bumped per note.
GRANT SELECT, INSERT ON credit_notes TO {app};
GRANT SELECT, INSERT, UPDATE ON credit_note_series TO {app};
-- Voluntary changes: quotes confirmed once; lap fares leave with their
-- slice; reissued tickets name the ticket they replace; debit notes are
-- issued, never changed.
GRANT SELECT, INSERT ON change_quotes, debit_notes TO {app};
GRANT UPDATE (status, confirmed_at) ON change_quotes TO {app};
GRANT UPDATE (live) ON booking_lap_fares TO {app};
GRANT SELECT, INSERT, UPDATE ON debit_note_series TO {app};
-- Cancellation quotes: written once, then confirmed once (V16's trigger).
GRANT SELECT, INSERT ON cancellation_quotes TO {app};
GRANT UPDATE (status, confirmed_at, confirm_idempotency_key, refund_id, closed_booking) ON cancellation_quotes TO {app};
-- Airline-initiated schedule changes, resolved once by their customer; a
-- rebooked infant's lap fare follows its adult to the new flight.
GRANT SELECT, INSERT ON schedule_changes TO {app};
GRANT UPDATE (new_departs_at, new_arrives_at, accept_allowed, status, rebooked_to, resolved_at) ON schedule_changes TO {app};
GRANT UPDATE (flight_id) ON booking_lap_fares TO {app};
-- A promo use given back when its booking ends unpaid.
GRANT UPDATE (released_at) ON booking_discounts TO {app};
-- Identities, ticket serials and admin ids.
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {app};
