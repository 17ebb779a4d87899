-- Cheaper writes for every credit (issue 12).
--
-- 1. The status NOTIFY (0010) built its payload from to_jsonb(NEW), the whole
--    deposit row, to read one column. The payload is the same (kind, id,
--    status, credited_paise); it now reads the column itself. PL/pgSQL plans
--    each statement when it first runs, per table, so the withdrawal branch
--    never looks for credited_paise.
CREATE OR REPLACE FUNCTION portal_status_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_ARGV[0] = 'deposit' THEN
        PERFORM pg_notify('portal_status', json_build_object(
            'kind', 'deposit', 'id', NEW.id, 'status', NEW.status, 'credited_paise', NEW.credited_paise)::text);
    ELSE
        PERFORM pg_notify('portal_status', json_build_object(
            'kind', TG_ARGV[0], 'id', NEW.id, 'status', NEW.status, 'credited_paise', NULL)::text);
    END IF;
    RETURN NULL;
END
$$;

-- 2. deposits_user (user_id, created_at DESC) is a prefix of
--    deposits_user_created (0007), which serves every query it served: one
--    index entry less for each deposit created and each credit.
DROP INDEX IF EXISTS deposits_user;
