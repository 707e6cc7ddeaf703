-- The Idempotency-Key a successful payment was made under, so that a retry
-- with that key after a lost answer (the payment committed, then a deadline
-- or DynamoDB failed before the answer was recorded) gets the success again,
-- not "already paid". Keys are the caller's: unique per user.
ALTER TABLE payments ADD COLUMN idempotency_key text CHECK (char_length(idempotency_key) BETWEEN 1 AND 255);
CREATE UNIQUE INDEX payments_idempotency_key ON payments (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL AND status = 'SUCCEEDED';
