-- Cheaper writes for every credit (issue 12). PostgreSQL's 0011 also makes its
-- NOTIFY trigger cheaper; SQLite has none.
--
-- deposits_user (user_id, created_at DESC) is a prefix of deposits_user_created
-- (0007), which serves every query it served: one index entry less for each
-- deposit created and each credit.
DROP INDEX IF EXISTS deposits_user;
