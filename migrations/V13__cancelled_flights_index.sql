-- The schedule looks every minute for paid bookings left on cancelled
-- flights past their departure time (refunded in full): cancelled flights
-- are few, so it starts from them instead of scanning every flight.
CREATE INDEX flights_cancelled_by_departure ON flights (departs_at) WHERE status = 'CANCELLED';
