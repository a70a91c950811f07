/*-------------------------------------------------------------------------
 *
 * inbox.c
 *	  The COPY path (spec section 4): create_inbox() makes
 *	  offline_join.inbox_<source>, one text column per format column, with
 *	  three triggers.  A BEFORE statement trigger checks the inbox and
 *	  starts the statement's run; a BEFORE ROW trigger runs each row through
 *	  the same pipeline as load() and keeps nothing in the inbox; an AFTER
 *	  statement trigger flushes and writes one ledger row per statement.
 *
 *	  A role with only INSERT on an inbox loads this way.  The triggers are
 *	  not SECURITY DEFINER and are not executable by PUBLIC: they refuse to
 *	  run on anything but an inbox recorded in offline_join.inboxes by
 *	  create_inbox(), check the inbox's columns before reading a value, and
 *	  become the extension's owner only to write events, rejects and the
 *	  ledger row.  What they tell the caller is decided by the caller's own
 *	  privileges: the matched count is derived from the online tables, so a
 *	  role that cannot read the matches is not told it; a source that checks
 *	  the product feed needs a caller that may read it.  They read no
 *	  server file.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "commands/copy.h"
#include "commands/defrem.h"
#include "commands/progress.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "tcop/pquery.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "parser/parse_func.h"
#include "catalog/pg_trigger.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/timestamp.h"

#include "ingest.h"
#include "catalog.h"
#include "citus.h"
#include "copy_state.h"
#include "inbox_am.h"
#include "last_load.h"
#include "ledger.h"
#include "progress.h"
#include "security.h"

PG_FUNCTION_INFO_V1(oj_create_inbox);
PG_FUNCTION_INFO_V1(oj_inbox_begin);
PG_FUNCTION_INFO_V1(oj_inbox_route);
PG_FUNCTION_INFO_V1(oj_inbox_finish);

/* One COPY statement in progress into one inbox. */
typedef struct OjInboxRun
{
	Oid			relid;
	TransactionId xid;
	SubTransactionId subid;
	OjIngest   *in;
	OjSource   *src;
	int64		load_id;
	TimestampTz started_at;
	bool		from_copy;
	bool		copy_checked;	/* oj_inbox_check_copy() done */
	int64		next_line;		/* COPY: the physical line where the next record starts */
	int			progress;		/* its level in offline_join.progress */
	Oid			invoker;		/* the role whose INSERT/COPY this is */
	Oid			owner;			/* the extension's owner: writes are made as it */
	bool		pin_path;		/* route rows under the pinned search_path (oj_inbox_route()) */
	bool		show_matched;	/* may the invoker learn the matched count? */
	bool		show_rejects;	/* may it read offline_join.rejects? */
	bool		reads_written[3];	/* may it read all of events, rejects, loads? */
	char	   *invoker_name;
	int			natts;
	char	  **names;			/* header names of the inbox columns */
	bool	   *present;		/* adobe: the statement's columns */
	Datum	   *values;
	bool	   *nulls;
	OjField    *fields;
	StringInfoData raw;
	struct OjInboxRun *next;
} OjInboxRun;

static OjInboxRun *oj_inbox_runs = NULL;

static void oj_inbox_refuse_temp_objects(Relation rel);
static bool oj_inbox_callbacks = false;

/*
 * The inbox column for a header name: lower case, spaces as underscores,
 * cut as PostgreSQL cuts an identifier (NAMEDATALEN - 1 bytes).
 */
static char *
oj_inbox_column(const char *header)
{
	char	   *s = pstrdup(header);
	char	   *p;
	int			len;

	for (p = s; *p; p++)
		*p = (*p == ' ') ? '_' : pg_tolower((unsigned char) *p);
	len = strlen(s);
	if (len >= NAMEDATALEN)
		s[pg_mbcliplen(s, len, NAMEDATALEN - 1)] = '\0';
	return s;
}

/* The header names of a source's inbox columns, in table order (the core's one list). */
static List *
oj_inbox_headers(OjSource *src, int transaction_attrs)
{
	List	   *names = NIL;
	int			n = oj_format_ncolumns(src->format, transaction_attrs);
	char		buf[64];

	for (int i = 0; i < n; i++)
		names = lappend(names, pstrdup(oj_format_column(src->format, i, buf, sizeof(buf))));
	return names;
}

/* ERROR with a hint unless the schema has the inbox registry (0.1.2 on). */
static void
oj_inbox_registry_required(void)
{
	if (!OidIsValid(get_relname_relid("inboxes", get_namespace_oid(OJ_SCHEMA, false))))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s.inboxes\" does not exist", OJ_SCHEMA),
				 errdetail("Inboxes need the schema of offline_join 0.1.2 or later."),
				 errhint("Run ALTER EXTENSION offline_join UPDATE.")));
}

/* Forgets inboxes whose table was dropped. */
static void
oj_inbox_registry_prune(void)
{
	int			rc;

	oj_inbox_registry_required();
	SPI_connect();
	rc = SPI_execute("DELETE FROM offline_join.inboxes i WHERE NOT EXISTS"
					 " (SELECT FROM pg_catalog.pg_class c"
					 "   WHERE c.oid OPERATOR(pg_catalog.=) i.inbox::pg_catalog.oid)",
					 false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "reading offline_join.inboxes failed: %s", SPI_result_code_string(rc));
	SPI_finish();
}

/* Runs a one-text-result query of the registry with one argument; NULL when no row. */
static char *
oj_inbox_registry_get(const char *sql, Oid argtype, Datum arg)
{
	MemoryContext outer = CurrentMemoryContext;
	char	   *result = NULL;
	int			rc;

	oj_inbox_registry_required();
	SPI_connect();
	rc = SPI_execute_with_args(sql, 1, &argtype, &arg, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading offline_join.inboxes failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		result = v ? MemoryContextStrdup(outer, v) : NULL;
	}
	SPI_finish();
	return result;
}

/* The inbox (as regclass text) of a source, or NULL. */
static char *
oj_inbox_of_source(const char *source)
{
	return oj_inbox_registry_get("SELECT inbox::pg_catalog.text FROM offline_join.inboxes"
								 " WHERE source OPERATOR(pg_catalog.=) $1",
								 TEXTOID, CStringGetTextDatum(source));
}

/* The source whose inbox relid is, or NULL when it is no inbox. */
static char *
oj_inbox_source(Oid relid)
{
	return oj_inbox_registry_get("SELECT source FROM offline_join.inboxes"
								 " WHERE inbox::pg_catalog.oid OPERATOR(pg_catalog.=) $1",
								 OIDOID, ObjectIdGetDatum(relid));
}

