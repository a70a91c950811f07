/* offline_join 0.1.5 -> 0.2.0: formats as data; format csv, whose layout a
 * source's options describe */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.0'" to load this file. \quit

-- Format csv needs no change to a table: sources keep their format and
-- options, and offline_join.sources' CHECK (source_is_valid(), in C) now
-- also takes format csv with its options.  Every rmc and adobe source valid
-- in 0.1.5 is valid in 0.2.0, with the same meaning.

-- create_inbox() takes the file's columns for a source that reads them by
-- header name: the inbox then has every column of the file, in its order,
-- so that COPY ... HEADER takes the file as it is.
DROP FUNCTION offline_join.create_inbox(text, integer);
CREATE FUNCTION offline_join.create_inbox(source text, transaction_attrs int DEFAULT NULL,
                                          columns text[] DEFAULT NULL)
RETURNS regclass
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_create_inbox';
REVOKE ALL ON FUNCTION offline_join.create_inbox(text, integer, text[]) FROM PUBLIC;
COMMENT ON FUNCTION offline_join.create_inbox(text, integer, text[]) IS
    'creates offline_join.inbox_<source>: COPY into it validates and routes rows as load() does';

-- A format's column table, as its descriptor holds it (a csv source's as
-- its options map it): what the docs' format tables show.  Reads nothing
-- but its arguments: everyone's.
CREATE FUNCTION offline_join.format_columns(format text, options jsonb DEFAULT '{}')
RETURNS TABLE (column_number integer, column_name text, field text, key text, rule text, required boolean)
LANGUAGE c STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_format_columns';
COMMENT ON FUNCTION offline_join.format_columns(text, jsonb) IS
    'the columns of a format (of a csv source with these options): position or header name, the event field and json key each fills, its rule';
GRANT EXECUTE ON FUNCTION offline_join.format_columns(text, jsonb) TO PUBLIC;
