/* offline_join 0.2.0 -> 0.2.1: operating it day to day (issue #28): each
 * source's health, corrections, scheduled runs, progress, retention */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.1'" to load this file. \quit


-- == inbox count ==
-- COPY (and INSERT) into an inbox reports the rows it loaded into
-- offline_join.events (COPY 3), and offline_join.last_load() gives the
-- client the ledger row of its last statement into an inbox.
--
-- An inbox is a table of access method offline_join_inbox, which keeps no
-- row: the inbox's BEFORE ROW trigger routes each row into events or
-- rejects as before and returns it when it was loaded, so the executor
-- counts exactly those (and RETURNING shows them); a reject is not
-- counted.  A row that did not pass the trigger is refused by the method,
-- never dropped silently.
CREATE FUNCTION offline_join.inbox_am_handler(internal)
RETURNS table_am_handler
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'oj_inbox_am_handler';
COMMENT ON FUNCTION offline_join.inbox_am_handler(internal) IS
    'handler of access method offline_join_inbox: the tables of the inboxes, which keep no row';
-- called by PostgreSQL only (an access method needs no EXECUTE to be used)
REVOKE ALL ON FUNCTION offline_join.inbox_am_handler(internal) FROM PUBLIC;
CREATE ACCESS METHOD offline_join_inbox TYPE TABLE HANDLER offline_join.inbox_am_handler;
COMMENT ON ACCESS METHOD offline_join_inbox IS
    'the inboxes of offline_join: keeps no row; the rows its inbox_route trigger loads are counted by COPY and INSERT';

CREATE FUNCTION offline_join.last_load()
RETURNS offline_join.loads
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_last_load';
COMMENT ON FUNCTION offline_join.last_load() IS
    'the ledger row of this session''s last statement into an inbox, if the current role made it (rows_matched NULL for a role that may not read the matches); NULL otherwise';
-- for every role that may send rows to an inbox: it shows only its own load
GRANT EXECUTE ON FUNCTION offline_join.last_load() TO PUBLIC;

-- The inboxes of 0.1.2 to 0.2.0 are heap tables: each becomes one of
-- offline_join_inbox (ALTER TABLE ... SET ACCESS METHOD, PostgreSQL 15 on).
-- An inbox that holds rows (sent with its triggers disabled) or that this
-- role may not alter is left as it is, with a WARNING: it keeps working as
-- before, reporting COPY 0.  On a Citus worker nothing is done: inboxes
-- are tables of the coordinator.
DO $upd$
DECLARE
    on_worker boolean := false;
    i record;
    has_rows boolean;
BEGIN
    IF pg_catalog.to_regproc('pg_catalog.citus_is_coordinator') IS NOT NULL THEN
        EXECUTE $q$SELECT NOT pg_catalog.citus_is_coordinator()
                     AND EXISTS (SELECT FROM pg_catalog.pg_dist_partition
                                  WHERE logicalrelid OPERATOR(pg_catalog.=) 'offline_join.loads'::pg_catalog.regclass)$q$
            INTO STRICT on_worker;
    END IF;
    IF on_worker THEN
        RETURN;
    END IF;
    FOR i IN SELECT c.oid::pg_catalog.regclass AS inbox
               FROM offline_join.inboxes b
               JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) b.inbox::pg_catalog.oid
              WHERE c.relkind OPERATOR(pg_catalog.=) 'r'
                AND c.relnamespace OPERATOR(pg_catalog.=) 'offline_join'::pg_catalog.regnamespace
                AND c.relam OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_am
                                                      WHERE amname OPERATOR(pg_catalog.=) 'heap')
              ORDER BY 1::pg_catalog.text LOOP
        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %s)', i.inbox) INTO STRICT has_rows;
        IF has_rows THEN
            RAISE WARNING 'inbox % holds rows and stays a heap table, which reports COPY 0', i.inbox
                USING HINT = pg_catalog.format('Move its rows away, then run ALTER TABLE %s SET ACCESS METHOD offline_join_inbox.', i.inbox);
            CONTINUE;
        END IF;
        BEGIN
            EXECUTE pg_catalog.format('ALTER TABLE %s SET ACCESS METHOD offline_join_inbox', i.inbox);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'inbox % stays a heap table, which reports COPY 0: %', i.inbox, SQLERRM
                USING HINT = pg_catalog.format('Its owner can run ALTER TABLE %s SET ACCESS METHOD offline_join_inbox.', i.inbox);
        END;
    END LOOP;
END
$upd$;
