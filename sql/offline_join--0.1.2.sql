-- offline_join 0.1.2: install script.
-- Everything is schema-qualified and every function pins its search_path,
-- so no object of a user can take the place of one of ours.  The extension
-- lives in pg_catalog (offline_join.control) and creates its schema here,
-- so CREATE EXTENSION refuses a schema named offline_join that somebody
-- made beforehand: its owner could otherwise replace our objects later.

\echo Use "CREATE EXTENSION offline_join" to load this file. \quit

DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname OPERATOR(pg_catalog.=) 'offline_join') THEN
    RAISE EXCEPTION USING
      ERRCODE = 'duplicate_schema',
      MESSAGE = pg_catalog.format('schema "offline_join" already exists, owned by role %I',
                  (SELECT nspowner::pg_catalog.regrole FROM pg_catalog.pg_namespace
                    WHERE nspname OPERATOR(pg_catalog.=) 'offline_join')),
      DETAIL = 'CREATE EXTENSION offline_join creates its schema itself; it does not install into a schema that somebody made beforehand, whose owner could replace the extension''s objects.',
      HINT = 'Drop or rename that schema, then create the extension again.';
  END IF;
END $$;
CREATE SCHEMA offline_join;

--------------------------------------------------------------------------
-- 1. Online side: sessions and transaction IDs
--------------------------------------------------------------------------

CREATE TABLE offline_join.sessions (
    session_id  text PRIMARY KEY,
    visitor_id  text NOT NULL,
    customer_id text,
    started_at  timestamptz NOT NULL,
    attrs       jsonb NOT NULL DEFAULT '{}'
);
-- customer matching: latest session of a customer before an event
CREATE INDEX sessions_customer_started_idx
    ON offline_join.sessions (customer_id, started_at);
-- abandoned carts: sessions of a period; other sessions of a visitor
CREATE INDEX sessions_started_idx ON offline_join.sessions (started_at);
CREATE INDEX sessions_visitor_started_idx
    ON offline_join.sessions (visitor_id, started_at);

CREATE TABLE offline_join.transactions (
    transaction_id text PRIMARY KEY
        CONSTRAINT transactions_id_length
        CHECK (pg_catalog.octet_length(transaction_id) OPERATOR(pg_catalog.>=) 1
               AND pg_catalog.octet_length(transaction_id) OPERATOR(pg_catalog.<=) 100),
    visitor_id     text NOT NULL,
    session_id     text,
    recorded_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at     timestamptz NOT NULL,
    snapshot       jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT transactions_expires_after_recorded
        CHECK (expires_at OPERATOR(pg_catalog.>) recorded_at)
);
-- the expiry worker deletes through this index
CREATE INDEX transactions_expires_at_idx ON offline_join.transactions (expires_at);
-- abandoned carts: transactions recorded by a visitor
CREATE INDEX transactions_visitor_recorded_idx
    ON offline_join.transactions (visitor_id, recorded_at);

-- Fills expires_at from offline_join.transaction_window on plain INSERT/COPY.
CREATE FUNCTION offline_join.transactions_fill_expiry()
RETURNS trigger
LANGUAGE c
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_transactions_fill_expiry';

CREATE TRIGGER transactions_fill_expiry
    BEFORE INSERT ON offline_join.transactions
    FOR EACH ROW EXECUTE FUNCTION offline_join.transactions_fill_expiry();

CREATE FUNCTION offline_join.record_transaction(
    transaction_id text,
    visitor_id     text,
    session_id     text DEFAULT NULL,
    snapshot       jsonb DEFAULT '{}',
    recorded_at    timestamptz DEFAULT pg_catalog.now(),
    retention      interval DEFAULT NULL)
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_record_transaction';

COMMENT ON FUNCTION offline_join.record_transaction(text, text, text, jsonb, timestamptz, interval) IS
    'records an online transaction ID with the visitor''s state; the first hit wins while unexpired';

SELECT pg_catalog.pg_extension_config_dump('offline_join.sessions', '');
SELECT pg_catalog.pg_extension_config_dump('offline_join.transactions', '');

--------------------------------------------------------------------------
-- 2. Offline sources and formats
--------------------------------------------------------------------------

-- Raises an error naming the problem unless (name, format, options) make a
-- valid source; the CHECK below makes direct INSERT/UPDATE as safe as
-- create_source().
CREATE FUNCTION offline_join.source_is_valid(name text, format text, options jsonb)
RETURNS boolean
LANGUAGE c IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_source_is_valid';

CREATE TABLE offline_join.sources (
    name    text PRIMARY KEY,
    format  text NOT NULL,
    options jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT sources_valid CHECK (offline_join.source_is_valid(name, format, options))
);