/* 'a', 'b': names quoted as SQL literals, for a hint. */
static char *
oj_inbox_quoted_names(List *names)
{
	StringInfoData s;
	ListCell   *lc;

	initStringInfo(&s);
	foreach(lc, names)
		appendStringInfo(&s, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
						 quote_literal_cstr(lfirst(lc)));
	return s.data;
}

/*
 * The header names a statement may give an inbox of a format read by name
 * (csv with a header): columns, the file's columns in order, which must
 * hold every mapped one.  ERROR naming the first problem.
 */
static List *
oj_inbox_file_columns(OjSource *src, ArrayType *columns)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *names = NIL;
	List	   *mapped = oj_inbox_headers(src, 0);
	ListCell   *lc;

	if (src->format->inbox_header != OJ_INBOX_BY_NAME)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("columns applies only to sources whose files name their columns in a header; source \"%s\" is of format %s%s",
						src->name, src->format->name, src->format->header ? "" : " without a header")));
	deconstruct_array(columns, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *name = nulls[i] ? NULL : TextDatumGetCString(elems[i]);

		if (name == NULL || name[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("columns must name every column of the file; element %d is %s",
							i + 1, name == NULL ? "null" : "empty")));
		foreach(lc, names)
			if (strcmp(oj_inbox_column(lfirst(lc)), oj_inbox_column(name)) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("columns \"%s\" and \"%s\" would both be inbox column \"%s\"",
								(char *) lfirst(lc), name, oj_inbox_column(name))));
		names = lappend(names, name);
	}
	foreach(lc, mapped)
	{
		ListCell   *lc2;
		int			exact = 0,
					caseless = 0;

		/* as load() finds a mapped column: by its name, else by the one that differs in case only */
		foreach(lc2, names)
		{
			exact += strcmp(lfirst(lc), lfirst(lc2)) == 0;
			caseless += pg_strcasecmp(lfirst(lc), lfirst(lc2)) == 0;
		}
		if (exact == 0 && caseless != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("columns lacks \"%s\", which source \"%s\" maps in option \"columns\"",
							(char *) lfirst(lc), src->name),
					 errhint("List every column of the file, in its order.")));
	}
	return names;
}

/*
 * create_inbox(source, transaction_attrs DEFAULT NULL, columns DEFAULT NULL)
 * RETURNS regclass
 *
 * transaction_attrs (rmc only, default 1) is the number of EventTransaction
 * Attr columns; columns (a source read by header names) are the file's
 * columns, mapped or not, in order, so that COPY ... HEADER takes the
 * file as it is.  Without them the inbox has the mapped columns.
 */
Datum
oj_create_inbox(PG_FUNCTION_ARGS)
{
	OjSource   *src;
	int			txn_attrs = 1;
	char	   *table;
	StringInfoData sql;
	List	   *headers;
	ListCell   *lc;
	Oid			relid;
	int			rc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be null")));
	src = oj_source_get(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (!PG_ARGISNULL(1))
	{
		txn_attrs = PG_GETARG_INT32(1);
		if (!src->format->inbox_extra)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("transaction_attrs applies only to sources of format %s; source \"%s\" is %s",
							oj_format_extra_names(), src->name, src->format->name)));
		if (txn_attrs < 0 || txn_attrs > 1000)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("transaction_attrs must be between 0 and 1000, not %d", txn_attrs)));
	}
	table = psprintf("inbox_%s", src->name);
	oj_inbox_registry_prune();
	{
		char	   *existing = oj_inbox_of_source(src->name);

		if (existing != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("source \"%s\" already has inbox %s", src->name, existing),
					 errhint("Drop it first to create it with other columns: DROP TABLE %s.", existing)));
	}
	if (OidIsValid(get_relname_relid(table, get_namespace_oid(OJ_SCHEMA, false))))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s.%s\" already exists", OJ_SCHEMA, table),
				 errdetail("It is not an inbox made by offline_join.create_inbox()."),
				 errhint("Rename or drop it, then create the inbox.")));

	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
		headers = oj_inbox_file_columns(src, PG_GETARG_ARRAYTYPE_P(2));
	else if (src->format->inbox_header == OJ_INBOX_BY_NAME)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("create_inbox() needs the file's columns for source \"%s\"", src->name),
				 errdetail("Its files name their columns in a header; COPY ... HEADER reads a file's columns by position, so the inbox must have them all, in the file's order, and the source's options do not say that order."),
				 errhint("Give them, such as offline_join.create_inbox('%s', columns => ARRAY[%s]).",
						 src->name, oj_inbox_quoted_names(oj_inbox_headers(src, 0)))));
	else
		headers = oj_inbox_headers(src, txn_attrs);
	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s.%s (", OJ_SCHEMA, quote_identifier(table));
	foreach(lc, headers)
		appendStringInfo(&sql, "%s%s text", foreach_current_index(lc) > 0 ? ", " : "",
						 quote_identifier(oj_inbox_column(lfirst(lc))));
	appendStringInfoString(&sql, ")");
	/* keeps nothing: the row trigger hands the executor the loaded rows to count */
	if (OidIsValid(get_table_am_oid("offline_join_inbox", true)))
		appendStringInfoString(&sql, " USING offline_join_inbox");
	appendStringInfoString(&sql, ";");
	appendStringInfo(&sql,
					 "COMMENT ON TABLE %s.%s IS %s;"
					 "CREATE TRIGGER inbox_start BEFORE INSERT ON %s.%s"
					 " FOR EACH STATEMENT EXECUTE FUNCTION offline_join.inbox_start(%s);"
					 "CREATE TRIGGER inbox_route BEFORE INSERT ON %s.%s"
					 " FOR EACH ROW EXECUTE FUNCTION offline_join.inbox_route(%s);"
					 "CREATE TRIGGER inbox_finish AFTER INSERT ON %s.%s"
					 " FOR EACH STATEMENT EXECUTE FUNCTION offline_join.inbox_finish(%s);",
					 OJ_SCHEMA, quote_identifier(table),
					 quote_literal_cstr(psprintf("COPY rows of source %s here: each is validated into "
												 "offline_join.events or offline_join.rejects; nothing stays",
												 src->name)),
					 OJ_SCHEMA, quote_identifier(table), quote_literal_cstr(src->name),
					 OJ_SCHEMA, quote_identifier(table), quote_literal_cstr(src->name),
					 OJ_SCHEMA, quote_identifier(table), quote_literal_cstr(src->name));
	SPI_connect();
	rc = SPI_execute(sql.data, false, 0);
	if (rc < 0)
		elog(ERROR, "creating inbox failed: %s", SPI_result_code_string(rc));
	relid = get_relname_relid(table, get_namespace_oid(OJ_SCHEMA, false));
	{
		/* the record the triggers check: this table is the inbox of this source */
		Datum		args[2] = {ObjectIdGetDatum(relid), CStringGetTextDatum(src->name)};

		rc = SPI_execute_with_args("INSERT INTO offline_join.inboxes (inbox, source)"
								   " VALUES ($1::pg_catalog.regclass, $2)",
								   2, (Oid[]) {OIDOID, TEXTOID}, args, NULL, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "recording inbox failed: %s", SPI_result_code_string(rc));
	}
	SPI_finish();

	/*
	 * The inbox depends on the extension (but is not part of it, so pg_dump
	 * keeps it): DROP EXTENSION names it, and CASCADE drops it rather than
	 * leaving a table without its triggers.
	 */
	{
		ObjectAddress inbox;
		ObjectAddress ext;

		ObjectAddressSet(inbox, RelationRelationId, relid);
		ObjectAddressSet(ext, ExtensionRelationId, get_extension_oid("offline_join", false));
		recordDependencyOn(&inbox, &ext, DEPENDENCY_NORMAL);
	}
	PG_RETURN_OID(relid);
}

