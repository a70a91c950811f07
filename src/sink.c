/*-------------------------------------------------------------------------
 *
 * sink.c
 *	  Where the writers of events and rejects (load, load_dir, inbox COPY)
 *	  put their rows.  A sink is opened on a table with the columns the
 *	  writer fills, and picks one of two paths when it opens:
 *
 *	  - direct: buffered heap inserts below the executor (bulk_insert.c),
 *	    the fast path, taken only when the table is exactly what that path
 *	    handles as COPY FROM would: a plain heap table, every column either
 *	    filled by the writer or an identity column, no row-level security,
 *	    no deferrable unique index, and no INSERT trigger but AFTER ROW and
 *	    statement ones without transition tables, which it fires as COPY
 *	    does (foreign keys among them) when the writer owns its statement
 *	    (load(); not an inbox, whose rows arrive inside the sender's COPY).
 *	    CHECK and NOT NULL constraints, unique and exclusion indexes
 *	    (partial ones included) are honoured there as COPY honours them.
 *
 *	  - executor: the rows are kept in a tuplestore (spilling to a
 *	    temporary file beyond work_mem) and written at the end by one
 *	    INSERT ... SELECT statement, so the table gets exactly what INSERT
 *	    gives by construction: defaults and generated columns, triggers
 *	    (BEFORE and AFTER, row and statement, transition tables), foreign
 *	    keys, constraints, every index, row-level security, partition
 *	    routing, any table access method.
 *
 *	  The executor path's statement reads the tuplestore through the
 *	  internal set-returning function offline_join.sink_rows(token), which
 *	  hands out the one tuplestore registered under that random token while
 *	  the statement runs, and nothing otherwise.  rematch() uses the same
 *	  for its UPDATE statement (oj_rows_execute()).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/pg_index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "port.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "rewrite/prs2lock.h"
#include "rewrite/rewriteDefine.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/reltrigger.h"
#include "utils/rls.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "ingest.h"
#include "bulk_insert.h"
#include "catalog.h"
#include "citus.h"
#include "security.h"
#include "sink.h"
#include "pg_compat.h"

PG_FUNCTION_INFO_V1(oj_sink_rows);

struct OjSink
{
	MemoryContext cxt;
	Relation	rel;
	const char *writer;			/* "load()", "inbox COPY": for messages */
	int			ncols;			/* the columns the writer fills */
	const char **names;
	Oid		   *types;
	AttrNumber *attnums;
	char	   *why;			/* why the executor path; NULL: direct */
	bool		fire_triggers;	/* direct, firing AFTER ROW and statement triggers */
	int64		nput;
	/* direct */
	OjBulk	   *bulk;
	int			natts;
	Datum	   *values;
	bool	   *nulls;
	AttrNumber	identity_att;	/* a column the writer does not fill: its sequence */
	Oid			identity_seq;
	/* executor */
	Tuplestorestate *store;
	TupleDesc	desc;
};

/*
 * Why rel is not a plain heap table, which the writers' direct paths (the
 * sink's and rematch()'s in-place rewrite) require; NULL when it is.
 */
char *
oj_not_plain_heap(Relation rel)
{
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		return psprintf("it is partitioned");
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		return psprintf("it is not a plain table");
	if (rel->rd_rel->relam != HEAP_TABLE_AM_OID)
		return psprintf("its table access method is not heap");
	return NULL;
}

/*
 * ERROR when rel has a rule on event (CMD_INSERT, CMD_UPDATE): INSERT and
 * UPDATE apply rules, COPY does not, and a writer's counts would not be the
 * rows in the table (DO INSTEAD) or its statement would be run again by the
 * rule (DO ALSO); so rather no write than one that differs from either.
 */
static char *
oj_rule_name(Oid rule_oid)
{
	Relation	catalog = table_open(RewriteRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *name;

	ScanKeyInit(&key, Anum_pg_rewrite_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(rule_oid));
	scan = systable_beginscan(catalog, RewriteOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "could not find rule %u", rule_oid);
	name = pstrdup(NameStr(((Form_pg_rewrite) GETSTRUCT(tup))->rulename));
	systable_endscan(scan);
	table_close(catalog, AccessShareLock);
	return name;
}

void
oj_refuse_rules(Relation rel, CmdType event, const char *writer)
{
	RuleLock   *rules = rel->rd_rules;

	for (int i = 0; rules != NULL && i < rules->numLocks; i++)
	{
		RewriteRule *rule = rules->rules[i];

		if (rule->event != event || rule->enabled == RULE_DISABLED)
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s does not write table \"%s.%s\": it has rule \"%s\" on %s",
						writer, get_namespace_name(RelationGetNamespace(rel)),
						RelationGetRelationName(rel), oj_rule_name(rule->ruleId),
						event == CMD_INSERT ? "INSERT" : "UPDATE"),
				 errdetail(event == CMD_INSERT
						   ? "INSERT would apply the rule and COPY would not; offline_join writes neither way rather than differ from one of them."
						   : "UPDATE would apply the rule and the in-place rewrite of rematch() would not; it writes neither way rather than differ."),
				 errhint("Use a trigger instead of the rule, or disable it: ALTER TABLE %s.%s DISABLE RULE %s.",
						 quote_identifier(get_namespace_name(RelationGetNamespace(rel))),
						 quote_identifier(RelationGetRelationName(rel)),
						 quote_identifier(oj_rule_name(rule->ruleId)))));
	}
}