CREATE FUNCTION offline_join.create_source(name text, format text, options jsonb DEFAULT '{}')
RETURNS void
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_create_source';

-- The product feed (validation options require_known_product, total_tolerance).
CREATE TABLE offline_join.products (
    product_code text PRIMARY KEY,
    category     text,
    unit_price   numeric CONSTRAINT products_unit_price_not_negative
                 CHECK (unit_price OPERATOR(pg_catalog.>=) 0),
    attrs        jsonb NOT NULL DEFAULT '{}'
);

--------------------------------------------------------------------------
-- 3. Loading, validation, rejects, ledger
--------------------------------------------------------------------------

CREATE TABLE offline_join.loads (
    load_id       bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    source        text NOT NULL,
    path          text NOT NULL,
    sha256        text,
    bytes         bigint,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    rows_total    bigint NOT NULL DEFAULT 0,
    rows_loaded   bigint NOT NULL DEFAULT 0,
    rows_rejected bigint NOT NULL DEFAULT 0,
    rows_matched  bigint NOT NULL DEFAULT 0,
    status        text NOT NULL
        CONSTRAINT loads_status CHECK (status IN ('loaded', 'duplicate', 'failed')),
    message       text,
    loaded_by     regrole,
    retryable     boolean,
    CONSTRAINT loads_rows_add_up
        CHECK (rows_total OPERATOR(pg_catalog.=) (rows_loaded OPERATOR(pg_catalog.+) rows_rejected))
);
-- idempotency: has this file (by content) been loaded for this source?
CREATE INDEX loads_source_sha256_idx ON offline_join.loads (source, sha256);

CREATE TABLE offline_join.rejects (
    load_id bigint NOT NULL,
    line_no bigint NOT NULL,
    field   text,
    reason  text NOT NULL,
    message text NOT NULL,
    raw     text
);
CREATE INDEX rejects_load_line_idx ON offline_join.rejects (load_id, line_no);

CREATE TABLE offline_join.events (
    event_id       bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000) PRIMARY KEY,
    load_id        bigint NOT NULL,
    line_no        bigint NOT NULL,
    source         text NOT NULL,
    event_time     timestamptz NOT NULL,
    customer_id    text,
    transaction_id text,
    event_type     int,
    category       text,
    product        text,
    num1           numeric,
    num2           numeric,
    dims           jsonb NOT NULL DEFAULT '{}',
    attrs          jsonb NOT NULL DEFAULT '{}',
    match          text NOT NULL
        CONSTRAINT events_match CHECK (match IN ('transaction', 'customer', 'unmatched')),
    visitor_id     text,
    session_id     text,
    snapshot       jsonb
);
CREATE UNIQUE INDEX events_load_line_idx ON offline_join.events (load_id, line_no);
CREATE INDEX events_time_idx ON offline_join.events (event_time);
CREATE INDEX events_customer_time_idx ON offline_join.events (customer_id, event_time);
-- rematch() finds what is still unmatched without reading the rest
CREATE INDEX events_unmatched_idx ON offline_join.events (load_id) WHERE match = 'unmatched';

CREATE FUNCTION offline_join.load(source text, path text, force boolean DEFAULT false)
RETURNS offline_join.loads
LANGUAGE c VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_load';

CREATE FUNCTION offline_join.load_dir(source text, pattern text, require_fin boolean DEFAULT false)
RETURNS SETOF offline_join.loads
LANGUAGE c VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_load_dir';

CREATE FUNCTION offline_join.validate_file(source text, path text)
RETURNS TABLE (line_no bigint, field text, reason text, message text)
LANGUAGE c VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_validate_file';

--------------------------------------------------------------------------
-- 5. Matching
--------------------------------------------------------------------------

CREATE FUNCTION offline_join.attribute(event_time timestamptz, customer_id text,
                                       transaction_id text,
                                       lookback interval DEFAULT '30 days')
RETURNS TABLE (match text, visitor_id text, session_id text, snapshot jsonb)
LANGUAGE c STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_attribute';

