-- COPY's own error options on an inbox (PostgreSQL 17: ON_ERROR,
-- 18: REJECT_LIMIT and LOG_VERBOSITY).  An inbox's columns are all text, so
-- COPY finds no value it could skip: every row reaches offline_join, which
-- records every bad row in rejects as without the options.  On a server
-- without an option, COPY refuses it (expected/inbox_copy_options_1.out for
-- 15 and 16, _2 for 17).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_inbox('rmc', transaction_attrs => 0);
COPY offline_join.inbox_rmc FROM stdin (FORMAT csv, ON_ERROR ignore);
2026-03-02 10:00:00,OK-1,7,c,P1,1,2,,,,,,,,,,,,,,,
2026-02-30 10:00:00,BAD-1,7,c,P1,1,2,,,,,,,,,,,,,,,
2026-03-02 10:00:00,BAD-2,x,c,P1,1,2,,,,,,,,,,,,,,,
\.
COPY offline_join.inbox_rmc FROM stdin (FORMAT csv, ON_ERROR ignore, REJECT_LIMIT 1, LOG_VERBOSITY verbose);
2026-03-02 10:00:00,OK-2,7,c,P1,1,2,,,,,,,,,,,,,,,
2026-02-30 10:00:00,BAD-3,7,c,P1,1,2,,,,,,,,,,,,,,,
2026-02-30 10:00:00,BAD-4,7,c,P1,1,2,,,,,,,,,,,,,,,
\.
SELECT l.path, l.rows_total, l.rows_loaded, l.rows_rejected FROM offline_join.loads l ORDER BY load_id;
SELECT r.line_no, r.field, r.reason FROM offline_join.rejects r ORDER BY load_id, line_no;
SELECT customer_id FROM offline_join.events ORDER BY event_id;
DROP EXTENSION offline_join CASCADE;
