/* offline_join 0.1.2 -> 0.1.3: one honest write path */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.1.3'" to load this file. \quit

-- The writers of events and rejects (load, load_dir, inbox COPY) and
-- rematch() write a table below the executor only when it is exactly what
-- that path writes as INSERT/UPDATE would; otherwise their rows go through
-- one INSERT (or UPDATE) statement that reads them from this function.  It
-- returns rows only to that statement, which holds a random token; called
-- any other way it is an ERROR.  Every role may execute it: the writers run
-- as their caller (or, for an inbox, as the extension's owner).
CREATE FUNCTION offline_join.sink_rows(token bigint)
RETURNS SETOF record
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_sink_rows';
COMMENT ON FUNCTION offline_join.sink_rows(bigint) IS
    'internal: the rows an offline_join writer is inserting, for the one statement that holds the token';
REVOKE ALL ON FUNCTION offline_join.sink_rows(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION offline_join.sink_rows(bigint) TO PUBLIC;
