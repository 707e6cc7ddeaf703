-- Fare brands (domain::fares). A booking chooses one; what the choice means
-- on each seat follows from the seat's cabin (business and first sell only
-- FLEX). Bookings made before brands existed paid the published fare, which
-- is SAVER's.
ALTER TABLE bookings ADD COLUMN fare_brand text NOT NULL DEFAULT 'SAVER'
    CHECK (fare_brand IN ('SAVER', 'FLEXI', 'FLEX'));

-- The booking statement with its brand: the default brand costs nothing
-- more than before (no second write); another one is set in the same
-- transaction, so a booking never exists priced as one brand and labelled
-- as another.
CREATE FUNCTION book_branded_seats(
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
    SELECT * INTO made FROM book_seats_within_caps(p_unpaid_per_flight, p_unpaid_in_all, p_user_id, p_pnr,
        p_currency, p_expires_at, p_passengers, p_slices, p_legs, p_flights, p_seats, p_cabins, p_positions,
        p_fares, p_adult_fares, p_laps);
    IF p_fare_brand <> 'SAVER' THEN
        UPDATE bookings SET fare_brand = p_fare_brand WHERE id = made.booking_id;
    END IF;
    RETURN QUERY SELECT made.booking_id, made.created_at, made.full_flights;
END $$;
