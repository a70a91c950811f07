/* offline_join 0.2.0 -> 0.2.1: operating it day to day (issue #28): each
 * source's health, corrections, scheduled runs, progress, retention */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.1'" to load this file. \quit


-- == progress ==
-- offline_join.progress: one row per load running in this database (load(),
-- each file of load_dir(), validate_file(), COPY or INSERT into an inbox),
-- from the shared memory of a preloaded library.  The function chooses the
-- rows with the caller's rights: a role that may read the whole ledger
-- (SELECT on offline_join.loads, no row-level security) sees every load; any
-- other role sees only the loads of roles whose privileges it has (its own),
-- which tells it nothing it does not know.  So EXECUTE and the view are
-- everyone's, and the view is security_invoker.  Nothing here is a table:
-- on the Citus layout every node has the view, showing its own loads.
CREATE FUNCTION offline_join.progress()
RETURNS TABLE (pid integer, role text, source text, command text, path text, phase text,
               load_id bigint, file_no integer, files_total integer,
               bytes_done bigint, bytes_total bigint, rows_done bigint, rows_rejected bigint,
               started_at timestamptz)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_progress';
COMMENT ON FUNCTION offline_join.progress() IS
    'the loads running in this database that the caller may see (all of them for a role that may read offline_join.loads, else its own)';
GRANT EXECUTE ON FUNCTION offline_join.progress() TO PUBLIC;
CREATE VIEW offline_join.progress WITH (security_invoker = true) AS
    SELECT * FROM offline_join.progress();
COMMENT ON VIEW offline_join.progress IS
    'one row per running load: load(), each file of load_dir(), validate_file(), COPY or INSERT into an inbox (needs the library in shared_preload_libraries)';
GRANT SELECT ON offline_join.progress TO PUBLIC;
