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
