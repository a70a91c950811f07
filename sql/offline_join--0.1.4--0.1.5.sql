/* offline_join 0.1.4 -> 0.1.5: dumps that restore anywhere, one rule for
 * intervals, folders that keep their files */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.1.5'" to load this file. \quit

-- The ledger keeps the loading role by name: a regrole naming a role that
-- the restoring cluster lacks failed the whole COPY of the ledger, and
-- load_dir() then loaded every file again.  A role dropped before this
-- update is kept as PostgreSQL names it, "unknown (OID=n)".
--
-- On the Citus layout, Citus runs this script on every worker too
-- (ALTER EXTENSION is propagated), while the coordinator's DDL reaches the
-- workers' tables and shards: there the tables are left to the coordinator
-- (offline_join_update.on_worker, set for this transaction).  Each DDL on a
-- table goes through EXECUTE, so that its text (which Citus sends to the
-- shards) is that statement, not this whole script.
DO $upd$
DECLARE
    on_worker boolean := false;
BEGIN
    IF pg_catalog.to_regproc('pg_catalog.citus_is_coordinator') IS NOT NULL THEN
        EXECUTE $q$SELECT NOT pg_catalog.citus_is_coordinator()
                     AND EXISTS (SELECT FROM pg_catalog.pg_dist_partition
                                  WHERE logicalrelid OPERATOR(pg_catalog.=) 'offline_join.loads'::pg_catalog.regclass)$q$
            INTO STRICT on_worker;
    END IF;
    PERFORM pg_catalog.set_config('offline_join_update.on_worker', on_worker::text, true);
    IF NOT on_worker THEN
        EXECUTE $ddl$ALTER TABLE offline_join.loads ALTER COLUMN loaded_by TYPE text
            USING CASE WHEN loaded_by IS NOT NULL
                       THEN pg_catalog.pg_get_userbyid(loaded_by::pg_catalog.oid)::pg_catalog.text END$ddl$;
    END IF;
END
$upd$;
COMMENT ON COLUMN offline_join.loads.loaded_by IS
    'the name of the role that made the load (the caller of load() or the role that sent the COPY) when it made it; NULL before 0.1.2';

-- The 2-year ceiling of expires_at: a CHECK, on INSERT and UPDATE alike,
-- whose answer depends on no session setting (the trigger's check added
-- '2 years' in the session's time zone, so a restore under another
-- TimeZone lost every row of the table).  In UTC's calendar, with 3 hours
-- for values 0.1.4 computed in a local calendar (a daylight saving time
-- change: an hour).  Built-in immutable functions only, so that Citus can
-- put it on the shards before the workers have this update.
COMMENT ON FUNCTION offline_join.transactions_fill_expiry() IS
    'trigger of offline_join.transactions: fills expires_at from the transaction window';
COMMENT ON COLUMN offline_join.transactions.expires_at IS
    'end of the matching window: recorded_at + offline_join.transaction_window (UTC''s calendar) unless given; at most 2 years after recorded_at (CHECK transactions_expires_within_2_years)';

-- Rows that the new rules refuse are reported, never changed or dropped:
-- transaction IDs kept beyond 2 years (through 0.1.4's mixed-sign
-- intervals or an UPDATE), and sources whose lookback is no longer valid.
-- A restore would refuse them, so the report says how to mend them.
DO $upd$
DECLARE
    ceiling constant text := $c$expires_at OPERATOR(pg_catalog.<=) pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', recorded_at) OPERATOR(pg_catalog.+) '2 years 03:00:00'::pg_catalog.interval)$c$;
    n bigint;
    sample text;
    src record;
BEGIN
    IF pg_catalog.current_setting('offline_join_update.on_worker')::boolean THEN
        RETURN;    -- the coordinator's ALTER TABLE reaches this node's shards
    END IF;
    SELECT pg_catalog.count(*),
           pg_catalog.string_agg(pg_catalog.quote_literal(transaction_id), ', ')
             FILTER (WHERE rn OPERATOR(pg_catalog.<=) 5)
      INTO n, sample
      FROM (SELECT transaction_id, pg_catalog.row_number() OVER (ORDER BY transaction_id) AS rn
              FROM offline_join.transactions
             WHERE NOT (expires_at OPERATOR(pg_catalog.<=) pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', recorded_at) OPERATOR(pg_catalog.+) '2 years 03:00:00'::pg_catalog.interval))) t;
    IF n OPERATOR(pg_catalog.>) 0 THEN
        RAISE WARNING 'offline_join 0.1.5: % transaction IDs in offline_join.transactions are kept for more than 2 years (%)', n, sample
            USING DETAIL = 'They were kept as they are: the update changes and deletes none.  The CHECK transactions_expires_within_2_years is added NOT VALID, and a restore of a dump refuses such rows.',
                  HINT = 'List them with SELECT * FROM offline_join.transactions WHERE expires_at > recorded_at + interval ''2 years 3 hours''; end their window with UPDATE offline_join.transactions SET expires_at = recorded_at + interval ''2 years'' WHERE ... (in a session with TimeZone UTC); then ALTER TABLE offline_join.transactions VALIDATE CONSTRAINT transactions_expires_within_2_years.';
        EXECUTE format('ALTER TABLE offline_join.transactions ADD CONSTRAINT transactions_expires_within_2_years'
                       ' CHECK (%s) NOT VALID', ceiling);
    ELSE
        EXECUTE format('ALTER TABLE offline_join.transactions ADD CONSTRAINT transactions_expires_within_2_years'
                       ' CHECK (%s)', ceiling);
    END IF;

    FOR src IN SELECT s.name, s.options->>'lookback' AS lookback FROM offline_join.sources s ORDER BY s.name LOOP
        BEGIN
            PERFORM offline_join.source_is_valid(src.name, s.format, s.options)
               FROM offline_join.sources s WHERE s.name OPERATOR(pg_catalog.=) src.name;
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE WARNING 'offline_join 0.1.5: source "%" has options that 0.1.5 refuses: %', src.name, SQLERRM
                USING DETAIL = 'The source was kept as it is; a restore of a dump refuses it.',
                      HINT = 'Set a valid value with UPDATE offline_join.sources SET options = ... WHERE name = ' || pg_catalog.quote_literal(src.name) || '.';
        END;
    END LOOP;
END
$upd$;
