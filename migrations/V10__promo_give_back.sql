-- A promo use taken by a booking that ends unpaid (cancelled, expired, or
-- closed because its flight was cancelled) is given back: the row stays,
-- marked released, and no longer counts against the code's total or the
-- customer's own limit.

ALTER TABLE booking_discounts ADD COLUMN released_at timestamptz;

DROP INDEX booking_discounts_by_user;
CREATE INDEX booking_discounts_by_user ON booking_discounts (user_id, code) WHERE released_at IS NULL;
