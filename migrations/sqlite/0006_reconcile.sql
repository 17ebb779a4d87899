-- Stuck money surfaces (issue 7, part 5). The reconciler takes open deposits
-- in order of next_check_at and backs off per deposit, so rows stuck at a
-- failing provider answer cannot starve fresh ones. A deposit the provider
-- reports paid while no postback came is flagged for admins, never credited
-- by that report (only signed postbacks move money).

ALTER TABLE deposits ADD COLUMN next_check_at INTEGER;      -- when the reconciler looks next (NULL: settled)
ALTER TABLE deposits ADD COLUMN check_count INTEGER NOT NULL DEFAULT 0;  -- checks without a change: the backoff
ALTER TABLE deposits ADD COLUMN provider_paid_at INTEGER;   -- first status check that answered "success"
ALTER TABLE deposits ADD COLUMN flag TEXT NOT NULL DEFAULT '';  -- for admins: paid_no_postback | order_unseen
ALTER TABLE deposits ADD COLUMN flagged_at INTEGER;

UPDATE deposits SET next_check_at = COALESCE(last_check_at, created_at)
    WHERE status IN ('created', 'pending', 'unknown');
CREATE INDEX deposits_next_check ON deposits(next_check_at);