/* Forgets runs whose (sub)transaction ended without their statement's end. */
static void
oj_inbox_subxact_cb(SubXactEvent event, SubTransactionId mySubid,
					SubTransactionId parentSubid, void *arg)
{
	OjInboxRun **p = &oj_inbox_runs;

	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	while (*p)
	{
		if ((*p)->subid == mySubid)
			*p = (*p)->next;	/* its memory went with the subtransaction */
		else
			p = &(*p)->next;
	}
}

/*
 * A statement's rows are written when its inbox_finish trigger flushes them;
 * a run still open at commit would lose them, so the commit fails instead.
 * (inbox_route() refuses to start without an inbox_finish that will fire.)
 */
static void
oj_inbox_xact_cb(XactEvent event, void *arg)
{
	if ((event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT ||
		 event == XACT_EVENT_PRE_PREPARE) && oj_inbox_runs != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("rows sent to inbox \"%s\" were not finished by its inbox_finish trigger",
						get_rel_name(oj_inbox_runs->relid)),
				 errdetail("Nothing of that statement is kept.")));
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		oj_inbox_runs = NULL;
}

/* The run of the statement into relid under way, or NULL. */
static OjInboxRun *
oj_inbox_find(Oid relid)
{
	OjInboxRun *r;

	for (r = oj_inbox_runs; r; r = r->next)
		if (r->relid == relid && r->xid == GetTopTransactionIdIfAny())
			return r;
	return NULL;
}

/* Forgets a run (its memory goes with its transaction). */
static void
oj_inbox_forget(OjInboxRun *r)
{
	OjInboxRun **p;

	for (p = &oj_inbox_runs; *p; p = &(*p)->next)
		if (*p == r)
		{
			*p = r->next;
			return;
		}
}

/* The COPY statement into rel feeding this trigger, if it is a COPY: *cs, else NULL. */
static const OjCopyState *
oj_current_copy(Relation rel, OjCopyState *cs)
{
	return oj_copy_state(rel, cs) ? cs : NULL;
}

/* Rebuilds a row as a line of the file, for the raw column of a reject. */
static void
oj_inbox_raw(void *arg, const OjRecord *rec, const char **raw, size_t *len)
{
	OjInboxRun *r = arg;
	const OjDialectSpec *d = &r->src->format->dialect;
	int			i;

	resetStringInfo(&r->raw);
	for (i = 0; i < rec->nfields; i++)
	{
		const OjField *f = &rec->fields[i];

		if (i > 0)
			appendStringInfoChar(&r->raw, d->delimiter);
		if (d->quote != '\0' &&
			(memchr(f->data, d->delimiter, f->len) || memchr(f->data, d->quote, f->len) ||
			 memchr(f->data, '\n', f->len) || memchr(f->data, '\r', f->len)))
		{
			size_t		j;

			appendStringInfoChar(&r->raw, d->quote);
			for (j = 0; j < f->len; j++)
			{
				if (f->data[j] == d->quote)
					appendStringInfoChar(&r->raw, d->quote);
				appendStringInfoChar(&r->raw, f->data[j]);
			}
			appendStringInfoChar(&r->raw, d->quote);
		}
		else
			appendBinaryStringInfo(&r->raw, f->data, f->len);
	}
	*raw = r->raw.data;
	*len = r->raw.len;
}

/* Does a trigger with this tgenabled fire under the current session_replication_role? */
static bool
oj_trigger_fires(char tgenabled)
{
	if (tgenabled == TRIGGER_DISABLED)
		return false;
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
		return tgenabled == TRIGGER_FIRES_ON_REPLICA || tgenabled == TRIGGER_FIRES_ALWAYS;
	return tgenabled == TRIGGER_FIRES_ON_ORIGIN || tgenabled == TRIGGER_FIRES_ALWAYS;
}

/* Does rel have an enabled trigger of function fn, of this type, for source? */
static bool
oj_inbox_has_trigger(Relation rel, const char *fn, int16 type, const char *source)
{
	Oid			foid = LookupFuncName(list_make2(makeString(OJ_SCHEMA), makeString(pstrdup(fn))),
									  0, NULL, false);
	int			i;

	for (i = 0; rel->trigdesc != NULL && i < rel->trigdesc->numtriggers; i++)
	{
		Trigger    *t = &rel->trigdesc->triggers[i];

		if (t->tgfoid == foid && t->tgtype == type && t->tgnargs == 1 &&
			strcmp(t->tgargs[0], source) == 0 && oj_trigger_fires(t->tgenabled))
			return true;
	}
	return false;
}

/*
 * Checks what an inbox trigger fires on, before anything of it is read or
 * written, and returns the extension's owner.  The schema must be trusted
 * (the triggers write as the owner); rel must be the inbox that
 * create_inbox() recorded for this source, owned by the extension's owner
 * or a superuser.  At the start of a statement also: every column is text,
 * and the row and statement-end triggers of the same source will fire, or
 * rows would stay in the inbox or be lost.  The lookups run as the owner:
 * the caller needs no right on the schema.
 */
