-- Included by sql/table_semantics.sql and sql/matching.sql (\i): does
-- every index of events and rejects (and of their partitions) agree with
-- the heap?  btree indexes are read by amcheck against the heap
-- (heapallindexed).  BRIN indexes, which amcheck does not read, must find
-- every value of each of their columns: for each value, a bitmap scan of
-- that index alone (the plan is checked) counts what a sequential scan
-- counts (with a partial index's predicate on both sides).  So that the
-- planner cannot take another index, the others (but constraints') are
-- dropped in a subtransaction that is rolled back.
CREATE FUNCTION pg_temp.brin_checked(idx regclass) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  tbl regclass;
  col name;
  pred text;
  v text;
  seq bigint;
  via bigint;
  line text;
  used boolean;
  other regclass;
  ok boolean := true;
BEGIN
  SELECT i.indrelid::regclass, coalesce(pg_get_expr(i.indpred, i.indrelid), 'true')
    INTO STRICT tbl, pred
    FROM pg_index i WHERE i.indexrelid = idx;
  BEGIN
  FOR other IN SELECT i.indexrelid::regclass FROM pg_index i
                WHERE i.indrelid = tbl AND i.indexrelid <> idx
                  AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = i.indexrelid) LOOP
    EXECUTE format('DROP INDEX %s', other);
  END LOOP;
  <<columns>>
  FOR col IN SELECT a.attname FROM pg_index i
               CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE i.indexrelid = idx ORDER BY k.n LOOP
  FOR v IN EXECUTE format('SELECT DISTINCT %I::text FROM %s WHERE %s', col, tbl, pred) LOOP
    PERFORM set_config('enable_bitmapscan', 'off', true), set_config('enable_indexscan', 'off', true),
            set_config('enable_indexonlyscan', 'off', true);
    EXECUTE format('SELECT count(*) FROM %s WHERE %I = %L AND %s', tbl, col, v, pred) INTO seq;
    PERFORM set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'on', true);
    used := false;
    FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT count(*) FROM %s WHERE %I = %L AND %s', tbl, col, v, pred) LOOP
      used := used OR line LIKE '%Bitmap Index Scan on ' || (SELECT relname FROM pg_class WHERE oid = idx) || '%';
    END LOOP;
    EXECUTE format('SELECT count(*) FROM %s WHERE %I = %L AND %s', tbl, col, v, pred) INTO via;
    PERFORM set_config('enable_seqscan', 'on', true), set_config('enable_indexscan', 'on', true),
            set_config('enable_indexonlyscan', 'on', true);
    IF seq <> via OR NOT used THEN
      RAISE WARNING 'index %: % = % and % finds % rows (a sequential scan: %), index used: %', idx, col, v, pred, via, seq, used;
      ok := false;
      EXIT columns;
    END IF;
  END LOOP;
  END LOOP;
  RAISE EXCEPTION 'roll the dropped indexes back';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
  RETURN ok;
END $$;
CREATE FUNCTION pg_temp.indexes_ok() RETURNS text LANGUAGE sql AS $$
  SELECT count(*) FILTER (WHERE a.amname = 'btree') || ' btree and '
         || count(*) FILTER (WHERE a.amname = 'brin') || ' brin indexes checked'
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_am a ON a.oid = c.relam
   WHERE t.relnamespace = 'offline_join'::regnamespace
     AND t.relkind = 'r' AND (t.relname LIKE 'events%' OR t.relname = 'rejects')
     AND CASE a.amname WHEN 'btree' THEN bt_index_check(c.oid, true)::text = ''
                       WHEN 'brin' THEN pg_temp.brin_checked(c.oid) END
$$;
