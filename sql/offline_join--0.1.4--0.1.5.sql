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

-- Rows that the new rules refuse stop the update, which names them and
-- changes nothing: transaction IDs kept beyond 2 years (through 0.1.4's
-- mixed-sign intervals or an UPDATE), and sources whose options 0.1.5
-- refuses.  Kept as they are, they would make a dump unrestorable: a
-- restore's COPY of the table fails on them and keeps none of its rows.
-- The operator mends them (the hint says how) and runs the update again.
DO $upd$
DECLARE
    ceiling constant text := $c$expires_at OPERATOR(pg_catalog.<=) pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', recorded_at) OPERATOR(pg_catalog.+) '2 years 03:00:00'::pg_catalog.interval)$c$;
    n bigint;
    sample text;
    bad text := '';
    src record;
BEGIN
    IF pg_catalog.current_setting('offline_join_update.on_worker')::boolean THEN
        RETURN;    -- the coordinator's ALTER TABLE reaches this node's shards
    END IF;
    EXECUTE format($q$SELECT pg_catalog.count(*),
                             pg_catalog.string_agg(pg_catalog.quote_literal(transaction_id), ', ')
                               FILTER (WHERE rn OPERATOR(pg_catalog.<=) 5)
                        FROM (SELECT transaction_id, pg_catalog.row_number() OVER (ORDER BY transaction_id) AS rn
                                FROM offline_join.transactions WHERE NOT (%s)) t$q$, ceiling)
        INTO n, sample;
    IF n OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'offline_join 0.1.5: % transaction ID(s) in offline_join.transactions are kept for more than 2 years: %', n, sample
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A restore of a dump refuses such a row, and with it every row of the table.  The update changed nothing.',
                  HINT = 'End their window: SET TimeZone = ''UTC''; UPDATE offline_join.transactions SET expires_at = recorded_at + interval ''2 years'' WHERE expires_at > recorded_at + interval ''2 years''; then run ALTER EXTENSION offline_join UPDATE again.';
    END IF;
    EXECUTE format('ALTER TABLE offline_join.transactions ADD CONSTRAINT transactions_expires_within_2_years'
                   ' CHECK (%s)', ceiling);

    FOR src IN SELECT s.name, s.format, s.options FROM offline_join.sources s ORDER BY s.name LOOP
        BEGIN
            PERFORM offline_join.source_is_valid(src.name, src.format, src.options);
        EXCEPTION WHEN invalid_parameter_value THEN
            bad := bad || pg_catalog.format(E'\nsource %I: %s', src.name, SQLERRM);
        END;
    END LOOP;
    IF bad OPERATOR(pg_catalog.<>) '' THEN
        RAISE EXCEPTION 'offline_join 0.1.5: sources have options that 0.1.5 refuses:%', bad
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A restore of a dump refuses such a source, and with it every row of offline_join.sources.  The update changed nothing.',
                  HINT = 'Set valid options with UPDATE offline_join.sources SET options = ... WHERE name = ...; then run ALTER EXTENSION offline_join UPDATE again.';
    END IF;
END
$upd$;