static Oid
oj_inbox_verify(Relation rel, const char *source, bool at_start)
{
	Oid			owner = oj_extension_owner();
	const char *relname = RelationGetRelationName(rel);
	Oid			relowner = rel->rd_rel->relowner;
	char	   *recorded = NULL;
	OjSavedUser saved;
	int			i;

	oj_check_schema_trusted(owner, "inbox trigger", OJ_WRITES_INBOX);
	oj_become(owner, &saved);
	if (rel->rd_rel->relkind == RELKIND_RELATION &&
		RelationGetNamespace(rel) == get_namespace_oid(OJ_SCHEMA, false))
		recorded = oj_inbox_source(RelationGetRelid(rel));
	if (recorded == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an inbox of offline_join", relname),
				 errdetail("The inbox triggers run only on tables made by offline_join.create_inbox()."),
				 errhint("Create an inbox with SELECT offline_join.create_inbox('source').")));
	if (strcmp(recorded, source) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("trigger on inbox \"%s\" names source \"%s\", but it is the inbox of source \"%s\"",
						relname, source, recorded)));
	if (relowner != owner && !superuser_arg(relowner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("inbox \"%s\" is owned by role \"%s\", neither a superuser nor the owner of extension offline_join",
						relname, GetUserNameFromId(relowner, false)),
				 errhint("ALTER TABLE %s.%s OWNER TO the extension's owner.", OJ_SCHEMA,
						 quote_identifier(relname))));
	if (at_start)
	{
		TupleDesc	desc = RelationGetDescr(rel);

		for (i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped && att->atttypid != TEXTOID)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" of inbox \"%s\" is of type %s, not text",
								NameStr(att->attname), relname, format_type_be(att->atttypid)),
						 errhint("Re-create the inbox with offline_join.create_inbox().")));
		}
		if (!oj_inbox_has_trigger(rel, "inbox_start", TRIGGER_TYPE_BEFORE | TRIGGER_TYPE_INSERT, source) ||
			!oj_inbox_has_trigger(rel, "inbox_route", TRIGGER_TYPE_ROW | TRIGGER_TYPE_BEFORE | TRIGGER_TYPE_INSERT,
								  source) ||
			!oj_inbox_has_trigger(rel, "inbox_finish", TRIGGER_TYPE_INSERT, source))
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("inbox \"%s\" lacks an enabled inbox_start, inbox_route or inbox_finish trigger of source \"%s\"",
							relname, source),
					 errdetail("Without them its rows would stay in the inbox, or be lost."),
					 errhint("Enable them (ALTER TABLE %s.%s ENABLE TRIGGER ...), or re-create the inbox.",
							 OJ_SCHEMA, quote_identifier(relname))));
	}
	oj_unbecome(&saved);
	return owner;
}

/*
 * The header name of each column of the inbox (r->names), matched by column
 * name (in the order create_inbox made them, so mostly at the same
 * position); ERROR on a column that is not the format's, or out of its
 * place in a format read by position.
 */
static void
oj_inbox_map_columns(OjInboxRun *r, Relation rel, TupleDesc desc)
{
	List	   *headers = oj_inbox_headers(r->src, 1000);
	int			nh = list_length(headers);
	char	  **cols = palloc(sizeof(char *) * nh);
	ListCell   *lc;
	int			k = 0;			/* the format's column an rmc inbox's next column must be */
	int			i;

	foreach(lc, headers)
		cols[foreach_current_index(lc)] = oj_inbox_column(lfirst(lc));

	for (i = 0; i < r->natts; i++)
	{
		const char *att = NameStr(TupleDescAttr(desc, i)->attname);
		int			j;
		int			at = -1;

		if (TupleDescAttr(desc, i)->attisdropped)
			continue;
		if (i < nh && strcmp(cols[i], att) == 0)
			at = i;
		else
			for (j = 0; j < nh && at < 0; j++)
				if (strcmp(cols[j], att) == 0)
					at = j;
		if (at >= 0)
			r->names[i] = list_nth(headers, at);
		else if (r->src->format->inbox_header == OJ_INBOX_BY_NAME)
			r->names[i] = pstrdup(att);	/* a column of the file the source does not map */
		/* a format read by position: the inbox's columns must be the format's, in order */
		if (at >= 0 && r->src->format->inbox_header == OJ_INBOX_BY_POSITION && at != k++)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
					 errmsg("column \"%s\" of inbox \"%s\" is column %d of format %s, but column %d of the inbox",
							att, RelationGetRelationName(rel), at + 1, r->src->format->name, k),
					 errdetail("Format %s reads its columns by position; the inbox's columns must be the format's first ones, in their order%s.",
							   r->src->format->name, at > k - 1 ? ", with none left out" : ""),
					 errhint("Re-create the inbox with offline_join.create_inbox().")));
		if (r->names[i] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
					 errmsg("column \"%s\" of inbox \"%s\" is not a column of format %s",
							att, RelationGetRelationName(rel), r->src->format->name),
					 errhint("Re-create the inbox with offline_join.create_inbox().")));
	}
}

/*
 * Starts the run of a statement: what the caller may be told, then as the
 * owner the source, ledger id, pipeline and layout (rmc).
 */
