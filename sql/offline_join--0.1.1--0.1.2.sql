-- offline_join 0.1.1 -> 0.1.2: the trust boundary.
--
-- * The schema offline_join becomes a member of the extension, as a fresh
--   0.1.2 install creates it (CREATE SCHEMA in the install script, so that
--   CREATE EXTENSION refuses a schema somebody made beforehand).  Before
--   0.1.2, CREATE EXTENSION created the schema or used an existing one; an
--   update refuses a schema that is not owned by the extension's owner.
-- * No function is SECURITY DEFINER; every function has a deliberate
--   EXECUTE grant (README, "Security").
-- * offline_join.inboxes records the inboxes create_inbox() made; the inbox
--   triggers run on nothing else.  The inboxes of 0.1.1 are recorded here.
-- * offline_join.loads.loaded_by: the role that made each load, and
--   offline_join.my_rejects(), which shows a role the rejects of its own
--   loads; loads.retryable: which failures load_dir() tries again.

\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.1.2'" to load this file. \quit

-- 1. the schema: refuse one the extension's owner does not own, or in which
-- others may create objects; then make it a member of the extension
DO $$
DECLARE
  ext   pg_catalog.oid;
  owner pg_catalog.oid;
  nsp   pg_catalog.oid;
  nsp_owner pg_catalog.oid;
  other pg_catalog.text;
BEGIN
  SELECT e.oid, e.extowner, e.extnamespace INTO ext, owner, nsp
    FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'offline_join';
  IF nsp OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace THEN
    RETURN;   -- already the 0.1.2 shape
  END IF;
  SELECT n.nspowner INTO nsp_owner FROM pg_catalog.pg_namespace n WHERE n.oid OPERATOR(pg_catalog.=) nsp;
  IF nsp_owner OPERATOR(pg_catalog.<>) owner THEN
    RAISE EXCEPTION USING
      ERRCODE = 'insufficient_privilege',
      MESSAGE = pg_catalog.format('schema %I is owned by role %I, not by %I, the owner of extension offline_join',
                                  nsp::pg_catalog.regnamespace, nsp_owner::pg_catalog.regrole, owner::pg_catalog.regrole),
      DETAIL = 'The schema existed before CREATE EXTENSION offline_join, so its owner can replace the objects the extension uses.',
      HINT = 'Check every object in the schema, then ALTER SCHEMA offline_join OWNER TO the extension''s owner and update again.';
  END IF;
  SELECT pg_catalog.string_agg(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'public'
                                    ELSE a.grantee::pg_catalog.regrole::pg_catalog.text END, ', ')
    INTO other
    FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
   WHERE n.oid OPERATOR(pg_catalog.=) nsp AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
     AND a.grantee OPERATOR(pg_catalog.<>) nsp_owner;
  IF other IS NOT NULL THEN
    RAISE EXCEPTION USING
      ERRCODE = 'insufficient_privilege',
      MESSAGE = pg_catalog.format('roles other than the owner may create objects in schema %I: %s',
                                  nsp::pg_catalog.regnamespace, other),
      HINT = 'Check every object in the schema, REVOKE CREATE ON SCHEMA offline_join FROM them, and update again.';
  END IF;
  -- objects other roles made while they could: any of them could stand
  -- where the extension's code looks a name up
  SELECT pg_catalog.string_agg(x.what, ', ' ORDER BY x.what) INTO other
    FROM (SELECT 'table ' OPERATOR(pg_catalog.||) c.oid::pg_catalog.regclass::pg_catalog.text AS what, c.relowner AS who
            FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
          UNION ALL
          SELECT 'function ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::pg_catalog.text, p.proowner
            FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) nsp
          UNION ALL
          SELECT 'operator ' OPERATOR(pg_catalog.||) o.oid::pg_catalog.regoperator::pg_catalog.text, o.oprowner
            FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) nsp
          UNION ALL
          SELECT 'type ' OPERATOR(pg_catalog.||) t.oid::pg_catalog.regtype::pg_catalog.text, t.typowner
            FROM pg_catalog.pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) nsp) x
    JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) x.who
   WHERE x.who OPERATOR(pg_catalog.<>) owner AND NOT r.rolsuper;
  IF other IS NOT NULL THEN
    RAISE EXCEPTION USING
      ERRCODE = 'insufficient_privilege',
      MESSAGE = pg_catalog.format('schema %I holds objects of roles other than the extension''s owner: %s',
                                  nsp::pg_catalog.regnamespace, other),
      HINT = 'Check them, then drop them or ALTER ... OWNER TO the extension''s owner, and update again.';
  END IF;
  -- what CREATE SCHEMA inside the install script records: the schema is a
  -- member, and the extension lives in pg_catalog (as pg_cron's does)
  UPDATE pg_catalog.pg_extension SET extnamespace = 'pg_catalog'::pg_catalog.regnamespace
   WHERE oid OPERATOR(pg_catalog.=) ext;
  DELETE FROM pg_catalog.pg_depend
   WHERE classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
     AND objid OPERATOR(pg_catalog.=) ext
     AND refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
     AND refobjid OPERATOR(pg_catalog.=) nsp;
  INSERT INTO pg_catalog.pg_depend (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
  VALUES ('pg_catalog.pg_namespace'::pg_catalog.regclass, nsp, 0,
          'pg_catalog.pg_extension'::pg_catalog.regclass, ext, 0, 'e');
END $$;

-- 2. the triggers run as their caller; they become the owner in C, only to
-- write, after checking what they fire on.  A third one starts each
-- statement, so that every statement has a run of its own.
ALTER FUNCTION offline_join.inbox_route() SECURITY INVOKER;
ALTER FUNCTION offline_join.inbox_finish() SECURITY INVOKER;
CREATE FUNCTION offline_join.inbox_start()
RETURNS trigger
LANGUAGE c
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_inbox_begin';
COMMENT ON FUNCTION offline_join.inbox_start() IS
    'trigger of the inboxes: checks the inbox and starts one COPY statement';

-- 3. the record of the inboxes
CREATE TABLE offline_join.inboxes (
    inbox      regclass PRIMARY KEY,
    source     text NOT NULL CONSTRAINT inboxes_source_key UNIQUE,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
SELECT pg_catalog.pg_extension_config_dump('offline_join.inboxes', '');
COMMENT ON TABLE offline_join.inboxes IS
    'the inboxes made by create_inbox(): their triggers run on no other table';
-- the inboxes of 0.1.1: the tables of this schema with an inbox_route
-- trigger, owned by the extension's owner or a superuser (create_inbox()
-- made them as such); for a source with several, inbox_<source>
INSERT INTO offline_join.inboxes (inbox, source, created_at)
SELECT DISTINCT ON (src) rel::pg_catalog.regclass, src, pg_catalog.now()
  FROM (SELECT t.tgrelid AS rel, c.relname,
               pg_catalog.split_part(pg_catalog.encode(t.tgargs, 'escape'), '\000', 1) AS src
          FROM pg_catalog.pg_trigger t
          JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
          JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) c.relowner
         WHERE t.tgfoid OPERATOR(pg_catalog.=) 'offline_join.inbox_route()'::pg_catalog.regprocedure
           AND t.tgnargs OPERATOR(pg_catalog.=) 1
           AND c.relkind OPERATOR(pg_catalog.=) 'r'
           AND c.relnamespace OPERATOR(pg_catalog.=) 'offline_join'::pg_catalog.regnamespace
           AND (o.rolsuper OR c.relowner OPERATOR(pg_catalog.=)
                (SELECT extowner FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'offline_join'))) i
 ORDER BY src, relname OPERATOR(pg_catalog.<>) ('inbox_' OPERATOR(pg_catalog.||) src), rel
ON CONFLICT DO NOTHING;
DO $$
DECLARE i record;
BEGIN
  FOR i IN SELECT inbox, source FROM offline_join.inboxes LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER inbox_start BEFORE INSERT ON %s'
                              ' FOR EACH STATEMENT EXECUTE FUNCTION offline_join.inbox_start(%L)',
                              i.inbox, i.source);
  END LOOP;
