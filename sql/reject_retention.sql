-- Retention of rejects (spec section 9): offline_join.reject_retention,
-- expire_rejects() and its rows in offline_join.expiry_runs.  The ages of
-- loads are set in the ledger, so the counts do not depend on when the
-- test runs.  The worker's purge is tested in test/t/016_reject_retention.pl.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
\getenv abs_srcdir PG_ABS_SRCDIR
\set data :abs_srcdir '/test/data'
SELECT set_config('oj.data', :'data', false) IS NOT NULL AS ok;
-- err(sql): 'ok', or the SQLSTATE and message of the error it raises
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
-- load(): a new load of the file with 11 rejects, its load_id
CREATE FUNCTION pg_temp.load() RETURNS bigint LANGUAGE sql AS $$
  SELECT load_id FROM offline_join.load('rmc', current_setting('oj.data') || '/rmc_every_reason.csv', true) $$;
-- ages(): the rejects left, per load
CREATE VIEW pg_temp.ages AS
  SELECT l.load_id, l.rows_rejected, count(r.load_id) AS rejects_kept
    FROM offline_join.loads l LEFT JOIN offline_join.rejects r USING (load_id)
   WHERE l.status = 'loaded' GROUP BY 1, 2 ORDER BY 1;

-- the setting: 90 days unless set; the one rule for spans, IntervalStyle
-- aside; 'off' keeps rejects forever
SHOW offline_join.reject_retention;
SELECT pg_temp.err($$SET offline_join.reject_retention = '3 years'$$);
SELECT pg_temp.err($$SET offline_join.reject_retention = '2 years 1 day'$$);
SELECT pg_temp.err($$SET offline_join.reject_retention = '1 mon -40 days'$$);
SELECT pg_temp.err($$SET offline_join.reject_retention = '-1 day'$$);
SELECT pg_temp.err($$SET offline_join.reject_retention = '0'$$);
SELECT pg_temp.err($$SET offline_join.reject_retention = 'soon'$$);
SELECT pg_temp.err($$SET offline_join.reject_retention = '2 years'$$);
SELECT pg_temp.err($$SET offline_join.reject_retention = '24 mons'$$);
SELECT pg_temp.err($$SET offline_join.reject_retention = 'P1Y'$$);
SELECT pg_temp.err($$SET offline_join.reject_retention = 'OFF'$$);
RESET offline_join.reject_retention;
-- only a superuser sets it: it decides when evidence is deleted
CREATE ROLE regress_oj_ret_user;
SET ROLE regress_oj_ret_user;
SELECT pg_temp.err($$SET offline_join.reject_retention = '1 day'$$);
RESET ROLE;
DROP ROLE regress_oj_ret_user;

-- expire_rejects(): its arguments follow the same rules
SELECT pg_temp.err($$SELECT offline_join.expire_rejects(0)$$);
SELECT pg_temp.err($$SELECT offline_join.expire_rejects(10000001)$$);
SELECT pg_temp.err($$SELECT offline_join.expire_rejects(retention => '-1 day')$$);
SELECT pg_temp.err($$SELECT offline_join.expire_rejects(retention => '3 years')$$);
SELECT pg_temp.err($$SELECT offline_join.expire_rejects(retention => '1 mon -40 days')$$);
SELECT pg_temp.err($$SELECT offline_join.expire_rejects(retention => '0')$$);

-- three loads of 11 rejects: one finished 100 days ago, one (a ledger row
-- without finished_at) started 100 days ago, one today; and rejects whose
-- load has no ledger row (no age: kept)
SELECT offline_join.create_source('rmc', 'rmc');
SELECT pg_temp.load() AS a \gset
SELECT pg_temp.load() AS b \gset
SELECT pg_temp.load() AS c \gset
UPDATE offline_join.loads SET started_at = now() - interval '100 days 1 hour',
       finished_at = now() - interval '100 days' WHERE load_id = :a;
UPDATE offline_join.loads SET started_at = now() - interval '100 days', finished_at = NULL WHERE load_id = :b;
INSERT INTO offline_join.rejects (load_id, line_no, reason, message) VALUES (999, 1, 'x', 'no ledger row');
SELECT * FROM pg_temp.ages;

