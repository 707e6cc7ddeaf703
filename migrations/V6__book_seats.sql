-- A booking in one statement (one round trip, one transaction): raise the
-- cabin counts in a fixed order (concurrent bookings queue instead of
-- deadlocking; the CHECK on flight_fares refuses overselling), refuse a
-- flight that is no longer scheduled or has departed, and a fare that is
-- not the one the caller priced with, then write the booking, its
-- passengers and its seats (the partial unique index refuses a seat that
-- already belongs to a live booking). Any refusal rolls back everything.
--
-- Errors: FB001 flight not bookable (DETAIL: the flight id), FB002 fare
-- changed (DETAIL: the flight id), 23514 on flight_fares_never_oversold,
-- 23505 on booking_seats_one_live_booking_per_seat or bookings_pnr_key.
CREATE FUNCTION book_seats(
    p_user_id    bigint,
    p_pnr        text,
    p_currency   text,
    p_expires_at timestamptz,
    p_names      text[],
    p_legs       integer[],
    p_flights    bigint[],
    p_seats      text[],
    p_cabins     text[],
    p_positions  integer[],
    p_fares      bigint[]
) RETURNS TABLE (booking_id bigint, created_at timestamptz, full_flights bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    c         record;
    sold      integer;
    total     integer;
    amount    bigint;
    now_full  bigint[] := '{}';
    new_id    bigint;
    created   timestamptz;
BEGIN
    FOR c IN
        SELECT x.flight_id, x.cabin, count(*)::integer AS seats, min(x.fare) AS low, max(x.fare) AS high
        FROM unnest(p_flights, p_cabins, p_fares) AS x(flight_id, cabin, fare)
        GROUP BY x.flight_id, x.cabin
        ORDER BY x.flight_id, x.cabin
    LOOP
        UPDATE flight_fares fa SET seats_sold = fa.seats_sold + c.seats
        FROM flights f
        WHERE fa.flight_id = c.flight_id AND fa.cabin = c.cabin AND f.id = fa.flight_id
          AND f.status = 'SCHEDULED' AND f.departs_at > now()
        RETURNING fa.seats_sold, fa.seats_total, fa.amount INTO sold, total, amount;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'flight % cannot be booked', c.flight_id
                USING ERRCODE = 'FB001', DETAIL = c.flight_id::text;
        END IF;
        IF amount <> c.low OR amount <> c.high THEN
            RAISE EXCEPTION 'the % fare of flight % is now %', c.cabin, c.flight_id, amount
                USING ERRCODE = 'FB002', DETAIL = c.flight_id::text;
        END IF;
        IF sold = total THEN
            now_full := now_full || c.flight_id;
        END IF;
    END LOOP;

    INSERT INTO bookings (pnr, user_id, currency, total_amount, expires_at)
    VALUES (p_pnr, p_user_id, p_currency, (SELECT sum(f) FROM unnest(p_fares) AS f), p_expires_at)
    RETURNING bookings.id, bookings.created_at INTO new_id, created;

    INSERT INTO booking_passengers (booking_id, position, name)
    SELECT new_id, p.ord, p.name
    FROM unnest(p_names) WITH ORDINALITY AS p(name, ord);

    INSERT INTO booking_seats (booking_id, leg, flight_id, seat, cabin, passenger_position, fare)
    SELECT new_id, x.leg, x.flight_id, x.seat, x.cabin, x.passenger, x.fare
    FROM unnest(p_legs, p_flights, p_seats, p_cabins, p_positions, p_fares)
        AS x(leg, flight_id, seat, cabin, passenger, fare)
    ORDER BY x.flight_id, x.seat;

    RETURN QUERY SELECT new_id, created, now_full;
END $$;