static OjInboxRun *
oj_inbox_start(Relation rel, const char *source)
{
	Oid			owner = oj_inbox_verify(rel, source, true);
	Oid			invoker = GetUserId();
	MemoryContext old;
	OjInboxRun *r;
	TupleDesc	desc = RelationGetDescr(rel);
	OjSavedUser saved;
	int			i;

	if (oj_inbox_find(RelationGetRelid(rel)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("a statement into inbox \"%s\" is already under way in this transaction",
						RelationGetRelationName(rel)),
				 errdetail("This statement runs inside it (in a function or trigger it calls); one inbox takes one statement at a time."),
				 errhint("Send the rows in a statement of their own.")));

	old = MemoryContextSwitchTo(CurTransactionContext);
	r = palloc0(sizeof(OjInboxRun));
	if (!oj_inbox_callbacks)
	{
		RegisterXactCallback(oj_inbox_xact_cb, NULL);
		RegisterSubXactCallback(oj_inbox_subxact_cb, NULL);
		oj_inbox_callbacks = true;
	}
	r->relid = RelationGetRelid(rel);
	r->xid = GetTopTransactionId();
	r->subid = GetCurrentSubTransactionId();
	r->invoker = invoker;
	r->owner = owner;
	r->show_matched = oj_role_can_select(invoker, "events") ||
		(oj_role_can_select(invoker, "sessions") && oj_role_can_select(invoker, "transactions"));
	r->show_rejects = oj_role_can_select(invoker, "rejects");
	r->reads_written[0] = oj_role_can_select(invoker, "events");
	r->reads_written[1] = r->show_rejects;
	r->reads_written[2] = oj_role_can_select(invoker, "loads");
	r->invoker_name = pstrdup(GetUserNameFromId(invoker, false));

	oj_inbox_refuse_temp_objects(rel);
	r->pin_path = oj_owner_writes_need_pinned_rows();
	oj_become(owner, &saved);
	/* as the owner, whose connections write the rows */
	oj_citus_check_nodes("COPY into an inbox",
						 "Start the node, then send the rows again: nothing of this statement was kept.");
	r->src = oj_source_get(source);
	if ((r->src->require_known_product || r->src->has_tolerance) &&
		!oj_role_can_select(invoker, "products"))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table products"),
				 errdetail("Source \"%s\" checks rows against %s.products (option %s); its rejects would tell role \"%s\" what that table holds.",
						   r->src->name, OJ_SCHEMA,
						   r->src->require_known_product ? "require_known_product" : "total_tolerance",
						   GetUserNameFromId(invoker, false)),
				 errhint("GRANT SELECT ON %s.products TO %s.", OJ_SCHEMA,
						 quote_identifier(GetUserNameFromId(invoker, false)))));
	r->started_at = GetCurrentTimestamp();
	{
		/* COPY may name itself only with its rows */
		OjCopyState cs;

		r->from_copy = oj_copy_state(rel, &cs);
	}
	r->natts = desc->natts;
	r->names = palloc0(sizeof(char *) * r->natts);
	r->present = palloc0(sizeof(bool) * r->natts);
	r->values = palloc(sizeof(Datum) * r->natts);
	r->nulls = palloc(sizeof(bool) * r->natts);
	r->fields = palloc(sizeof(OjField) * r->natts);
	initStringInfo(&r->raw);

	oj_inbox_map_columns(r, rel, desc);

	r->load_id = nextval_internal(oj_relation_oid("loads_load_id_seq"), false);
	r->progress = oj_progress_begin_inbox(r->relid, r->src->name, invoker);
	oj_progress_load_id(r->load_id);
	r->in = oj_ingest_begin(r->src, r->load_id, "inbox COPY", false, NULL, NULL);
	r->pin_path |= oj_ingest_runs_sql(r->in);
	oj_ingest_set_raw_maker(r->in, oj_inbox_raw, r);
	if (r->src->format->inbox_header == OJ_INBOX_BY_POSITION)
	{
		OjRecord	hdr;
		int			n = 0;

		memset(&hdr, 0, sizeof(hdr));
		for (i = 0; i < r->natts; i++)
			if (r->names[i])
			{
				r->fields[n].data = r->names[i];
				r->fields[n].len = strlen(r->names[i]);
				r->present[i] = true;
				n++;
			}
		hdr.nfields = n;
		hdr.fields = r->fields;
		hdr.line_no = 1;
		oj_ingest_header(r->in, &hdr);
	}
	oj_unbecome(&saved);
	r->next = oj_inbox_runs;
	oj_inbox_runs = r;
	MemoryContextSwitchTo(old);
	return r;
}

/*
 * Adobe: the statement's columns make the header: a COPY's column list, or
 * the columns the first row of an INSERT fills.
 */
static void
oj_inbox_adobe_header(OjInboxRun *r, const OjCopyState *copy)
{
	MemoryContext old = MemoryContextSwitchTo(CurTransactionContext);
	OjRecord	hdr;
	int			i;
	int			n = 0;

	memset(&hdr, 0, sizeof(hdr));
	for (i = 0; i < r->natts; i++)
		if (r->names[i] && (copy != NULL ? list_member_int(copy->attnums, i + 1) :
							!r->nulls[i] || r->src->format->inbox_header == OJ_INBOX_BY_NAME))
		{
			r->present[i] = true;
			r->fields[n].data = r->names[i];
			r->fields[n].len = strlen(r->names[i]);
			n++;
		}
	hdr.nfields = n;
	hdr.fields = r->fields;
	hdr.line_no = 1;
	oj_ingest_header(r->in, &hdr);
	MemoryContextSwitchTo(old);
}

/* The three inbox triggers. */
typedef enum OjInboxTrigger
{
	OJ_INBOX_START,				/* BEFORE INSERT FOR EACH STATEMENT */
	OJ_INBOX_ROUTE,				/* BEFORE INSERT FOR EACH ROW */
	OJ_INBOX_FINISH				/* AFTER INSERT FOR EACH STATEMENT */
} OjInboxTrigger;

/* ERROR unless this call is the trigger event an inbox function is made for. */
static void
oj_inbox_check_call(FunctionCallInfo fcinfo, OjInboxTrigger which)
{
	static const char *const names[] = {"inbox_start", "inbox_route", "inbox_finish"};
	static const char *const kinds[] = {"a BEFORE INSERT statement", "a BEFORE INSERT row",
	"an AFTER INSERT statement"};
	TriggerData *td = (TriggerData *) fcinfo->context;
	bool		ok;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() can only be called as a trigger of an inbox", names[which])));
	ok = TRIGGER_FIRED_BY_INSERT(td->tg_event) &&
		(which == OJ_INBOX_FINISH ? TRIGGER_FIRED_AFTER(td->tg_event) : TRIGGER_FIRED_BEFORE(td->tg_event)) &&
		(which == OJ_INBOX_ROUTE ? TRIGGER_FIRED_FOR_ROW(td->tg_event) : TRIGGER_FIRED_FOR_STATEMENT(td->tg_event));
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must be %s trigger, not fired on \"%s\" as it is",
						names[which], kinds[which], RelationGetRelationName(td->tg_relation))));
	if (td->tg_trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on \"%s\" must give %s() one argument, the source",
						td->tg_trigger->tgname, RelationGetRelationName(td->tg_relation), names[which])));
}

/* The run of this trigger's statement; ERROR when inbox_start did not begin one. */
static OjInboxRun *
oj_inbox_current(TriggerData *td)
{
	OjInboxRun *r = oj_inbox_find(RelationGetRelid(td->tg_relation));

	if (r == NULL || strcmp(r->src->name, td->tg_trigger->tgargs[0]) != 0)
	{
		/* say precisely what is wrong with the table, if anything (the error unpins) */
		(void) oj_pin_search_path();
		(void) oj_inbox_verify(td->tg_relation, td->tg_trigger->tgargs[0], true);
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("no statement into inbox \"%s\" of source \"%s\" was started by its inbox_start trigger",
						RelationGetRelationName(td->tg_relation), td->tg_trigger->tgargs[0]),
				 errhint("Enable the trigger (ALTER TABLE %s.%s ENABLE TRIGGER inbox_start), or re-create the inbox.",
						 OJ_SCHEMA, quote_identifier(RelationGetRelationName(td->tg_relation)))));
	}
	return r;
}

