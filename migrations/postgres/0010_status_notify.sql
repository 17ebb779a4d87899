-- Every status change of a deposit (or a change of what it was credited) and
-- of a withdrawal is announced on channel 'portal_status' by the transaction
-- that makes it: PostgreSQL delivers a NOTIFY at commit and drops it on
-- rollback, and a trigger cannot be forgotten by a new code path. Each portal
-- process LISTENs and pushes the change to its live-status streams
-- (src/server/events.rs).
CREATE FUNCTION portal_status_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portal_status', json_build_object(
        'kind', TG_ARGV[0],
        'id', NEW.id,
        'status', NEW.status,
        'credited_paise', CASE WHEN TG_ARGV[0] = 'deposit' THEN to_jsonb(NEW)->'credited_paise' ELSE NULL END
    )::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER deposits_status_notify AFTER UPDATE ON deposits FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.credited_paise IS DISTINCT FROM NEW.credited_paise)
    EXECUTE FUNCTION portal_status_notify('deposit');

CREATE TRIGGER withdrawals_status_notify AFTER UPDATE ON withdrawals FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION portal_status_notify('withdrawal');