END $$;

-- 4. who made each load; a role's own rejects
ALTER TABLE offline_join.loads ADD COLUMN loaded_by regrole;
COMMENT ON COLUMN offline_join.loads.loaded_by IS
    'the role that made the load (the caller of load() or the role that sent the COPY); NULL before 0.1.2';
-- which failures load_dir() tries again (NULL for failures before 0.1.2:
-- tried again once, then recorded anew)
ALTER TABLE offline_join.loads ADD COLUMN retryable boolean;
COMMENT ON COLUMN offline_join.loads.retryable IS
    'failed loads: true when load_dir() tries the path again (a privilege, a lock, an unreadable file), false when the content is at fault';

-- The rows are chosen inside the function, as the extension's owner: a
-- view over rejects, even a security_barrier one, would let a caller's
-- leakproof conditions run below it where EXPLAIN ANALYZE counts rows.
CREATE FUNCTION offline_join.my_rejects(load_id bigint DEFAULT NULL)
RETURNS TABLE (load_id bigint, line_no bigint, field text, reason text, message text, raw text)
LANGUAGE c STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_my_rejects';
COMMENT ON FUNCTION offline_join.my_rejects(bigint) IS
    'the rejects of the loads (of one load, or all) made by the current role or a role it has the privileges of';
CREATE VIEW offline_join.my_rejects AS SELECT * FROM offline_join.my_rejects();
COMMENT ON VIEW offline_join.my_rejects IS
    'the rejects of the loads made by the current role (or a role it has the privileges of)';
GRANT SELECT ON offline_join.my_rejects TO PUBLIC;

-- 5. every function's EXECUTE grant, deliberately
-- for every role: each acts with the caller's own table privileges
GRANT EXECUTE ON FUNCTION
    offline_join.record_transaction(text, text, text, jsonb, timestamptz, interval),
    offline_join.source_is_valid(text, text, jsonb),
    offline_join.create_source(text, text, jsonb),
    offline_join.attribute(timestamptz, text, text, interval),
    offline_join.rematch(bigint),
    offline_join.expire(integer),
    offline_join.abandoned_carts(timestamptz, interval),
    offline_join.my_rejects(bigint)
  TO PUBLIC;
-- reading server files: for pg_read_server_files (and superusers)
REVOKE ALL ON FUNCTION
    offline_join.load(text, text, boolean),
    offline_join.load_dir(text, text, boolean),
    offline_join.validate_file(text, text),
    offline_join.create_foreign_table(text, text, text)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    offline_join.load(text, text, boolean),
    offline_join.load_dir(text, text, boolean),
    offline_join.validate_file(text, text),
    offline_join.create_foreign_table(text, text, text)
  TO pg_read_server_files;
-- the owner's: creating inboxes; never called directly: triggers, the
-- wrapper's handler and validator (the server calls them without a check)
REVOKE ALL ON FUNCTION
    offline_join.create_inbox(text, integer),
    offline_join.inbox_start(),
    offline_join.inbox_route(),
    offline_join.inbox_finish(),
    offline_join.transactions_fill_expiry(),
    offline_join.fdw_handler(),
    offline_join.fdw_validator(text[], oid)
  FROM PUBLIC;
