-- Privileges (spec section 7): without superuser or pg_read_server_files no
-- server file is reachable, whatever the path looks like (.., symlinks,
-- globs) and whichever entry point (load, load_dir, validate_file, the
-- FDW's filename at CREATE or ALTER).  A role with INSERT on an inbox only
-- can do nothing else.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
DROP ROLE IF EXISTS regress_oj_plain;  -- left by an interrupted run
SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_inbox('rmc');
CREATE SERVER offline_files FOREIGN DATA WRAPPER offline_join_fdw;
CREATE ROLE regress_oj_plain;
GRANT USAGE ON SCHEMA offline_join TO regress_oj_plain;
GRANT USAGE ON FOREIGN SERVER offline_files TO regress_oj_plain;
GRANT CREATE ON SCHEMA public TO regress_oj_plain;
GRANT INSERT ON offline_join.inbox_rmc TO regress_oj_plain;
-- even with every table privilege, files stay out of reach
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA offline_join TO regress_oj_plain;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

SET ROLE regress_oj_plain;
-- EXECUTE on the file readers is granted to pg_read_server_files only
SELECT pg_temp.err($$SELECT offline_join.load('rmc', '/etc/passwd')$$);
SELECT pg_temp.err($$SELECT offline_join.create_foreign_table('f0', 'rmc', '/etc/passwd')$$);
RESET ROLE;
-- and should a superuser grant EXECUTE to a role by mistake, the check in C
-- still refuses every path through every entry point
GRANT EXECUTE ON FUNCTION offline_join.load(text, text, boolean, bigint), offline_join.load_dir(text, text, boolean),
      offline_join.validate_file(text, text), offline_join.create_foreign_table(text, text, text)
   TO regress_oj_plain;
SET ROLE regress_oj_plain;
SELECT p AS path, pg_temp.err(format('SELECT offline_join.load(%L, %L)', 'rmc', p)) AS load,
       pg_temp.err(format('SELECT offline_join.validate_file(%L, %L)', 'rmc', p)) AS validate_file,
       pg_temp.err(format('SELECT offline_join.load_dir(%L, %L)', 'rmc', p)) AS load_dir
  FROM unnest(ARRAY['/etc/passwd', '/tmp/../etc/passwd', '/etc/pass*',
                    '/proc/self/root/etc/passwd', '/nonexistent/x.csv']) p;
SELECT pg_temp.err($$CREATE FOREIGN TABLE f1 (customer_id text) SERVER offline_files
                     OPTIONS (source 'rmc', filename '/tmp/../etc/passwd')$$);
SELECT pg_temp.err($$CREATE FOREIGN TABLE f2 (customer_id text) SERVER offline_files
                     OPTIONS (source 'rmc', filename '/etc/*')$$);
SELECT pg_temp.err($$SELECT offline_join.create_foreign_table('f3', 'rmc', '/etc/passwd')$$);
-- sources name no files; creating them is a matter of table privileges
SELECT pg_temp.err($$SELECT offline_join.create_source('mine', 'rmc', '{"timezone": "UTC"}')$$);
RESET ROLE;

-- a foreign table made by a superuser; its owner changed to the plain role,
-- who may then not point it elsewhere
SELECT offline_join.create_foreign_table('public.made_for_plain', 'rmc', '/tmp/made_for_plain.csv');
ALTER FOREIGN TABLE public.made_for_plain OWNER TO regress_oj_plain;
SET ROLE regress_oj_plain;
SELECT pg_temp.err($$ALTER FOREIGN TABLE public.made_for_plain OPTIONS (SET filename '/etc/passwd')$$);
SELECT pg_temp.err($$ALTER FOREIGN TABLE public.made_for_plain OPTIONS (SET filename '/tmp/../etc/passwd')$$);
RESET ROLE;

-- members of pg_read_server_files may (the check is the role, not the path)
GRANT pg_read_server_files TO regress_oj_plain;
SET ROLE regress_oj_plain;
SELECT pg_temp.err($$SELECT offline_join.load('rmc', '/nonexistent/x.csv')$$);
RESET ROLE;

DROP OWNED BY regress_oj_plain;
DROP ROLE regress_oj_plain;
