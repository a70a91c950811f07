/* offline_join 0.2.5 -> 0.2.6: ingest() loads files side by side (issue #29) */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.6'" to load this file. \quit

-- ingest_files(): the files of a source's folder loaded by background
-- workers "offline_join ingest", each file committed on its own as the
-- caller (src/load_workers.c).  ingest(source, pattern, workers) calls it;
-- outside a transaction block only (its commits could not be undone).
CREATE FUNCTION offline_join.ingest_files(source text, paths text[], workers integer)
RETURNS TABLE (path text, load_id bigint, status text, message text)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_ingest_files';
REVOKE ALL ON FUNCTION offline_join.ingest_files(text, text[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION offline_join.ingest_files(text, text[], integer) TO pg_read_server_files;
COMMENT ON FUNCTION offline_join.ingest_files(text, text[], integer) IS
    'ingest()''s workers: loads the paths of a source in up to workers background workers, each file in its own transaction; a row per file a worker took (status skipped: passed over as load_dir() would; failed without load_id: the worker stopped before the file was in)';

-- ingest(source, pattern, workers): with workers > 1 the waiting files are
-- loaded side by side first, a thousand paths per ingest_files() call (its
-- shared memory, and the snapshot the caller holds while it waits, stay
-- small however many files wait), each call alone in its transaction after
-- a COMMIT (the workers must not wait for locks the caller holds, nor for
-- a lock request queued behind them, nor miss what it wrote); what no
-- worker took is then loaded as before.
-- (A procedure that commits cannot have a SET clause: every name in it is
-- schema-qualified, every operator OPERATOR(pg_catalog.x).)
DROP PROCEDURE offline_join.ingest(text, text);
CREATE PROCEDURE offline_join.ingest(source text, pattern text DEFAULT NULL, workers integer DEFAULT 1)
LANGUAGE plpgsql
AS $fn$
DECLARE
    f record;
    r record;
    failed text[] := '{}';
    taken text[] := '{}';
    todo text[];
    n integer := 0;
    k integer := 1;
BEGIN
    IF workers IS NULL OR workers OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'offline_join.ingest(%): workers must be at least 1, not %',
              pg_catalog.quote_literal(ingest.source), COALESCE(workers::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF workers OPERATOR(pg_catalog.>) 1 THEN
        todo := ARRAY(SELECT s.path FROM offline_join.source_files(ingest.source, ingest.pattern) AS s
                       WHERE s.state OPERATOR(pg_catalog.=) ANY (ARRAY['waiting', 'changed', 'failed'])
                       ORDER BY s.path);
        IF pg_catalog.cardinality(todo) OPERATOR(pg_catalog.>) 0 THEN
            COMMIT;
        END IF;
        WHILE k OPERATOR(pg_catalog.<=) pg_catalog.cardinality(todo) LOOP
            FOR r IN SELECT w.* FROM offline_join.ingest_files(ingest.source,
                                         todo[k : k OPERATOR(pg_catalog.+) 999], workers) AS w
            LOOP
                taken := taken OPERATOR(pg_catalog.||) r.path;
                IF r.status OPERATOR(pg_catalog.<>) 'skipped' THEN
                    n := n OPERATOR(pg_catalog.+) 1;
                END IF;
                IF r.status OPERATOR(pg_catalog.=) 'failed' THEN
                    failed := failed OPERATOR(pg_catalog.||) pg_catalog.format('%s (load %s: %s)', r.path,
                                                             COALESCE(r.load_id::text, 'none'), r.message);
                END IF;
            END LOOP;
            COMMIT;
            k := k OPERATOR(pg_catalog.+) 1000;
        END LOOP;
    END IF;
    FOR f IN SELECT s.path FROM offline_join.source_files(ingest.source, ingest.pattern) AS s
              WHERE s.state OPERATOR(pg_catalog.=) ANY (ARRAY['waiting', 'changed', 'failed'])
                AND s.path OPERATOR(pg_catalog.<>) ALL (taken)
              ORDER BY s.path
    LOOP
        -- the file's own name as a pattern: its characters taken literally
        FOR r IN SELECT * FROM offline_join.load_dir(ingest.source,
                                 pg_catalog.regexp_replace(f.path, '([][*?\\])', '\\\1', 'g'))
        LOOP
            n := n OPERATOR(pg_catalog.+) 1;
            IF r.status OPERATOR(pg_catalog.=) 'failed' THEN
                failed := failed OPERATOR(pg_catalog.||) pg_catalog.format('%s (load %s: %s)', r.path, r.load_id, r.message);
            END IF;
        END LOOP;
        COMMIT;
    END LOOP;
    IF pg_catalog.cardinality(failed) OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'offline_join.ingest(%): % of % files failed: %', pg_catalog.quote_literal(ingest.source),
              pg_catalog.cardinality(failed), n, pg_catalog.array_to_string(failed, '; ')
            USING ERRCODE = 'data_exception',
                  HINT = pg_catalog.format('See SELECT * FROM offline_join.source_status WHERE source = %L.', ingest.source);
    END IF;
END
$fn$;
REVOKE ALL ON PROCEDURE offline_join.ingest(text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE offline_join.ingest(text, text, integer) TO pg_read_server_files;
COMMENT ON PROCEDURE offline_join.ingest(text, text, integer) IS
    'for pg_cron: loads each waiting file of a source, each in its own transaction (with workers > 1, that many side by side in background workers); ends with an ERROR naming the files that failed';