/*
 * Why the direct path cannot write rel as INSERT would, or NULL when it can.
 * Refuses row-level security outright when the writer cannot apply it.
 */
static char *
oj_sink_why_executor(OjSink *s, bool allow_rls, bool own_statement)
{
	Relation	rel = s->rel;
	TupleDesc	td = RelationGetDescr(rel);
	TriggerDesc *trig = rel->trigdesc;
	List	   *indexes;
	ListCell   *lc;
	char	   *why = NULL;

	if (check_enable_rls(RelationGetRelid(rel), InvalidOid, false) == RLS_ENABLED)
	{
		if (!allow_rls)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s does not apply row-level security, and table \"%s.%s\" has it enabled",
							s->writer, get_namespace_name(RelationGetNamespace(rel)),
							RelationGetRelationName(rel)),
					 errhint("%s writes as the extension's owner, for whom the policies would not be what they are for the role sending rows; load the file with offline_join.load(), which applies them, or disable row-level security on the table.",
							 s->writer)));
		return psprintf("it has row-level security");
	}
	oj_refuse_rules(rel, CMD_INSERT, s->writer);
	if ((why = oj_not_plain_heap(rel)) != NULL)
		return why;
	for (int i = 0; trig != NULL && i < trig->numtriggers; i++)
	{
		Trigger    *t = &trig->triggers[i];

		if (!TRIGGER_FOR_INSERT(t->tgtype) || t->tgenabled == TRIGGER_DISABLED)
			continue;
		/* AFTER ROW and statement triggers fire there as COPY fires them */
		if (own_statement && t->tgnewtable == NULL && t->tgoldtable == NULL &&
			(TRIGGER_FOR_AFTER(t->tgtype) || !TRIGGER_FOR_ROW(t->tgtype)))
		{
			s->fire_triggers = true;
			continue;
		}
		return psprintf("it has trigger \"%s\"", t->tgname);
	}
	for (int a = 0; a < td->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(td, a);
		bool		filled = false;

		if (att->attisdropped)
			continue;
		for (int c = 0; c < s->ncols; c++)
			if (s->attnums[c] == att->attnum)
				filled = true;
		if (att->attgenerated)
			return psprintf("it has generated column \"%s\"", NameStr(att->attname));
		/* INSERT coerces to the column's typmod (numeric(5,1): rounds or refuses) */
		if (filled && att->atttypmod >= 0)
			return psprintf("its column \"%s\" is of type %s", NameStr(att->attname),
							format_type_with_typemod(att->atttypid, att->atttypmod));
		if (filled)
			continue;
		if (att->attidentity && s->identity_att == InvalidAttrNumber)
		{
			s->identity_att = att->attnum;
			continue;
		}
		return psprintf("its column \"%s\" is not one %s fills (its default applies)",
						NameStr(att->attname), s->writer);
	}
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Oid			indexoid = lfirst_oid(lc);
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
		Form_pg_index ind;

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for index %u", indexoid);
		ind = (Form_pg_index) GETSTRUCT(tup);
		/* a deferred check is queued by the executor's AFTER trigger machinery */
		if (!ind->indimmediate)
			why = psprintf("its %s index \"%s\" is deferrable", ind->indisunique ? "unique" : "exclusion",
						   get_rel_name(indexoid));
		ReleaseSysCache(tup);
		if (why)
			break;
	}
	list_free(indexes);
	return why;
}

/*
 * Opens a sink on offline_join.<table> for the given columns (name and type
 * each; the table's must match).  The caller must have INSERT on it, as for
 * the INSERT statement the sink stands for.
 */
