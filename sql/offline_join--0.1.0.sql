-- offline_join 0.1.0: install script.
-- Everything is schema-qualified and every function pins its search_path,
-- so no object of a user can take the place of one of ours.

\echo Use "CREATE EXTENSION offline_join" to load this file. \quit

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
