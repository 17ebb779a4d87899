-- PostgreSQL's 0010 adds NOTIFY triggers for status changes. SQLite serves one
-- portal process, whose changes reach its live-status streams in memory:
-- nothing to add here; the file keeps both backends' numbering equal.
SELECT 1;