OjSink *
oj_sink_open(const char *table, const char *writer, bool allow_rls, bool own_statement,
			 int ncols, const char *const *names, const Oid *types)
{
	OjSink	   *s = palloc0(sizeof(OjSink));
	MemoryContext old;
	const char *citus_kind;

	s->cxt = AllocSetContextCreate(CurrentMemoryContext, "offline_join sink", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(s->cxt);
	/* on the Citus layout, maybe the shell: its shape and privileges */
	s->rel = oj_table_open_writer(table, RowExclusiveLock, writer, &citus_kind);
	oj_check_table_privilege(s->rel, ACL_INSERT);
	s->writer = pstrdup(writer);
	s->ncols = ncols;
	s->names = palloc(sizeof(char *) * ncols);
	s->types = palloc(sizeof(Oid) * ncols);
	s->attnums = palloc(sizeof(AttrNumber) * ncols);
	for (int c = 0; c < ncols; c++)
	{
		s->names[c] = pstrdup(names[c]);
		s->types[c] = types[c];
		s->attnums[c] = oj_typed_column(s->rel, names[c], types[c]);
	}
	s->why = oj_sink_why_executor(s, allow_rls, own_statement);
	if (citus_kind != NULL)
	{
		/* the Citus layout: Citus plans the INSERT and routes the rows */
		s->why = psprintf("it is a Citus %s table", citus_kind);
		s->fire_triggers = false;
		s->identity_att = InvalidAttrNumber;
	}
	if (s->why == NULL)
	{
		s->bulk = oj_bulk_open(s->rel, s->fire_triggers);
		s->natts = RelationGetDescr(s->rel)->natts;
		s->values = palloc0(sizeof(Datum) * s->natts);
		s->nulls = palloc(sizeof(bool) * s->natts);
		if (s->identity_att != InvalidAttrNumber)
			s->identity_seq = oj_identity_sequence(s->rel, s->identity_att);
	}
	else
	{
		oj_require_sink_rows(RelationGetRelationName(s->rel), s->why);
		s->desc = CreateTemplateTupleDesc(ncols);
		for (int c = 0; c < ncols; c++)
			TupleDescInitEntry(s->desc, c + 1, names[c], types[c], -1, 0);
		s->store = tuplestore_begin_heap(false, false, work_mem);
		ereport(DEBUG1,
				(errmsg("%s writes table \"%s\" through the executor: %s",
						writer, RelationGetRelationName(s->rel), s->why)));
	}
	MemoryContextSwitchTo(old);
	return s;
}

/* Why the sink writes through the executor, or NULL when it writes directly. */
const char *
oj_sink_executor_reason(OjSink *s)
{
	return s->why;
}

/* Adds one row, values in the order of the sink's columns. */
void
oj_sink_put(OjSink *s, const Datum *values, const bool *nulls)
{
	s->nput++;
	if (s->bulk)
	{
		memset(s->nulls, true, sizeof(bool) * s->natts);
		for (int c = 0; c < s->ncols; c++)
		{
			s->values[s->attnums[c] - 1] = values[c];
			s->nulls[s->attnums[c] - 1] = nulls[c];
		}
		if (s->identity_att != InvalidAttrNumber)
		{
			s->values[s->identity_att - 1] = Int64GetDatum(nextval_internal(s->identity_seq, false));
			s->nulls[s->identity_att - 1] = false;
		}
		oj_bulk_add(s->bulk, s->values, s->nulls);
	}
	else
	{
		MemoryContext old = MemoryContextSwitchTo(s->cxt);

		tuplestore_putvalues(s->store, s->desc, unconstify(Datum *, values), unconstify(bool *, nulls));
		MemoryContextSwitchTo(old);
	}
}

/* The tuplestore handed out by sink_rows() while one statement runs. */
static Tuplestorestate *oj_pending_store = NULL;
static TupleDesc oj_pending_desc = NULL;
static int64 oj_pending_token = 0;

/*
 * ERROR unless the schema has offline_join.sink_rows() (0.1.3 on): the
 * library also runs on the schema of the release before until ALTER
 * EXTENSION UPDATE, and there only the direct paths work.
 */
void
oj_require_sink_rows(const char *table, const char *why)
{
	List	   *name = list_make2(makeString(OJ_SCHEMA), makeString("sink_rows"));

	if (!OidIsValid(LookupFuncName(name, 1, (Oid[]) {INT8OID}, true)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("function %s.sink_rows(bigint) does not exist", OJ_SCHEMA),
				 errdetail("Table \"%s.%s\" needs offline_join's general write path because %s; it comes with the schema of offline_join 0.1.3.",
						   OJ_SCHEMA, table, why),
				 errhint("Run ALTER EXTENSION offline_join UPDATE.")));
}

/*
 * Runs sql, whose $1 is a token for offline_join.sink_rows($1), over the rows
 * of store (described by desc); returns the rows the statement processed.
 * The store is consumed: the statement's function scan frees it.
 */
int64
oj_rows_execute(const char *sql, Tuplestorestate *store, TupleDesc desc)
{
	int64		token;
	volatile int64 processed = 0;
	int			rc;

	if (!pg_strong_random(&token, sizeof(token)))
		elog(ERROR, "could not generate a random token");
	token &= INT64CONST(0x7FFFFFFFFFFFFFFF);
	token |= 1;
	oj_pending_store = store;
	oj_pending_desc = desc;
	oj_pending_token = token;
	PG_TRY();
	{
		SPI_connect();
		rc = SPI_execute_with_args(sql, 1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(token)},
								   NULL, false, 0);
		if (rc < 0)
			elog(ERROR, "offline_join: statement failed: %s", SPI_result_code_string(rc));
		processed = (int64) SPI_processed;
		SPI_finish();
	}
	PG_FINALLY();
	{
		if (oj_pending_store != NULL)
			tuplestore_end(oj_pending_store);	/* the statement never read it */
		oj_pending_store = NULL;
		oj_pending_desc = NULL;
		oj_pending_token = 0;
	}
	PG_END_TRY();
	return processed;
}

