-- Expiry (spec section 6): expire() and the ledger offline_join.expiry_runs.
-- Every row expires at an explicit time far in the past or far in the
-- future, so the counts do not depend on when the test runs.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
-- err(sql): 'ok', or the SQLSTATE and message of the error it raises
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;
-- adds n transactions 'prefix-1'... expiring on day (with i seconds added)
CREATE FUNCTION pg_temp.add(prefix text, n int, day timestamptz) RETURNS void LANGUAGE sql AS $$
  INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
  SELECT prefix || '-' || i, 'v' || i, day - interval '90 days', day + i * interval '1 second'
    FROM generate_series(1, n) i $$;

-- nothing expired: nothing deleted, and no ledger row
SELECT offline_join.expire();
SELECT count(*) AS runs FROM offline_join.expiry_runs;

-- 25 expired rows, 10 that expire in 2100: batches of 10 take three batches
SELECT pg_temp.add('old', 25, '2020-01-01 00:00+00');
SELECT pg_temp.add('new', 10, '2100-01-01 00:00+00');
SELECT offline_join.expire(10);
SELECT left(transaction_id, 3) AS kind, count(*) FROM offline_join.transactions GROUP BY 1 ORDER BY 1;
SELECT who, deleted, batches, finished_at >= started_at AS finished, longest_batch_ms >= 0 AS timed, error
  FROM offline_join.expiry_runs ORDER BY run_id;

-- 25 rows that expired at the same instant (one COPY fills expires_at from
-- one now()): still batches of at most 10
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
SELECT 'tie-' || i, 'v', '2020-01-01 00:00+00', '2020-03-01 00:00+00' FROM generate_series(1, 25) i;
SELECT offline_join.expire(10);
SELECT deleted, batches FROM offline_join.expiry_runs ORDER BY run_id DESC LIMIT 1;
SELECT count(*) AS ties_left FROM offline_join.transactions WHERE transaction_id LIKE 'tie-%';

-- NULL (the default) takes offline_join.expire_batch_size (set in the
-- server's configuration)
SELECT pg_temp.add('old', 7, '2021-06-30 12:00+00');
SELECT offline_join.expire(NULL);
SELECT deleted,
       batches = ceil(deleted / current_setting('offline_join.expire_batch_size')::numeric) AS batches_of_that_size
  FROM offline_join.expiry_runs ORDER BY run_id DESC LIMIT 1;
SELECT pg_temp.err($$SET offline_join.expire_batch_size = 3$$);

-- a row is expired only after expires_at: now() is fixed within a transaction
BEGIN;
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
VALUES ('edge-now', 'v', now() - interval '1 day', now()),
       ('edge-before', 'v', now() - interval '1 day', now() - interval '1 microsecond');
SELECT offline_join.expire(1);
SELECT transaction_id FROM offline_join.transactions WHERE transaction_id LIKE 'edge-%';
ROLLBACK;

-- within the caller's transaction: a rollback brings the rows back and
-- leaves no ledger row
SELECT pg_temp.add('old', 5, '2022-01-01 00:00+00');
SELECT count(*) AS runs_before FROM offline_join.expiry_runs \gset
BEGIN;
SELECT offline_join.expire(2);
ROLLBACK;
SELECT count(*) AS expired_rows FROM offline_join.transactions WHERE transaction_id LIKE 'old-%';
SELECT count(*) - :runs_before AS new_runs FROM offline_join.expiry_runs;
SELECT offline_join.expire(2);

-- batch_size out of range
SELECT pg_temp.err($$SELECT offline_join.expire(0)$$);
SELECT pg_temp.err($$SELECT offline_join.expire(-5)$$);
SELECT pg_temp.err($$SELECT offline_join.expire(10000001)$$);

-- the ledger keeps its newest 1000 rows, trimmed whenever a row is added
INSERT INTO offline_join.expiry_runs (who, started_at, finished_at, deleted, batches)
SELECT 'worker', '2020-01-01 00:00+00', '2020-01-01 00:01+00', i, 1 FROM generate_series(1, 1200) i;
SELECT count(*) AS runs FROM offline_join.expiry_runs;
SELECT pg_temp.add('old', 3, '2023-01-01 00:00+00');
SELECT offline_join.expire();
SELECT count(*) AS runs, min(deleted) AS oldest_kept_deleted,
       (array_agg(who ORDER BY run_id DESC))[1] AS newest_who
  FROM offline_join.expiry_runs;
SELECT pg_temp.err($$INSERT INTO offline_join.expiry_runs (who, started_at) VALUES ('cron', now())$$);

-- the rows that have not expired are all still there
SELECT count(*) AS unexpired_left FROM offline_join.transactions WHERE transaction_id LIKE 'new-%';

-- privileges: expire() deletes with the caller's rights
CREATE ROLE regress_oj_expiry;
GRANT USAGE ON SCHEMA offline_join TO regress_oj_expiry;
SET ROLE regress_oj_expiry;
SELECT pg_temp.err($$SELECT offline_join.expire()$$);
RESET ROLE;
REVOKE USAGE ON SCHEMA offline_join FROM regress_oj_expiry;
DROP ROLE regress_oj_expiry;

-- rows a trigger or a policy keeps do not stop a pass (found by an
-- adversarial run: a batch that deleted nothing ended it, so the oldest
-- held rows blocked every expired row after them, for good)
DELETE FROM offline_join.transactions;
CREATE FUNCTION pg_temp.keep() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN IF OLD.visitor_id = 'KEEP' THEN RETURN NULL; END IF; RETURN OLD; END $$;
CREATE TRIGGER keep BEFORE DELETE ON offline_join.transactions FOR EACH ROW EXECUTE FUNCTION pg_temp.keep();
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
SELECT 'K' || i, 'KEEP', '2026-01-01'::timestamptz, '2026-01-02'::timestamptz + i * interval '1 minute' FROM generate_series(1, 5) i
UNION ALL
SELECT 'D' || i, 'V', '2026-01-01'::timestamptz, '2026-01-03'::timestamptz + i * interval '1 minute' FROM generate_series(1, 5) i
UNION ALL  -- ties: the exact batch, in (expires_at, transaction_id) order
SELECT 'T' || i, CASE WHEN i % 2 = 0 THEN 'KEEP' ELSE 'V' END, '2026-01-01'::timestamptz, '2026-01-04'::timestamptz FROM generate_series(1, 7) i;
SELECT offline_join.expire(2) AS deleted;
SELECT string_agg(transaction_id, ' ' ORDER BY transaction_id) AS kept FROM offline_join.transactions;
SELECT deleted, finished_at IS NOT NULL AS finished FROM offline_join.expiry_runs ORDER BY run_id DESC LIMIT 1;
-- what a plain DELETE would have left
BEGIN;
DELETE FROM offline_join.transactions WHERE expires_at < now();
SELECT string_agg(transaction_id, ' ' ORDER BY transaction_id) AS delete_keeps FROM offline_join.transactions;
ROLLBACK;
DROP TRIGGER keep ON offline_join.transactions;
DELETE FROM offline_join.transactions;

-- pg_dump keeps the ledger and its sequence
SELECT c.relname
  FROM pg_extension e, unnest(e.extconfig) AS t(oid) JOIN pg_class c ON c.oid = t.oid
 WHERE e.extname = 'offline_join' AND c.relname LIKE 'expiry_runs%' ORDER BY 1;
