-- A counter that moves whenever the static schedule changes: flights added,
-- removed or retimed, fares or cabins changed, airports or airlines edited.
-- Warm instances keep the schedule in memory for search and compare their
-- copy's revision with this one on every search (status and seat counts are
-- not part of it: they change all the time and are checked per flight).
CREATE TABLE schedule_revision (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision  bigint  NOT NULL
);
INSERT INTO schedule_revision (revision) VALUES (1);

CREATE FUNCTION bump_schedule_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE schedule_revision SET revision = revision + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER flights_change_the_schedule
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF id, flight_number, airline_code, origin, destination,
        departs_at, arrives_at, aircraft_type
    ON flights FOR EACH STATEMENT EXECUTE FUNCTION bump_schedule_revision();
CREATE TRIGGER fares_change_the_schedule
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF flight_id, cabin, amount, currency, seats_total
    ON flight_fares FOR EACH STATEMENT EXECUTE FUNCTION bump_schedule_revision();
CREATE TRIGGER airports_change_the_schedule
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE
    ON airports FOR EACH STATEMENT EXECUTE FUNCTION bump_schedule_revision();
CREATE TRIGGER airlines_change_the_schedule
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE
    ON airlines FOR EACH STATEMENT EXECUTE FUNCTION bump_schedule_revision();
CREATE TRIGGER aircraft_change_the_schedule
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE
    ON aircraft_types FOR EACH STATEMENT EXECUTE FUNCTION bump_schedule_revision();