/*
 * ERROR for COPY ... WHERE: the rows its condition drops never reach the
 * inbox, which could then neither account for every row of the file nor
 * number its lines as load() does.
 */
static void
oj_inbox_where_error(const char *inbox)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("COPY into inbox \"%s\" cannot have a WHERE clause", inbox),
			 errdetail("The rows it leaves out would never reach offline_join: neither counted, nor rejected, nor numbered."),
			 errhint("Send the whole file, or filter it before sending it.")));
}

/*
 * ERROR for COPY options that would keep rows or values from the inbox
 * unseen: WHERE, and a NULL string other than the format's.  Once per
 * statement, at its first row (COPY does not show itself before).
 */
static void
oj_inbox_check_copy(OjInboxRun *r, const OjCopyState *copy)
{
	const char *null_default;

	if (copy == NULL || r->copy_checked)
		return;
	r->copy_checked = true;
	oj_progress_path(copy->filename);
	if (copy->has_where)
		oj_inbox_where_error(get_rel_name(r->relid));
	/* a value equal to COPY's NULL string arrives as no value at all */
	null_default = copy->csv ? "" : "\\N";
	if (!copy->binary && copy->null_print != NULL &&
		strcmp(copy->null_print, null_default) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("COPY into inbox \"%s\" cannot have NULL '%s'", get_rel_name(r->relid),
						copy->null_print),
				 errdetail("A value equal to it would reach offline_join as no value, where load() reads the value itself."),
				 errhint("Leave out the NULL option.")));
}

/*
 * At the start of the statement, before COPY shows itself to the row
 * trigger: ERROR when the statement the client sent is a COPY into rel
 * with a WHERE clause (a COPY run by a function is caught at its first
 * row instead).
 */
static void
oj_inbox_refuse_portal_where(Relation rel)
{
	ListCell   *lc;

	if (ActivePortal == NULL)
		return;
	foreach(lc, ActivePortal->stmts)
	{
		PlannedStmt *ps = lfirst_node(PlannedStmt, lc);
		CopyStmt   *cs;

		if (ps->commandType != CMD_UTILITY || !IsA(ps->utilityStmt, CopyStmt))
			continue;
		cs = (CopyStmt *) ps->utilityStmt;
		if (cs->is_from && cs->whereClause != NULL && cs->relation != NULL &&
			RangeVarGetRelid(cs->relation, NoLock, true) == RelationGetRelid(rel))
			oj_inbox_where_error(RelationGetRelationName(rel));
	}
}

/*
 * ERROR when the tables the inbox writes run functions of their own (a
 * trigger's, a constraint's: oj_owner_writes_run_user_code()) and this
 * session has temporary tables or types: such a function, run as the
 * owner here, would find a temporary table named like one it uses before
 * that table (pg_temp comes first in any search_path that does not name
 * it), and the sender's trigger on it would run as the owner.
 */
static void
oj_inbox_refuse_temp_objects(Relation rel)
{
	Oid			temp_nsp, temp_toast;
	bool		isnull;
	bool		found = false;
	int			rc;

	if (!oj_owner_writes_run_user_code())
		return;
	GetTempNamespaceState(&temp_nsp, &temp_toast);
	if (!OidIsValid(temp_nsp))
		return;
	SPI_connect();
	rc = SPI_execute_with_args("SELECT EXISTS (SELECT FROM pg_catalog.pg_class WHERE relnamespace OPERATOR(pg_catalog.=) $1)"
							   "    OR EXISTS (SELECT FROM pg_catalog.pg_type WHERE typnamespace OPERATOR(pg_catalog.=) $1)",
							   1, (Oid[]) {OIDOID}, (Datum[]) {ObjectIdGetDatum(temp_nsp)}, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading pg_class failed: %s", SPI_result_code_string(rc));
	found = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (found)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("inbox \"%s\" takes no rows from a session with temporary tables or types while the tables it writes run functions of their own",
						RelationGetRelationName(rel)),
				 errdetail("The inbox writes as the extension's owner; a function of a trigger or constraint of those tables, run here, would find this session's temporary table before a table of the same name that it means."),
				 errhint("Send the rows from a session without temporary tables, or drop them first (DISCARD TEMP).")));
}

/*
 * BEFORE INSERT statement trigger: checks the inbox and starts the run of
 * the statement.  Every statement has its own run; a statement into the
 * inbox nested in another one into it is refused.
 */
Datum
oj_inbox_begin(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	oj_inbox_check_call(fcinfo, OJ_INBOX_START);
	(void) oj_tables_writer("COPY into an inbox");
	oj_inbox_refuse_portal_where(td->tg_relation);
	(void) oj_inbox_start(td->tg_relation, td->tg_trigger->tgargs[0]);
	return PointerGetDatum(NULL);
}

/*
 * The physical line of the file where the record COPY is handing us starts,
 * counted as load() counts it: a line ends at "\n", "\r\n" or a lone "\r",
 * in quoted values too.  COPY's own line counter cannot tell this: inside
 * quotes it counts only its line end's last character, and an escaped
 * newline of the text format is no line at all.  So the records are
 * counted here, from the line the first one starts on (2 after a HEADER
 * line), each taking one line plus the line ends inside its raw text,
 * which COPY keeps in line_buf (its line end stripped).  COPY reads every
 * line into a record or fails, so no line is skipped between two records.
 * Rows of INSERT, and of COPY's binary format, are numbered 1, 2, ...
 */
static int64
oj_inbox_line(OjInboxRun *r, const OjCopyState *copy)
{
	const char *p;
	const char *end;
	int64		line;

	if (copy == NULL || !copy->line_valid)
		return oj_ingest_counts(r->in).total + 1;
	if (r->next_line == 0)
		r->next_line = copy->header ? 2 : 1;
	line = r->next_line++;
	end = copy->line + copy->line_len;
	for (p = copy->line; (p = memchr(p, '\n', end - p)) != NULL; p++)
		r->next_line++;
	for (p = copy->line; (p = memchr(p, '\r', end - p)) != NULL; p++)
		r->next_line += (p + 1 == end || p[1] != '\n');
	return line;
}

/*
 * Rethrows the error being handled, raised while the inbox acted as the
 * owner, without what the owner may read and the sender may not:
 * PostgreSQL's constraint errors show the failing row or key with the
 * columns the current user may SELECT, and the current user was the
 * owner (a matched row's visitor, session and snapshot, say).  The detail
 * stays when the sender may read the whole table the error names, as it
 * would have seen it writing the row itself.
 */