CREATE FUNCTION offline_join.rematch(load_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_rematch';

--------------------------------------------------------------------------
-- 4. COPY path: validating inbox tables
--------------------------------------------------------------------------

-- Creates offline_join.inbox_<source>: one text column per format column
-- (rmc: transaction_attrs EventTransaction Attr columns, default 1).
CREATE FUNCTION offline_join.create_inbox(source text, transaction_attrs int DEFAULT NULL)
RETURNS regclass
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_create_inbox';

-- The inbox triggers: a role with only INSERT on an inbox loads through it.
-- They run on nothing but an inbox recorded in offline_join.inboxes, and
-- become the extension's owner in C only to write (see src/inbox.c).
CREATE FUNCTION offline_join.inbox_start()
RETURNS trigger
LANGUAGE c
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_inbox_begin';

CREATE FUNCTION offline_join.inbox_route()
RETURNS trigger
LANGUAGE c
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_inbox_route';

CREATE FUNCTION offline_join.inbox_finish()
RETURNS trigger
LANGUAGE c
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_inbox_finish';

-- The inboxes made by create_inbox(): their triggers run on no other table.
CREATE TABLE offline_join.inboxes (
    inbox      regclass PRIMARY KEY,
    source     text NOT NULL CONSTRAINT inboxes_source_key UNIQUE,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- Foreign data wrapper: offline files queried in place, validated.
CREATE FUNCTION offline_join.fdw_handler()
RETURNS fdw_handler
LANGUAGE c STRICT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_fdw_handler';

CREATE FUNCTION offline_join.fdw_validator(text[], oid)
RETURNS void
LANGUAGE c STRICT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_fdw_validator';

CREATE FOREIGN DATA WRAPPER offline_join_fdw
    HANDLER offline_join.fdw_handler
    VALIDATOR offline_join.fdw_validator;

-- A foreign table with every column on server offline_join_files (created
-- when missing); an unqualified name goes to schema public.
CREATE FUNCTION offline_join.create_foreign_table(name text, source text, filename text)
RETURNS regclass
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_create_foreign_table';

--------------------------------------------------------------------------
-- 5. The analyst layer
--------------------------------------------------------------------------

-- Offline purchases of a visitor (abandoned carts); only matched purchases
-- are in it, so it costs loads of unmatched or non-purchase rows nothing.
CREATE INDEX events_purchase_visitor_idx ON offline_join.events (visitor_id, event_time)
    WHERE event_type = 7 AND visitor_id IS NOT NULL;

-- Every event with its session's columns and the visitor's state at the
-- time: state = snapshot || dims (offline values win, as in Adobe).
CREATE VIEW offline_join.attributed_events AS
SELECT e.event_id, e.load_id, e.line_no, e.source, e.event_time, e.customer_id,
       e.transaction_id, e.event_type, e.category, e.product, e.num1, e.num2,
       e.dims, e.attrs, e.match, e.visitor_id, e.session_id, e.snapshot,
       s.started_at AS session_started_at,
       s.customer_id AS session_customer_id,
       s.attrs AS session_attrs,
       COALESCE(e.snapshot, '{}'::jsonb) OPERATOR(pg_catalog.||) e.dims AS state
  FROM offline_join.events e
  LEFT JOIN offline_join.sessions s ON s.session_id OPERATOR(pg_catalog.=) e.session_id;

-- Sessions since `since` with a non-empty cart and no completion within
-- `grace` after they started: no transaction recorded by the same visitor,
-- and no offline purchase (event_type 7) matched to the same visitor or
-- customer.  The list a mailer should write to.
CREATE FUNCTION offline_join.abandoned_carts(
    since timestamptz DEFAULT pg_catalog.now() OPERATOR(pg_catalog.-) interval '7 days',
    grace interval DEFAULT '24 hours')
RETURNS TABLE (session_id text, visitor_id text, customer_id text, started_at timestamptz, cart jsonb)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT s.session_id, s.visitor_id, s.customer_id, s.started_at, s.attrs -> 'cart'
    FROM offline_join.sessions s
   WHERE s.started_at >= since
     AND jsonb_typeof(s.attrs -> 'cart') = 'array'
     AND s.attrs -> 'cart' <> '[]'::jsonb
     AND NOT EXISTS (
           SELECT FROM offline_join.transactions t
            WHERE t.visitor_id = s.visitor_id
              AND t.recorded_at >= s.started_at
              AND t.recorded_at <= s.started_at + grace)
     AND NOT EXISTS (
           SELECT FROM offline_join.events e
            WHERE e.event_type = 7 AND e.visitor_id IS NOT NULL
              AND e.visitor_id = s.visitor_id
              AND e.event_time >= s.started_at
              AND e.event_time <= s.started_at + grace)
     AND NOT EXISTS (
           SELECT FROM offline_join.events e
            WHERE s.customer_id IS NOT NULL
              AND e.event_type = 7
              AND e.customer_id = s.customer_id
              AND e.event_time >= s.started_at
              AND e.event_time <= s.started_at + grace)
   ORDER BY s.started_at, s.session_id
$$;

SELECT pg_catalog.pg_extension_config_dump('offline_join.sources', '');
SELECT pg_catalog.pg_extension_config_dump('offline_join.products', '');
SELECT pg_catalog.pg_extension_config_dump('offline_join.loads', '');
SELECT pg_catalog.pg_extension_config_dump('offline_join.rejects', '');
SELECT pg_catalog.pg_extension_config_dump('offline_join.events', '');
SELECT pg_catalog.pg_extension_config_dump('offline_join.loads_load_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('offline_join.events_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('offline_join.inboxes', '');

--------------------------------------------------------------------------
-- 6. Expiry
--------------------------------------------------------------------------

-- One row per expiry pass that deleted something or failed; the newest 1000
-- are kept (older ones are trimmed whenever a row is added).  finished_at is
-- NULL while a pass runs; a worker pass cut short by a crash or a SIGTERM
-- is marked failed with error 'interrupted' when the worker starts again.
CREATE TABLE offline_join.expiry_runs (
    run_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    who              text NOT NULL
        CONSTRAINT expiry_runs_who CHECK (who IN ('worker', 'expire()')),
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    deleted          bigint NOT NULL DEFAULT 0,
    batches          integer NOT NULL DEFAULT 0,
    longest_batch_ms double precision,
    error            text
);

CREATE FUNCTION offline_join.expire(batch_size integer DEFAULT NULL)
RETURNS bigint
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_expire';

COMMENT ON FUNCTION offline_join.expire(integer) IS
    'deletes the expired transaction IDs now, in batches (NULL: offline_join.expire_batch_size); returns how many';

SELECT pg_catalog.pg_extension_config_dump('offline_join.expiry_runs', '');
SELECT pg_catalog.pg_extension_config_dump('offline_join.expiry_runs_run_id_seq', '');

--------------------------------------------------------------------------
-- Descriptions (\d+, \df+)
--------------------------------------------------------------------------

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
COMMENT ON FUNCTION offline_join.inbox_start() IS
    'trigger of the inboxes: checks the inbox and starts one COPY statement';
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

--------------------------------------------------------------------------
-- What a role may see of its own loads, and every function's grant
--------------------------------------------------------------------------

COMMENT ON TABLE offline_join.inboxes IS
    'the inboxes made by create_inbox(): their triggers run on no other table';
COMMENT ON COLUMN offline_join.loads.loaded_by IS
    'the role that made the load (the caller of load() or the role that sent the COPY); NULL before 0.1.2';
COMMENT ON COLUMN offline_join.loads.retryable IS
    'failed loads: true when load_dir() tries the path again (a privilege, a lock, an unreadable file), false when the content is at fault';

-- The rows are chosen inside the function, as the extension's owner: a
-- view over rejects, even a security_barrier one, would let a caller's
-- leakproof conditions run below it where EXPLAIN ANALYZE counts rows.
CREATE FUNCTION offline_join.my_rejects(load_id bigint DEFAULT NULL)
RETURNS TABLE (load_id bigint, line_no bigint, field text, reason text, message text, raw text)
LANGUAGE c STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_my_rejects';
COMMENT ON FUNCTION offline_join.my_rejects(bigint) IS
    'the rejects of the loads (of one load, or all) made by the current role or a role it has the privileges of';
CREATE VIEW offline_join.my_rejects AS SELECT * FROM offline_join.my_rejects();
COMMENT ON VIEW offline_join.my_rejects IS
    'the rejects of the loads made by the current role (or a role it has the privileges of)';
GRANT SELECT ON offline_join.my_rejects TO PUBLIC;

-- Every function's EXECUTE grant, deliberately (README, "Security").
-- for every role: each acts with the caller's own table privileges
GRANT EXECUTE ON FUNCTION
    offline_join.record_transaction(text, text, text, jsonb, timestamptz, interval),
    offline_join.source_is_valid(text, text, jsonb),
    offline_join.create_source(text, text, jsonb),
    offline_join.attribute(timestamptz, text, text, interval),
    offline_join.rematch(bigint),
    offline_join.expire(integer),
    offline_join.abandoned_carts(timestamptz, interval),
    offline_join.my_rejects(bigint)
  TO PUBLIC;
-- reading server files: for pg_read_server_files (and superusers)
REVOKE ALL ON FUNCTION
    offline_join.load(text, text, boolean),
    offline_join.load_dir(text, text, boolean),
    offline_join.validate_file(text, text),
    offline_join.create_foreign_table(text, text, text)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    offline_join.load(text, text, boolean),
    offline_join.load_dir(text, text, boolean),
    offline_join.validate_file(text, text),
    offline_join.create_foreign_table(text, text, text)
  TO pg_read_server_files;
-- the owner's: creating inboxes; never called directly: triggers, the
-- wrapper's handler and validator (the server calls them without a check)
REVOKE ALL ON FUNCTION
    offline_join.create_inbox(text, integer),
    offline_join.inbox_start(),
    offline_join.inbox_route(),
    offline_join.inbox_finish(),
    offline_join.transactions_fill_expiry(),
    offline_join.fdw_handler(),
    offline_join.fdw_validator(text[], oid)
  FROM PUBLIC;
