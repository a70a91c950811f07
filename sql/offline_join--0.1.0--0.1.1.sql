-- offline_join 0.1.0 -> 0.1.1
--
-- 0.1.1 changes no table and no function signature.  The library of 0.1.1
-- works with a 0.1.0 schema too (rematch() rewrites matched events in place,
-- the expiry worker gives way to running statements); this script adds
-- what \d+ and \df+ show: a description of every public object.

\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.1.1'" to load this file. \quit

-- online side
COMMENT ON TABLE offline_join.sessions IS
    'online sessions: who was on the site, when, with which attributes (matched by customer ID)';
COMMENT ON TABLE offline_join.transactions IS
    'transaction IDs recorded online with a snapshot of the visitor''s state; purged after expires_at';
COMMENT ON COLUMN offline_join.transactions.expires_at IS
    'end of the matching window: recorded_at + offline_join.transaction_window unless given (at most 2 years)';

-- sources and the product feed
COMMENT ON TABLE offline_join.sources IS
    'offline sources: a name, a format (rmc or adobe) and checked options; create with create_source()';
COMMENT ON FUNCTION offline_join.create_source(text, text, jsonb) IS
    'creates an offline source after checking its format and options';
COMMENT ON FUNCTION offline_join.source_is_valid(text, text, jsonb) IS
    'the CHECK of offline_join.sources: true when the format and options are valid';
COMMENT ON TABLE offline_join.products IS
    'the product feed that validation checks product codes and totals against';

-- loading
COMMENT ON TABLE offline_join.loads IS
    'the ledger: one row per file or COPY statement (loaded, duplicate or failed) with its counts';
COMMENT ON TABLE offline_join.rejects IS
    'every rejected row: load, line, field, reason code, message and the raw line';
COMMENT ON TABLE offline_join.events IS
    'validated offline events, each with the match stored at load time (or by rematch())';
COMMENT ON COLUMN offline_join.events.match IS
    'transaction, customer or unmatched';
COMMENT ON FUNCTION offline_join.load(text, text, boolean) IS
    'loads a server file of a source exactly once: good rows into events, bad rows into rejects; returns its ledger row';
COMMENT ON FUNCTION offline_join.load_dir(text, text, boolean) IS
    'loads every new file matching a pattern (each once; with require_fin only files whose NAME.fin exists)';
COMMENT ON FUNCTION offline_join.validate_file(text, text) IS
    'lists the rejects a load of the file would record, without loading anything';
COMMENT ON FUNCTION offline_join.create_inbox(text, integer) IS
    'creates offline_join.inbox_<source>: COPY into it validates and routes rows as load() does';
COMMENT ON FUNCTION offline_join.inbox_route() IS
    'trigger of the inboxes: validates, matches and routes one COPY row';
COMMENT ON FUNCTION offline_join.inbox_finish() IS
    'trigger of the inboxes: writes the ledger row of one COPY statement';

-- reading files in place
COMMENT ON FUNCTION offline_join.fdw_handler() IS
    'handler of the offline_join_fdw foreign data wrapper';
COMMENT ON FUNCTION offline_join.fdw_validator(text[], oid) IS
    'validator of the offline_join_fdw foreign data wrapper';
COMMENT ON FOREIGN DATA WRAPPER offline_join_fdw IS
    'reads offline files in place, validated as load() validates them';
COMMENT ON FUNCTION offline_join.create_foreign_table(text, text, text) IS
    'creates a foreign table with every column of a source''s format over a file or glob';

-- matching and the analyst layer
COMMENT ON FUNCTION offline_join.attribute(timestamptz, text, text, interval) IS
    'the matching rule of load time for one ad-hoc row; always one row';
COMMENT ON FUNCTION offline_join.rematch(bigint) IS
    'retries the unmatched events (of one load, or all) after late online data; returns how many now match';
COMMENT ON VIEW offline_join.attributed_events IS
    'every event with its session''s columns and state = snapshot || dims (offline values win)';
COMMENT ON FUNCTION offline_join.abandoned_carts(timestamptz, interval) IS
    'sessions with a non-empty cart and no purchase online or in a store within grace: the mailer''s list';

-- expiry
COMMENT ON FUNCTION offline_join.transactions_fill_expiry() IS
    'trigger of offline_join.transactions: fills and checks expires_at';
COMMENT ON TABLE offline_join.expiry_runs IS
    'one row per expiry pass that deleted something or failed; the newest 1000 are kept';
