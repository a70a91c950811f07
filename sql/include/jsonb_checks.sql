-- Included by the load tests (\i): every dims and attrs object of events
-- (written in jsonb's binary form by src/jsonb_flat.c), and every num1 and
-- num2 (made from their digits by src/ingest.c when they are plain), is the
-- value its text reads back as: equal, printed the same, and of the same
-- stored size.
-- pg_temp.read_back(what, query): query gives (v, canon) pairs, a value
-- and its text read back as the same type; how many, or which differ.
CREATE FUNCTION pg_temp.read_back(what text, query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  bad bigint;
BEGIN
  EXECUTE 'CREATE TEMP TABLE read_back AS ' || query;
  SELECT count(*), count(*) FILTER (WHERE v <> canon OR v::text <> canon::text
                                       OR pg_column_size(v) <> pg_column_size(canon))
    INTO n, bad FROM read_back;
  DROP TABLE read_back;
  IF bad > 0 THEN
    RETURN bad || ' of ' || n || ' ' || what || ' differ from their text read back';
  END IF;
  RETURN n || ' ' || what || ', each as its text reads back';
END $$;
CREATE FUNCTION pg_temp.jsonb_objects_ok() RETURNS text LANGUAGE sql AS $$
  SELECT pg_temp.read_back('objects',
    'SELECT dims AS v, dims::text::jsonb AS canon FROM offline_join.events
     UNION ALL SELECT attrs, attrs::text::jsonb FROM offline_join.events')
$$;
CREATE FUNCTION pg_temp.numbers_ok() RETURNS text LANGUAGE sql AS $$
  SELECT pg_temp.read_back('numbers',
    'SELECT num1 AS v, num1::text::numeric AS canon FROM offline_join.events WHERE num1 IS NOT NULL
     UNION ALL SELECT num2, num2::text::numeric FROM offline_join.events WHERE num2 IS NOT NULL')
$$;
