-- One customer cannot keep flights in PENDING_PAYMENT: their live unpaid
-- seats are capped per flight and in all. The caps are checked under a
-- transaction-level advisory lock per customer (key 1851880569, the user id
-- modulo 2^31 − 1 as the second key: two customers share a lock only past
-- two billion ids, and then merely take turns), so two
-- bookings made at once cannot both slip under them, and the booking itself
-- (book_seats, V9) happens in the same statement: one round trip, as before.

CREATE INDEX bookings_unpaid_by_user ON bookings (user_id) WHERE status = 'PENDING_PAYMENT';

CREATE FUNCTION book_seats_within_caps(
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
    over      record;
BEGIN
    -- One customer's bookings take turns here (a lock in memory, released
    -- with the statement's transaction; no row is written for it).
    PERFORM pg_advisory_xact_lock(1851880569, (p_user_id % 2147483647)::integer);
    WITH unpaid AS (
        SELECT s.flight_id AS flight_id
          FROM bookings b JOIN booking_seats s ON s.booking_id = b.id AND s.live
         WHERE b.user_id = p_user_id AND b.status = 'PENDING_PAYMENT' AND b.expires_at > now()
        UNION ALL
        SELECT f FROM unnest(p_flights) AS f
    ), per_flight AS (
        SELECT unpaid.flight_id, count(*)::integer AS seats FROM unpaid GROUP BY unpaid.flight_id
    )
    SELECT (SELECT pf.flight_id FROM per_flight pf WHERE pf.seats > p_unpaid_per_flight
             ORDER BY pf.flight_id LIMIT 1) AS flight_id,
           (SELECT sum(pf.seats)::integer FROM per_flight pf) AS in_all
      INTO over;
    IF over.flight_id IS NOT NULL THEN
        RAISE EXCEPTION 'customer % would have more than % unpaid seats on flight %', p_user_id, p_unpaid_per_flight,
              over.flight_id
            USING ERRCODE = 'FB003', DETAIL = over.flight_id::text;
    END IF;
    IF over.in_all > p_unpaid_in_all THEN
        RAISE EXCEPTION 'customer % would have % unpaid seats', p_user_id, over.in_all
            USING ERRCODE = 'FB004', DETAIL = over.in_all::text;
    END IF;
    RETURN QUERY SELECT * FROM book_seats(p_user_id, p_pnr, p_currency, p_expires_at, p_passengers, p_slices, p_legs,
                                          p_flights, p_seats, p_cabins, p_positions, p_fares, p_adult_fares, p_laps);
END $$;