/*
 * offline_join.sink_rows(token bigint) RETURNS SETOF record: internal.  The
 * rows a writer is inserting, for the one statement that has the token.
 */
Datum
oj_sink_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	expected;

	if (PG_ARGISNULL(0) || oj_pending_store == NULL || PG_GETARG_INT64(0) != oj_pending_token)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("offline_join.sink_rows() is internal to offline_join's writers"),
				 errdetail("It returns rows only to the statement a writer runs, with the token it was given.")));
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0 || rsinfo->expectedDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("offline_join.sink_rows() must be called in FROM with a column definition list")));
	expected = rsinfo->expectedDesc;
	if (expected->natts != oj_pending_desc->natts)
		elog(ERROR, "offline_join.sink_rows(): %d columns expected, %d given",
			 oj_pending_desc->natts, expected->natts);
	for (int i = 0; i < expected->natts; i++)
		if (TupleDescAttr(expected, i)->atttypid != TupleDescAttr(oj_pending_desc, i)->atttypid)
			elog(ERROR, "offline_join.sink_rows(): column %d has the wrong type", i + 1);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = oj_pending_store;
	rsinfo->setDesc = CreateTupleDescCopy(oj_pending_desc);
	oj_pending_store = NULL;	/* once; the function scan frees it */
	PG_RETURN_NULL();
}

/* "offline_join.sink_rows($1) AS r(a type, ...)" for the columns of desc. */
char *
oj_rows_source(TupleDesc desc)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "offline_join.sink_rows($1) AS r(");
	for (int i = 0; i < desc->natts; i++)
		appendStringInfo(&buf, "%s%s %s", i > 0 ? ", " : "",
						 quote_identifier(NameStr(TupleDescAttr(desc, i)->attname)),
						 format_type_be_qualified(TupleDescAttr(desc, i)->atttypid));
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * Writes what is left and closes.  On the executor path this is the one
 * INSERT statement; a BEFORE trigger that skipped rows is an ERROR, since
 * the ledger could not account for them.
 */
void
oj_sink_close(OjSink *s)
{
	if (s->bulk)
		oj_bulk_close(s->bulk);
	else
	{
		/* with no rows too: its statement triggers fire once, as COPY's do */
		StringInfoData sql;
		int64		written;

		initStringInfo(&sql);
		appendStringInfo(&sql, "INSERT INTO %s (",
						 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(s->rel)),
													RelationGetRelationName(s->rel)));
		for (int c = 0; c < s->ncols; c++)
			appendStringInfo(&sql, "%s%s", c > 0 ? ", " : "", quote_identifier(s->names[c]));
		appendStringInfo(&sql, ") SELECT * FROM %s", oj_rows_source(s->desc));
		written = oj_rows_execute(sql.data, s->store, s->desc);
		s->store = NULL;
		if (written != s->nput)
			ereport(ERROR,
					(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
					 errmsg("%s wrote %lld of %lld rows to table \"%s\": a BEFORE INSERT trigger skipped the others",
							s->writer, (long long) written, (long long) s->nput,
							RelationGetRelationName(s->rel)),
					 errdetail("offline_join accounts for every row of a file; nothing of it was written."),
					 errhint("Make the trigger return the row (it may change it), or raise an error for rows it refuses.")));
	}
	if (s->store)
		tuplestore_end(s->store);
	table_close(s->rel, NoLock);
	MemoryContextDelete(s->cxt);
}
