-- Signed-field authority (issue: money safety). Every signed item claims its
-- transaction_id here, whatever its kind, so a withdrawal result can never be
-- replayed as a deposit payment.

ALTER TABLE provider_payments
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'withdrawal', 'unknown')),
    ADD COLUMN currency TEXT NOT NULL DEFAULT 'INR',
    ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE provider_payments DROP CONSTRAINT provider_payments_status_check;
ALTER TABLE provider_payments ADD CONSTRAINT provider_payments_status_check
    CHECK (status IN ('credited', 'suspense', 'assigned', 'withdrawal'));
CREATE INDEX provider_payments_status ON provider_payments(status, created_at DESC);