static void
oj_inbox_rethrow(OjInboxRun *r)
{
	static const char *const written[] = {"events", "rejects", "loads"};
	ErrorData  *edata;
	bool		keep = false;

	/* no catalog access here: the failed transaction is not yet aborted */
	MemoryContextSwitchTo(CurTransactionContext);
	edata = CopyErrorData();
	FlushErrorState();
	if (edata->detail != NULL && edata->table_name != NULL && r->invoker != r->owner)
	{
		for (int i = 0; i < lengthof(written); i++)
			if (edata->schema_name != NULL && strcmp(edata->schema_name, OJ_SCHEMA) == 0 &&
				strcmp(edata->table_name, written[i]) == 0)
				keep = r->reads_written[i];
		if (!keep)
			edata->detail = psprintf("The row's values are not shown: role \"%s\" may not read all of table \"%s\".",
									 r->invoker_name, edata->table_name);
	}
	ReThrowError(edata);
}

/*
 * Why an rmc record of COPY's CSV format breaks RFC 4180's quoting as
 * load() reads it (a quote inside an unquoted field, or anything but the
 * delimiter after a closing quote), or NULL.  COPY itself takes both,
 * dropping the quotes.  raw is the record as COPY read it (line_buf);
 * a quote left open is COPY's own error.
 */
static const char *
oj_inbox_bad_quoting(const char *p, size_t len, char delim, char quote)
{
	const char *end = p + len;

	for (;;)
	{
		if (p < end && *p == quote)
		{
			for (p++;; p++)
			{
				if (p >= end)
					return NULL;
				if (*p == quote && p + 1 < end && p[1] == quote)
					p++;
				else if (*p == quote)
					break;
			}
			p++;
			if (p < end && *p != delim)
				return "unexpected character after the closing quote of a field";
		}
		else
			for (; p < end && *p != delim; p++)
				if (*p == quote)
					return "unexpected quote inside an unquoted field";
		if (p >= end)
			return NULL;
		p++;					/* the delimiter */
	}
}

/* rec made a too_long error record, as the reader makes one of a record over its cap. */
static void
oj_inbox_too_long(OjInboxRun *r, OjRecord *rec)
{
	rec->error = OJ_R_TOO_LONG;
	rec->error_message = psprintf("%s is longer than %d bytes",
								  r->src->format->dialect.quote != '\0' ? "record" : "line",
								  OJ_MAX_RECORD_BYTES);
	rec->nfields = 0;
	rec->fields = NULL;
}

/* Does COPY's record, line line of the file, open it with a byte order mark? */
static bool
oj_inbox_opens_with_bom(const OjCopyState *copy, int64 line)
{
	return line == 1 && copy != NULL && copy->line_valid &&
		copy->line_len >= 3 && memcmp(copy->line, "\xEF\xBB\xBF", 3) == 0;
}

/*
 * The record's text as COPY read it (its line end stripped), for the checks
 * load() makes on the raw record and for a reject's raw column: a record
 * over the reader's cap is too_long, an rmc record with quoting load()
 * refuses is a parse reject, and an Adobe row is measured.  A byte order
 * mark opening a file without a header is skipped, as load() skips it.
 */
static void
oj_inbox_raw_record(OjInboxRun *r, const OjCopyState *copy, OjRecord *rec)
{
	const char *raw = copy->line;
	size_t		len = copy->line_len;
	const char *why;
	char		quote = r->src->format->dialect.quote;

	if (oj_inbox_opens_with_bom(copy, rec->line_no))
	{
		raw += 3;
		len -= 3;
	}
	rec->raw = raw;
	rec->raw_len = len;
	if (len > OJ_MAX_RECORD_BYTES)
	{
		oj_inbox_too_long(r, rec);
		rec->raw_len = OJ_MAX_RAW_KEEP;
		return;
	}
	if (quote != '\0' && copy->csv && copy->quote == quote && copy->escape == quote &&
		(why = oj_inbox_bad_quoting(raw, len, copy->delimiter, quote)) != NULL)
	{
		rec->error = OJ_R_PARSE;
		rec->error_message = why;
		rec->nfields = 0;
		rec->fields = NULL;
	}
}

/*
 * A row with no text of its own (INSERT, COPY's binary format): measured
 * as the line load() would read, its fields and their delimiters, so that
 * the length rules hold for it too (raw stays NULL: a reject's raw is the
 * line rebuilt from the fields).
 */
static void
oj_inbox_measure(OjInboxRun *r, OjRecord *rec)
{
	size_t		len = rec->nfields > 0 ? rec->nfields - 1 : 0;

	for (int i = 0; i < rec->nfields; i++)
		len += rec->fields[i].len;
	rec->raw_len = len;
	if (len > OJ_MAX_RECORD_BYTES)
		oj_inbox_too_long(r, rec);
}

/* The row trigger's work, as the owner: the row validated and routed; *rec its record. */
static void
oj_inbox_route_row(OjInboxRun *r, TriggerData *td, OjRecord *rec)
{
	OjCopyState cs;
	const OjCopyState *copy = oj_current_copy(td->tg_relation, &cs);
	int			n = 0;
	bool		misshapen = false;
	int64		line;
	bool		bom;

	r->from_copy |= copy != NULL;
	oj_inbox_check_copy(r, copy);
	line = oj_inbox_line(r, copy);
	bom = oj_inbox_opens_with_bom(copy, line);
	heap_deform_tuple(td->tg_trigtuple, RelationGetDescr(td->tg_relation), r->values, r->nulls);
	if (!oj_ingest_layout_ready(r->in))
		oj_inbox_adobe_header(r, copy);

	for (int i = 0; i < r->natts; i++)
	{
		if (!r->present[i])
		{
			misshapen |= (r->names[i] != NULL && !r->nulls[i]);
			continue;
		}
		if (r->nulls[i])
		{
			/* an empty field: COPY's CSV format reads an unquoted one as NULL */
			r->fields[n].data = "";
			r->fields[n].len = 0;
		}
		else
		{
			text	   *t = DatumGetTextPP(r->values[i]);

			r->fields[n].data = VARDATA_ANY(t);
			r->fields[n].len = VARSIZE_ANY_EXHDR(t);
			/* the first field of the file, after a byte order mark (no header) */
			if (bom && copy->attnums != NIL && linitial_int(copy->attnums) == i + 1 &&
				r->fields[n].len >= 3 && memcmp(r->fields[n].data, "\xEF\xBB\xBF", 3) == 0)
			{
				r->fields[n].data += 3;
				r->fields[n].len -= 3;
			}
		}
		n++;
	}

	memset(rec, 0, sizeof(*rec));
	rec->fields = r->fields;
	rec->nfields = n;
	rec->line_no = line;
	if (misshapen)
	{
		rec->error = OJ_R_COLUMNS;
		rec->error_message = "row fills other columns than the first row of this statement";
		rec->nfields = 0;
		rec->fields = NULL;
		rec->raw = "";
	}
	else if (copy != NULL && copy->line_valid)
		oj_inbox_raw_record(r, copy, rec);
	else
		oj_inbox_measure(r, rec);
	oj_ingest_record(r->in, rec);
}

