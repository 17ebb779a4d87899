-- One process at a time per deposit (admin console issue, operations part).
-- Same numbering and meaning as migrations/sqlite. A status check (the
-- reconciler's or "Check now") first takes the deposit's lease: a conditional
-- UPDATE that succeeds only while no unexpired lease is held, from any
-- process. The holder's random token fences its last write (the next check's
-- schedule); a holder that died loses the lease when lease_until passes.
ALTER TABLE deposits
    ADD COLUMN lease_until BIGINT,   -- unix ms; NULL or past: free
    ADD COLUMN lease_token TEXT;     -- the holder's random token