-- batches of 4 with the default 90 days: the 22 old rejects in 6 batches
-- (across loads), recorded as one pass over rejects
SELECT offline_join.expire_rejects(4);
SELECT * FROM pg_temp.ages;
SELECT count(*) AS orphans_kept FROM offline_join.rejects WHERE load_id = 999;
SELECT what, who, deleted, batches, finished_at >= started_at AS finished, error
  FROM offline_join.expiry_runs ORDER BY run_id;
-- nothing left: nothing deleted, no new row
SELECT offline_join.expire_rejects(4);
SELECT count(*) AS runs FROM offline_join.expiry_runs;

-- the ledger keeps what exactly-once needs: the file is still a duplicate,
-- rows_rejected still counts the purged rejects; my_rejects shows none
SELECT status, rows_rejected FROM offline_join.load('rmc', current_setting('oj.data') || '/rmc_every_reason.csv');
SELECT count(*) AS my_rejects_of_a FROM offline_join.my_rejects(:a);
SELECT count(*) AS my_rejects_of_c FROM offline_join.my_rejects(:c);

-- a retention given to expire_rejects() (here 1 hour, load c finished 2
-- hours ago), in the caller's transaction: a rollback brings them back
UPDATE offline_join.loads SET finished_at = now() - interval '2 hours' WHERE load_id = :c;
BEGIN;
SELECT offline_join.expire_rejects(retention => '1 hour');
ROLLBACK;
SELECT * FROM pg_temp.ages;
SELECT count(*) AS runs FROM offline_join.expiry_runs;

-- 'off': nothing deleted, and it says so
SET offline_join.reject_retention = 'off';
SET client_min_messages = notice;
SELECT offline_join.expire_rejects(retention => NULL);
SET client_min_messages = warning;

-- IntervalStyle does not change what a value means: it is read as
-- IntervalStyle postgres reads it, '1 2:00' as 1 day and 2 hours, and
-- '-1 2:00' as -1 day +2 hours (mixed signs; sql_standard reads -1 day -2 hours)
SET IntervalStyle = sql_standard;
CREATE FUNCTION pg_temp.detail(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL; RETURN SQLSTATE || ': ' || d; END $$;
SELECT pg_temp.detail($$SET offline_join.reject_retention = '-1 2:00'$$);
SET offline_join.reject_retention = '1 2:00';
UPDATE offline_join.loads SET finished_at = now() - interval '1 day 1 hour' WHERE load_id = :c;
SELECT offline_join.expire_rejects();
UPDATE offline_join.loads SET finished_at = now() - interval '1 day 3 hours' WHERE load_id = :c;
SELECT offline_join.expire_rejects();
RESET IntervalStyle;
RESET offline_join.reject_retention;

-- rows kept by a trigger do not stop the pass, which deletes the rest
SELECT pg_temp.load() AS d \gset
UPDATE offline_join.loads SET finished_at = now() - interval '100 days' WHERE load_id = :d;
CREATE FUNCTION pg_temp.keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN CASE WHEN OLD.line_no IN (3, 4) THEN NULL ELSE OLD END; END $$;
CREATE TRIGGER keep BEFORE DELETE ON offline_join.rejects FOR EACH ROW EXECUTE FUNCTION pg_temp.keep();
SELECT offline_join.expire_rejects(2);
SELECT line_no FROM offline_join.rejects WHERE load_id = :d ORDER BY 1;
DROP TRIGGER keep ON offline_join.rejects;

-- expiry_runs says what each pass deleted; a row of 0.2.0 is transactions'
SELECT what, who, deleted FROM offline_join.expiry_runs ORDER BY run_id;
SELECT pg_temp.err($$INSERT INTO offline_join.expiry_runs (what, who, started_at) VALUES ('events', 'worker', now())$$);
SELECT pg_temp.err($$INSERT INTO offline_join.expiry_runs (who, started_at) VALUES ('cron', now())$$);
INSERT INTO offline_join.expiry_runs (who, started_at) VALUES ('expire()', now()) RETURNING what;

DROP EXTENSION offline_join CASCADE;