/*
 * BEFORE INSERT row trigger: validates and routes the row; returns it when
 * loaded (inbox_am.c).
 *
 * Unlike the statement triggers, inbox_route() has no SET search_path
 * clause: fmgr would make a GUC nest level for every row, a tenth of the
 * time of a COPY.  A row is routed by C code that resolves no name (the
 * run opened every relation, index, conversion and time zone when it
 * started; the indexes it probes compare with built-in operator classes,
 * oj_index_open()).  The executor code it runs as the owner per row, the
 * CHECK constraints, are the extension's own; a batch's index insertions
 * pin the path themselves (oj_bulk_flush()); AFTER triggers fire at the
 * statement's end, under inbox_finish()'s clause.  When the tables
 * written run a function of their own or a CHECK the site added, or
 * matching runs SQL (r->pin_path), and for the first row, which may read
 * the statement's header, the row is routed under the pinned search_path.
 */
Datum
oj_inbox_route(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	OjInboxRun *r;
	OjIngestCounts counts;
	OjRecord	rec;
	OjSavedUser saved;
	int64		loaded_before;
	volatile int pinned = -1;

	oj_inbox_check_call(fcinfo, OJ_INBOX_ROUTE);
	r = oj_inbox_current(td);
	loaded_before = oj_ingest_counts(r->in).loaded;

	/* every column was checked to be text when the statement's run started */
	if (r->pin_path || oj_ingest_counts(r->in).total == 0)
		pinned = oj_pin_search_path();
	oj_become(r->owner, &saved);
	PG_TRY();
	{
		oj_inbox_route_row(r, td, &rec);
	}
	PG_CATCH();
	{
		oj_inbox_rethrow(r);
	}
	PG_END_TRY();
	oj_unbecome(&saved);
	if (pinned >= 0)
		oj_unpin_search_path(pinned);
	counts = oj_ingest_counts(r->in);
	if (r->from_copy && counts.total % 4096 == 0)
	{
		/* COPY counts no row a trigger kept out: report ours in its progress row */
		const int	index[] = {PROGRESS_COPY_TUPLES_PROCESSED, PROGRESS_COPY_TUPLES_EXCLUDED};
		int64		value[] = {counts.loaded, counts.rejected};

		pgstat_progress_update_multi_param(2, index, value);
	}
	if (counts.total % 4096 == 0)
		oj_progress_inbox_rows(counts.total, counts.rejected);
	if (oj_ingest_over_limit(r->in))
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("more than %lld rows rejected (reject_limit of source \"%s\"): nothing of this COPY is kept",
						(long long) r->src->reject_limit, r->src->name),
				 errdetail("Line %lld was reject %lld.", (long long) rec.line_no,
						   (long long) counts.rejected),
				 errhint("Check the file first with offline_join.validate_file(), or raise the source's reject_limit.")));
	/* the row when it was loaded into events, for COPY and INSERT to count it */
	return oj_inbox_am_row_result(td->tg_relation, td->tg_trigtuple, counts.loaded > loaded_before);
}

/* The statement's last rows written and its ledger row (*l, counts filled), as the owner. */
static void
oj_inbox_end_as_owner(OjInboxRun *r, OjLedger *l)
{
	OjIngestCounts c;

	oj_ingest_end(r->in);
	c = oj_ingest_counts(r->in);
	l->rows_total = c.total;
	l->rows_loaded = c.loaded;
	l->rows_rejected = c.rejected;
	l->rows_matched = c.matched;
	(void) oj_ledger_write(l, NULL);
}

/*
 * AFTER INSERT statement trigger: flushes and writes the statement's ledger
 * row, then tells the caller what its privileges let it know.
 */
Datum
oj_inbox_finish(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	OjInboxRun *r;
	OjLedger	l;
	OjSavedUser saved;
	StringInfoData counts;

	oj_inbox_check_call(fcinfo, OJ_INBOX_FINISH);
	r = oj_inbox_current(td);
	oj_inbox_forget(r);			/* whatever happens next, this run is over */
	{
		OjCopyState cs;

		r->from_copy |= oj_copy_state(td->tg_relation, &cs);
	}
	memset(&l, 0, sizeof(l));
	l.bytes = -1;
	l.status = "loaded";
	l.load_id = r->load_id;
	l.source = r->src->name;
	l.path = r->from_copy ? "COPY" : "INSERT";
	l.started_at = r->started_at;
	l.loaded_by = r->invoker;
	oj_progress_phase(OJ_PHASE_FINISHING);
	oj_progress_inbox_rows(oj_ingest_counts(r->in).total, oj_ingest_counts(r->in).rejected);
	oj_become(r->owner, &saved);
	PG_TRY();
	{
		oj_inbox_end_as_owner(r, &l);
	}
	PG_CATCH();
	{
		oj_inbox_rethrow(r);
	}
	PG_END_TRY();
	oj_unbecome(&saved);
	oj_progress_end(r->progress);
	oj_last_load_note(l.load_id);

	initStringInfo(&counts);
	appendStringInfo(&counts, "%lld rows, %lld loaded, %lld rejected", (long long) l.rows_total,
					 (long long) l.rows_loaded, (long long) l.rows_rejected);
	if (r->show_matched)
		appendStringInfo(&counts, ", %lld matched", (long long) l.rows_matched);
	ereport(NOTICE,
			(errmsg("load %lld (%s into inbox of source \"%s\"): %s",
					(long long) l.load_id, l.path, l.source, counts.data),
			 l.rows_rejected > 0
			 ? errhint(r->show_rejects ? "See SELECT * FROM offline_join.rejects WHERE load_id = %lld."
					   : "See SELECT * FROM offline_join.my_rejects(%lld).", (long long) l.load_id)
			 : 0));
	return PointerGetDatum(NULL);
}
