/* offline_join 0.1.4 -> 0.1.5: dumps that restore anywhere, one rule for
 * intervals, folders that keep their files */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.1.5'" to load this file. \quit

-- The ledger keeps the loading role by name: a regrole naming a role that
-- the restoring cluster lacks failed the whole COPY of the ledger, and
-- load_dir() then loaded every file again.  A role dropped before this
-- update is kept as PostgreSQL names it, "unknown (OID=n)".
ALTER TABLE offline_join.loads ALTER COLUMN loaded_by TYPE text
    USING CASE WHEN loaded_by IS NOT NULL
               THEN pg_catalog.pg_get_userbyid(loaded_by::pg_catalog.oid)::pg_catalog.text END;
COMMENT ON COLUMN offline_join.loads.loaded_by IS
    'the name of the role that made the load (the caller of load() or the role that sent the COPY) when it made it; NULL before 0.1.2';

-- The 2-year ceiling of expires_at: a CHECK, on INSERT and UPDATE alike,
-- whose answer depends on no session setting (the trigger's check added
-- '2 years' in the session's time zone, so a restore under another
-- TimeZone lost every row of the table).
CREATE FUNCTION offline_join.expiry_within_limit(recorded_at timestamptz, expires_at timestamptz)
RETURNS boolean
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'oj_expiry_within_limit_sql';
COMMENT ON FUNCTION offline_join.expiry_within_limit(timestamptz, timestamptz) IS
    'the CHECK of offline_join.transactions: expires_at at most 2 years after recorded_at (UTC''s calendar, and 3 hours for local time zones'' offsets)';
GRANT EXECUTE ON FUNCTION offline_join.expiry_within_limit(timestamptz, timestamptz) TO PUBLIC;
COMMENT ON FUNCTION offline_join.transactions_fill_expiry() IS
    'trigger of offline_join.transactions: fills expires_at from the transaction window';
COMMENT ON COLUMN offline_join.transactions.expires_at IS
    'end of the matching window: recorded_at + offline_join.transaction_window (UTC''s calendar) unless given; at most 2 years after recorded_at';

-- Rows that the new rules refuse are reported, never changed or dropped:
-- transaction IDs kept beyond 2 years (through 0.1.4's mixed-sign
-- intervals or an UPDATE), and sources whose lookback is no longer valid.
-- A restore would refuse them, so the report says how to mend them.
DO $upd$
DECLARE
    n bigint;
    sample text;
    src record;
BEGIN
    SELECT pg_catalog.count(*),
           pg_catalog.string_agg(pg_catalog.quote_literal(transaction_id), ', ')
             FILTER (WHERE rn OPERATOR(pg_catalog.<=) 5)
      INTO n, sample
      FROM (SELECT transaction_id, pg_catalog.row_number() OVER (ORDER BY transaction_id) AS rn
              FROM offline_join.transactions
             WHERE NOT offline_join.expiry_within_limit(recorded_at, expires_at)) t;
    IF n OPERATOR(pg_catalog.>) 0 THEN
        RAISE WARNING 'offline_join 0.1.5: % transaction IDs in offline_join.transactions are kept for more than 2 years (%)', n, sample
            USING DETAIL = 'They were kept as they are: the update changes and deletes none.  The CHECK transactions_expires_within_2_years is added NOT VALID, and a restore of a dump refuses such rows.',
                  HINT = 'List them with SELECT * FROM offline_join.transactions WHERE NOT offline_join.expiry_within_limit(recorded_at, expires_at); end their window with UPDATE offline_join.transactions SET expires_at = recorded_at + interval ''2 years'' WHERE ...; then ALTER TABLE offline_join.transactions VALIDATE CONSTRAINT transactions_expires_within_2_years.';
        ALTER TABLE offline_join.transactions ADD CONSTRAINT transactions_expires_within_2_years
            CHECK (offline_join.expiry_within_limit(recorded_at, expires_at)) NOT VALID;
    ELSE
        ALTER TABLE offline_join.transactions ADD CONSTRAINT transactions_expires_within_2_years
            CHECK (offline_join.expiry_within_limit(recorded_at, expires_at));
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
