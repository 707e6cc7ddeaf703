-- Travellers of every type and orders of several slices. Adults and
-- children take seats; an infant travels on an adult's lap, takes no seat
-- and pays a fare of its own (booking_lap_fares), so seat counts and the
-- one-live-booking-per-seat index see seated passengers only.

ALTER TABLE booking_passengers
    DROP CONSTRAINT booking_passengers_position_check,
    -- Nine seated passengers and at most one infant each.
    ADD CONSTRAINT booking_passengers_position_check CHECK (position BETWEEN 1 AND 18),
    ADD COLUMN passenger_type text NOT NULL DEFAULT 'adult' CHECK (passenger_type IN ('adult', 'child', 'infant')),
    ADD COLUMN title text CHECK (title IN ('MR', 'MRS', 'MS', 'MISS', 'MSTR', 'DR')),
    ADD COLUMN given_name text CHECK (char_length(given_name) BETWEEN 1 AND 50),
    ADD COLUMN family_name text CHECK (char_length(family_name) BETWEEN 1 AND 50),
    ADD COLUMN date_of_birth date,
    ADD COLUMN gender text CHECK (gender IN ('m', 'f', 'x')),
    -- The position of the adult whose lap an infant travels on.
    ADD COLUMN infant_of integer,
    ADD COLUMN passport_number text CHECK (passport_number ~ '^[A-Z0-9]{5,20}$'),
    ADD COLUMN passport_issuing_country text CHECK (passport_issuing_country ~ '^[A-Z]{2}$'),
    ADD COLUMN passport_nationality text CHECK (passport_nationality ~ '^[A-Z]{2}$'),
    ADD COLUMN passport_expires_on date,
    ADD CONSTRAINT booking_passengers_infants_on_a_lap CHECK ((passenger_type = 'infant') = (infant_of IS NOT NULL)),
    ADD CONSTRAINT booking_passengers_lap FOREIGN KEY (booking_id, infant_of)
        REFERENCES booking_passengers (booking_id, position);
CREATE UNIQUE INDEX booking_passengers_one_infant_per_lap
    ON booking_passengers (booking_id, infant_of) WHERE infant_of IS NOT NULL;

ALTER TABLE booking_seats
    DROP CONSTRAINT booking_seats_leg_check,
    -- Up to five slices of up to three legs.
    ADD CONSTRAINT booking_seats_leg_check CHECK (leg BETWEEN 1 AND 15),
    ADD COLUMN slice integer NOT NULL DEFAULT 1 CHECK (slice BETWEEN 1 AND 5);

CREATE TABLE booking_lap_fares (
    booking_id         bigint  NOT NULL REFERENCES bookings ON DELETE CASCADE,
    leg                integer NOT NULL CHECK (leg BETWEEN 1 AND 15),
    slice              integer NOT NULL CHECK (slice BETWEEN 1 AND 5),
    flight_id          bigint  NOT NULL REFERENCES flights,
    cabin              text    NOT NULL,
    passenger_position integer NOT NULL,
    fare               bigint  NOT NULL CHECK (fare >= 0),
    PRIMARY KEY (booking_id, leg, passenger_position),
    FOREIGN KEY (booking_id, passenger_position) REFERENCES booking_passengers (booking_id, position)
);

-- Each seat now carries the fare it was priced from (the cabin's adult
-- fare) beside what it costs (a child's share of it): the fare check
-- compares the former. Passengers and lap fares come as JSON arrays.
DROP FUNCTION book_seats(bigint, text, text, timestamptz, text[], integer[], bigint[], text[], text[], integer[], bigint[]);

-- Errors as before: FB001 flight not bookable, FB002 fare changed (DETAIL:
-- the flight id), 23514 on flight_fares_never_oversold, 23505 on
-- booking_seats_one_live_booking_per_seat or bookings_pnr_key.
CREATE FUNCTION book_seats(
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
        SELECT x.flight_id, x.cabin, count(*)::integer AS seats, min(x.adult) AS low, max(x.adult) AS high
        FROM unnest(p_flights, p_cabins, p_adult_fares) AS x(flight_id, cabin, adult)
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
    VALUES (p_pnr, p_user_id, p_currency,
            (SELECT sum(f) FROM unnest(p_fares) AS f)
              + coalesce((SELECT sum((l->>'fare')::bigint) FROM jsonb_array_elements(p_laps) AS l), 0),
            p_expires_at)
    RETURNING bookings.id, bookings.created_at INTO new_id, created;

    -- Seated passengers first: an infant's row names its adult's.
    INSERT INTO booking_passengers (booking_id, position, name, passenger_type, title, given_name, family_name,
        date_of_birth, gender, infant_of, passport_number, passport_issuing_country, passport_nationality,
        passport_expires_on)
    SELECT new_id, p.position, p.name, p.passenger_type, p.title, p.given_name, p.family_name, p.date_of_birth,
           p.gender, p.infant_of, p.passport_number, p.passport_issuing_country, p.passport_nationality,
           p.passport_expires_on
    FROM jsonb_to_recordset(p_passengers) AS p(position integer, name text, passenger_type text, title text,
        given_name text, family_name text, date_of_birth date, gender text, infant_of integer,
        passport_number text, passport_issuing_country text, passport_nationality text, passport_expires_on date)
    ORDER BY p.infant_of NULLS FIRST, p.position;

    INSERT INTO booking_seats (booking_id, slice, leg, flight_id, seat, cabin, passenger_position, fare)
    SELECT new_id, x.slice, x.leg, x.flight_id, x.seat, x.cabin, x.passenger, x.fare
    FROM unnest(p_slices, p_legs, p_flights, p_seats, p_cabins, p_positions, p_fares)
        AS x(slice, leg, flight_id, seat, cabin, passenger, fare)
    ORDER BY x.flight_id, x.seat;

    INSERT INTO booking_lap_fares (booking_id, slice, leg, flight_id, cabin, passenger_position, fare)
    SELECT new_id, l.slice, l.leg, l.flight_id, l.cabin, l.passenger_position, l.fare
    FROM jsonb_to_recordset(p_laps) AS l(slice integer, leg integer, flight_id bigint, cabin text,
        passenger_position integer, fare bigint);

    RETURN QUERY SELECT new_id, created, now_full;
END $$;
