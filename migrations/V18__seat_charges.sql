-- Paid seats (domain::seat_charges). What choosing a seat cost is part of
-- the seat's fare, so every sum of what a booking paid, refunds and
-- changes included, already counts it; these columns say how much of the
-- fare it was and for which seat product, for the booking and its invoice.
ALTER TABLE booking_seats
    ADD COLUMN seat_charge bigint NOT NULL DEFAULT 0,
    ADD COLUMN seat_product text
        CHECK (seat_product IN ('STANDARD', 'FRONT_ROW', 'EXIT_ROW', 'EXTRA_LEGROOM')),
    ADD CONSTRAINT booking_seats_charge_within_fare
        CHECK (seat_charge >= 0 AND seat_charge <= fare AND (seat_charge = 0) = (seat_product IS NULL));

-- The booking statement with its seat charges, set in the same transaction:
-- a booking never exists with a total that counts a charge its seats do not
-- name. Bookings without charges pay for no second write.
CREATE FUNCTION book_seats_with_charges(
    p_seat_charges      bigint[],
    p_seat_products     text[],
    p_fare_brand        text,
    p_unpaid_per_flight integer,
    p_unpaid_in_all     integer,
    p_user_id     bigint,
    p_pnr         text,
    p_currency    text,
    p_expires_at  timestamptz,
    p_passengers  jsonb,
    p_slices      integer[],
    p_legs        integer[],
    p_flights     bigint[],
    p_seats       text[],
    p_cabins      text[],
    p_positions   integer[],
    p_fares       bigint[],
    p_adult_fares bigint[],
    p_laps        jsonb
) RETURNS TABLE (booking_id bigint, created_at timestamptz, full_flights bigint[])
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    made record;
BEGIN
    SELECT * INTO made FROM book_branded_seats(p_fare_brand, p_unpaid_per_flight, p_unpaid_in_all, p_user_id,
        p_pnr, p_currency, p_expires_at, p_passengers, p_slices, p_legs, p_flights, p_seats, p_cabins,
        p_positions, p_fares, p_adult_fares, p_laps);
    IF EXISTS (SELECT 1 FROM unnest(p_seat_charges) AS c(charge) WHERE c.charge > 0) THEN
        UPDATE booking_seats s SET seat_charge = c.charge, seat_product = c.product
          FROM unnest(p_legs, p_positions, p_seat_charges, p_seat_products) AS c(leg, passenger, charge, product)
         WHERE s.booking_id = made.booking_id AND s.leg = c.leg AND s.passenger_position = c.passenger
           AND c.charge > 0;
    END IF;
    RETURN QUERY SELECT made.booking_id, made.created_at, made.full_flights;
END $$;
