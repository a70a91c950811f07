-- Included by the load tests (\i): every dims and attrs object of events
-- (written in jsonb's binary form by src/jsonb_flat.c) is the object its
-- text reads back as: equal, printed the same, and of the same stored size.
CREATE FUNCTION pg_temp.jsonb_objects_ok() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  bad bigint;
BEGIN
  CREATE TEMP TABLE jsonb_canon AS
    SELECT dims AS obj, dims::text::jsonb AS canon FROM offline_join.events
    UNION ALL
    SELECT attrs, attrs::text::jsonb FROM offline_join.events;
  SELECT count(*), count(*) FILTER (WHERE obj <> canon OR obj::text <> canon::text
                                       OR pg_column_size(obj) <> pg_column_size(canon))
    INTO n, bad FROM jsonb_canon;
  DROP TABLE jsonb_canon;
  IF bad > 0 THEN
    RETURN bad || ' of ' || n || ' objects differ from their text read back';
  END IF;
  RETURN n || ' objects, each as its text reads back';
END $$;
-- num1 and num2 (made from their digits by src/ingest.c when they are
-- plain) likewise: each the number its text reads back
CREATE FUNCTION pg_temp.numbers_ok() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  bad bigint;
BEGIN
  CREATE TEMP TABLE numeric_canon AS
    SELECT num1 AS num, num1::text::numeric AS canon FROM offline_join.events WHERE num1 IS NOT NULL
    UNION ALL
    SELECT num2, num2::text::numeric FROM offline_join.events WHERE num2 IS NOT NULL;
  SELECT count(*), count(*) FILTER (WHERE num <> canon OR num::text <> canon::text
                                       OR pg_column_size(num) <> pg_column_size(canon))
    INTO n, bad FROM numeric_canon;
  DROP TABLE numeric_canon;
  IF bad > 0 THEN
    RETURN bad || ' of ' || n || ' numbers differ from their text read back';
  END IF;
  RETURN n || ' numbers, each as its text reads back';
END $$;
