/*-------------------------------------------------------------------------
 *
 * fdw.c
 *	  offline_join_fdw (spec section 4): offline files queried in place,
 *	  validated row by row with the same checks as load().
 *
 *	  Table options: source (required), filename (a path or a glob: every
 *	  matching file in name order), on_error ('stop' or 'skip').  Columns are
 *	  matched by name to the format's fields plus filename and line_no; only
 *	  the columns a query uses are converted.  Callbacks follow the planner
 *	  then executor order, as in file_fdw.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "commands/vacuum.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/sampling.h"
#include "utils/varlena.h"

#include "ingest.h"
#include "event_row.h"
#include "files.h"
#include "validate.h"
#include "pg_compat.h"

PG_FUNCTION_INFO_V1(oj_fdw_handler);
PG_FUNCTION_INFO_V1(oj_fdw_validator);
PG_FUNCTION_INFO_V1(oj_create_foreign_table);

/*
 * The columns a foreign table may have, with their natural types: the
 * event fields of a file row (ingest.c's oj_event_fields, the same as the
 * loaders write), then the file and the line.
 */
#define F_FILENAME	OJ_EV_NFIELDS
#define F_LINE_NO	(OJ_EV_NFIELDS + 1)
#define F_NFIELDS	(OJ_EV_NFIELDS + 2)
static OjEventFieldInfo oj_fdw_fields[F_NFIELDS];

/* Fills oj_fdw_fields (once). */
static void
oj_fdw_fields_init(void)
{
	if (oj_fdw_fields[0].name != NULL)
		return;
	for (int f = 0; f < OJ_EV_NFIELDS; f++)
		oj_fdw_fields[f] = oj_event_fields[f];
	oj_fdw_fields[F_FILENAME] = (OjEventFieldInfo) {"filename", TEXTOID, "text"};
	oj_fdw_fields[F_LINE_NO] = (OjEventFieldInfo) {"line_no", INT8OID, "bigint"};
}

static const char *const oj_fdw_options[] = {"source", "filename", "on_error"};

/* The options of one foreign table. */
typedef struct OjFdwOptions
{
	char	   *source;
	char	   *filename;
	bool		skip;
} OjFdwOptions;

/* Planner state (baserel->fdw_private). */
typedef struct OjFdwPlan
{
	OjFdwOptions opts;
	List	   *files;
	int64		bytes;
	Bitmapset  *needed;			/* attnos the query uses (offset by FirstLowInvalidHeapAttributeNumber) */
} OjFdwPlan;

/* Executor state. */
typedef struct OjFdwScan
{
	OjFdwOptions opts;
	char	   *relname;
	OjSource   *src;
	List	   *files;
	int			next_file;
	const char *path;			/* file being read */
	int			fd;
	OjReader   *reader;
	OjIngest   *in;
	int			natts;
	int		   *field_of;		/* per attribute: F_*, or -1 when not needed */
	Oid		   *out_type;		/* per attribute: the column's type */
	int64		line_no;
	int64		skipped;
	ErrorContextCallback errcb;
} OjFdwScan;

/* Error context naming the foreign table (arg: its name). */
static void
oj_fdw_table_context(void *arg)
{
	errcontext("foreign table \"%s\"", (const char *) arg);
}

/* Reads the options of a foreign table. */
static void
oj_fdw_get_options(Oid relid, OjFdwOptions *o)
{
	ForeignTable *ft = GetForeignTable(relid);
	ListCell   *lc;

	memset(o, 0, sizeof(*o));
	foreach(lc, ft->options)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, "source") == 0)
			o->source = defGetString(d);
		else if (strcmp(d->defname, "filename") == 0)
			o->filename = defGetString(d);
		else if (strcmp(d->defname, "on_error") == 0)
			o->skip = strcmp(defGetString(d), "skip") == 0;
	}
	if (o->source == NULL || o->filename == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("foreign table \"%s\" needs the options source and filename",
						get_rel_name(relid))));
}

/* The files a filename option names: itself, or what its glob matches. */
static List *
oj_fdw_files(const char *filename, int64 *bytes)
{
	List	   *files = oj_glob(filename);
	ListCell   *lc;

	*bytes = 0;
	foreach(lc, files)
	{
		struct stat st;

		CHECK_FOR_INTERRUPTS();
		if (stat(lfirst(lc), &st) == 0 && S_ISREG(st.st_mode))
			*bytes += st.st_size;
	}
	return files;
}

/*
 * validator(options, catalog): only tables take options; unknown ones get a
 * closest-match hint; setting filename needs the right to read server files.
 */
Datum
oj_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *lc;
	char	   *source = NULL;
	char	   *filename = NULL;
	char	   *on_error = NULL;

	foreach(lc, options)
	{
		DefElem    *d = lfirst(lc);
		int			i;
		bool		known = false;

		for (i = 0; i < lengthof(oj_fdw_options); i++)
			known |= strcmp(d->defname, oj_fdw_options[i]) == 0;
		if (!known || catalog != ForeignTableRelationId)
		{
			const char *best = NULL;
			int			best_d = 3;

			for (i = 0; i < lengthof(oj_fdw_options) && catalog == ForeignTableRelationId; i++)
			{
				int			dist = varstr_levenshtein(d->defname, strlen(d->defname),
													  oj_fdw_options[i], strlen(oj_fdw_options[i]),
													  1, 1, 1, false);

				if (dist < best_d)
				{
					best_d = dist;
					best = oj_fdw_options[i];
				}
			}
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", d->defname),
					 catalog != ForeignTableRelationId
					 ? errhint("offline_join_fdw takes options only on foreign tables: source, filename, on_error.")
					 : best
					 ? errhint("Perhaps you meant the option \"%s\".", best)
					 : errhint("Valid options are: source, filename, on_error.")));
		}
		if ((strcmp(d->defname, "source") == 0 && source) ||
			(strcmp(d->defname, "filename") == 0 && filename) ||
			(strcmp(d->defname, "on_error") == 0 && on_error))
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("conflicting or redundant options"),
					 errdetail("Option \"%s\" is given twice.", d->defname)));
		if (strcmp(d->defname, "source") == 0)
			source = defGetString(d);
		else if (strcmp(d->defname, "filename") == 0)
		{
			filename = defGetString(d);
			oj_check_server_file_access(filename);
		}
		else
		{
			on_error = defGetString(d);
			if (strcmp(on_error, "stop") != 0 && strcmp(on_error, "skip") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value \"%s\" for option \"on_error\"", on_error),
						 errhint("Valid values are \"stop\" and \"skip\".")));
		}
	}
	if (catalog == ForeignTableRelationId && (source == NULL || filename == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("offline_join_fdw foreign tables need the options source and filename")));
	PG_RETURN_VOID();
}

/* Which field each attribute is; ERROR naming the column when it is none or of a wrong type. */
static void
oj_fdw_map_columns(Relation rel, int *field_of, Oid *out_type)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	oj_fdw_fields_init();
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		int			f;

		field_of[i] = -1;
		out_type[i] = att->atttypid;
		if (att->attisdropped)
			continue;
		for (f = 0; f < F_NFIELDS; f++)
			if (strcmp(NameStr(att->attname), oj_fdw_fields[f].name) == 0)
				field_of[i] = f;
		if (field_of[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
					 errmsg("column \"%s\" of foreign table \"%s\" is not a field of offline files",
							NameStr(att->attname), RelationGetRelationName(rel)),
					 errhint("Columns are event_time, customer_id, transaction_id, event_type, category, "
							 "product, num1, num2, dims, attrs, filename and line_no, in any subset and order.")));
		if (att->atttypid != oj_fdw_fields[field_of[i]].type && att->atttypid != TEXTOID)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("column \"%s\" of foreign table \"%s\" has type %s",
							NameStr(att->attname), RelationGetRelationName(rel),
							format_type_be(att->atttypid)),
					 oj_fdw_fields[field_of[i]].type == TEXTOID
					 ? errhint("Use type text.")
					 : errhint("Use type %s or text.", oj_fdw_fields[field_of[i]].type_name)));
	}
}

static void
oj_fdw_get_rel_size(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	OjFdwPlan  *plan = palloc0(sizeof(OjFdwPlan));
	ListCell   *lc;
	Relation	rel;
	int		   *field_of;
	Oid		   *types;

	oj_fdw_get_options(foreigntableid, &plan->opts);
	{
		/* ERROR now if it is unknown, naming the foreign table */
		ErrorContextCallback errcb;
		char	   *relname = get_rel_name(foreigntableid);

		errcb.callback = oj_fdw_table_context;
		errcb.arg = relname;
		errcb.previous = error_context_stack;
		error_context_stack = &errcb;
		(void) oj_source_get(plan->opts.source);
		error_context_stack = errcb.previous;
	}
	rel = table_open(foreigntableid, AccessShareLock);
	field_of = palloc(sizeof(int) * RelationGetDescr(rel)->natts);
	types = palloc(sizeof(Oid) * RelationGetDescr(rel)->natts);
	oj_fdw_map_columns(rel, field_of, types);
	table_close(rel, AccessShareLock);

	plan->files = oj_fdw_files(plan->opts.filename, &plan->bytes);
	/* the columns the query uses: its output and its filters */
	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &plan->needed);
	foreach(lc, baserel->baserestrictinfo)
		pull_varattnos((Node *) ((RestrictInfo *) lfirst(lc))->clause, baserel->relid, &plan->needed);

	baserel->fdw_private = plan;
	if (baserel->tuples <= 0)
	{
		/* not analyzed: guess from the size (rows of about 100 bytes) */
		baserel->tuples = Max(plan->bytes / 100, 1);
		baserel->pages = Max(plan->bytes / BLCKSZ, 1);
	}
	baserel->rows = clamp_row_est(baserel->tuples *
								  clauselist_selectivity(root, baserel->baserestrictinfo, 0,
														 JOIN_INNER, NULL));
}

static void
oj_fdw_get_paths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	OjFdwPlan  *plan = baserel->fdw_private;
	Cost		startup = baserel->baserestrictcost.startup;
	Cost		run = seq_page_cost * Max(plan->bytes / BLCKSZ, 1) +
		(cpu_tuple_cost * 10 + baserel->baserestrictcost.per_tuple) * baserel->tuples;

	add_path(baserel, (Path *) oj_foreignscan_path(root, baserel, baserel->rows,
												   startup, startup + run));
}

static ForeignScan *
oj_fdw_get_plan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				ForeignPath *best_path, List *tlist, List *scan_clauses, Plan *outer_plan)
{
	OjFdwPlan  *plan = baserel->fdw_private;
	List	   *needed = NIL;
	int			x = -1;
	bool		whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, plan->needed);

	/* the attnos to convert, or all of them for a whole-row reference */
	while ((x = bms_next_member(plan->needed, x)) >= 0)
		needed = lappend_int(needed, x + FirstLowInvalidHeapAttributeNumber);
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid, NIL,
							list_make2(makeBoolean(whole_row), needed), NIL, NIL, outer_plan);
}

static void
oj_fdw_explain(ForeignScanState *node, ExplainState *es)
{
	OjFdwOptions o;
	int64		bytes;
	List	   *files;
	ListCell   *lc;
	StringInfoData names;

	oj_fdw_get_options(RelationGetRelid(node->ss.ss_currentRelation), &o);
	files = oj_fdw_files(o.filename, &bytes);
	initStringInfo(&names);
	foreach(lc, files)
		appendStringInfo(&names, "%s%s", names.len ? ", " : "", (char *) lfirst(lc));
	ExplainPropertyText("Offline Files", names.len ? names.data : "(none)", es);
	ExplainPropertyText("Offline Source", o.source, es);
	if (es->costs)
		ExplainPropertyInteger("Offline Files Size", "b", bytes, es);
}

/* Error context: the file and line being read. */
static void
oj_fdw_error_context(void *arg)
{
	OjFdwScan  *s = arg;

	if (s->path && s->line_no > 0)
		errcontext("foreign table \"%s\", file \"%s\", line %lld",
				   s->relname, s->path, (long long) s->line_no);
	else if (s->path)
		errcontext("foreign table \"%s\", file \"%s\"", s->relname, s->path);
}

static void
oj_fdw_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	Relation	rel = node->ss.ss_currentRelation;
	OjFdwScan  *s = palloc0(sizeof(OjFdwScan));
	bool		whole_row;
	List	   *needed;
	ListCell   *lc;
	int64		bytes;
	int			i;

	node->fdw_state = s;
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	oj_fdw_get_options(RelationGetRelid(rel), &s->opts);
	s->relname = pstrdup(RelationGetRelationName(rel));
	s->src = oj_source_get(s->opts.source);
	s->files = oj_fdw_files(s->opts.filename, &bytes);
	s->fd = -1;
	s->natts = RelationGetDescr(rel)->natts;
	s->field_of = palloc(sizeof(int) * s->natts);
	s->out_type = palloc(sizeof(Oid) * s->natts);
	oj_fdw_map_columns(rel, s->field_of, s->out_type);

	/* convert only what the query uses */
	whole_row = boolVal(linitial(plan->fdw_private));
	needed = lsecond(plan->fdw_private);
	if (!whole_row)
	{
		bool	   *use = palloc0(sizeof(bool) * s->natts);

		foreach(lc, needed)
			if (lfirst_int(lc) > 0)
				use[lfirst_int(lc) - 1] = true;
		for (i = 0; i < s->natts; i++)
			if (!use[i])
				s->field_of[i] = -1;
	}
	if (s->files == NIL)
		ereport(NOTICE,
				(errmsg("no file matches \"%s\" of foreign table \"%s\"", s->opts.filename, s->relname)));
	s->errcb.callback = oj_fdw_error_context;
	s->errcb.arg = s;
}

/* Closes the file being read. */
static void
oj_fdw_close_file(OjFdwScan *s)
{
	if (s->reader)
		oj_reader_destroy(s->reader);
	if (s->in)
		oj_ingest_end(s->in);
	if (s->fd >= 0)
		CloseTransientFile(s->fd);
	s->reader = NULL;
	s->in = NULL;
	s->fd = -1;
	s->path = NULL;
	s->line_no = 0;
}

/* Opens the next file; false when there is none. */
static bool
oj_fdw_open_next(OjFdwScan *s, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	int64		size;

	oj_fdw_close_file(s);
	if (s->next_file >= list_length(s->files))
	{
		MemoryContextSwitchTo(old);
		return false;
	}
	s->path = list_nth(s->files, s->next_file++);
	s->fd = oj_open_file(s->path, &size);
	s->in = oj_ingest_begin(s->src, 0, "the foreign data wrapper", true, NULL, NULL);
	s->reader = oj_ingest_reader(s->in, oj_fd_read, &s->fd);
	MemoryContextSwitchTo(old);
	return true;
}

/* The value of field f of a checked row, in the column's type. */
static Datum
oj_fdw_value(OjFdwScan *s, int f, Oid type, const OjRow *row, TimestampTz t, bool *isnull)
{
	Datum		d = (Datum) 0;
	Oid			natural = oj_fdw_fields[f].type;

	*isnull = false;
	if (f == F_FILENAME)
		d = CStringGetTextDatum(s->path);
	else if (f == F_LINE_NO)
		d = Int64GetDatum(s->line_no);
	else
	{
		d = oj_event_value(s->in, (OjEventField) f, row, t, isnull);
		if (*isnull)
			return (Datum) 0;
	}
	if (type != natural)
	{
		Oid			out;
		bool		varlena;

		getTypeOutputInfo(natural, &out, &varlena);
		d = CStringGetTextDatum(OidOutputFunctionCall(out, d));
	}
	return d;
}

/*
 * Fills values/nulls with the next valid row; false at the end.  Invalid
 * rows stop the scan with an ERROR naming file, line, field and reason, or
 * with on_error 'skip' are counted and passed over.
 */
static bool
oj_fdw_next_row(OjFdwScan *s, MemoryContext file_cxt, Datum *values, bool *nulls)
{
	OjRecord	rec;
	OjRow		row;
	OjReject	rj;
	TimestampTz t;
	int			rc;
	int			i;

	for (;;)
	{
		if (s->reader == NULL && !oj_fdw_open_next(s, file_cxt))
			return false;
		rc = oj_reader_next(s->reader, &rec);
		if (rc < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", s->path)));
		if (rc == 0)
		{
			oj_fdw_close_file(s);
			continue;
		}
		CHECK_FOR_INTERRUPTS();
		s->line_no = rec.line_no;
		if (oj_ingest_wants_header(s->in))
		{
			MemoryContext old = MemoryContextSwitchTo(file_cxt);

			oj_ingest_header(s->in, &rec);
			MemoryContextSwitchTo(old);
			continue;
		}
		if (!oj_ingest_check(s->in, &rec, &row, &rj, &t))
		{
			if (s->opts.skip)
			{
				s->skipped++;
				continue;
			}
			ereport(ERROR,
					(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
					 errmsg("invalid row in file \"%s\" line %lld%s%s%s: %s (%s)",
							s->path, (long long) rec.line_no,
							rj.field ? ", column \"" : "", rj.field ? rj.field : "", rj.field ? "\"" : "",
							rj.message, oj_reason_name(rj.reason)),
					 errhint("Set on_error 'skip' on foreign table \"%s\" to pass over invalid rows, "
							 "or list them with offline_join.validate_file(%s, %s).",
							 s->relname, quote_literal_cstr(s->src->name), quote_literal_cstr(s->path))));
		}
		for (i = 0; i < s->natts; i++)
		{
			if (s->field_of[i] < 0)
			{
				nulls[i] = true;
				continue;
			}
			values[i] = oj_fdw_value(s, s->field_of[i], s->out_type[i], &row, t, &nulls[i]);
		}
		return true;
	}
}

static TupleTableSlot *
oj_fdw_iterate(ForeignScanState *node)
{
	OjFdwScan  *s = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	MemoryContext old;
	bool		found;

	ExecClearTuple(slot);
	s->errcb.previous = error_context_stack;
	error_context_stack = &s->errcb;
	old = MemoryContextSwitchTo(node->ss.ps.ps_ExprContext->ecxt_per_tuple_memory);
	found = oj_fdw_next_row(s, node->ss.ps.state->es_query_cxt, slot->tts_values, slot->tts_isnull);
	MemoryContextSwitchTo(old);
	error_context_stack = s->errcb.previous;
	if (found)
		ExecStoreVirtualTuple(slot);
	return slot;
}

static void
oj_fdw_rescan(ForeignScanState *node)
{
	OjFdwScan  *s = node->fdw_state;

	oj_fdw_close_file(s);
	s->next_file = 0;
}

static void
oj_fdw_end(ForeignScanState *node)
{
	OjFdwScan  *s = node->fdw_state;

	if (s == NULL || s->src == NULL)
		return;					/* EXPLAIN only */
	oj_fdw_close_file(s);
	if (s->skipped > 0)
		ereport(NOTICE,
				(errmsg("%lld invalid rows of foreign table \"%s\" were skipped",
						(long long) s->skipped, s->relname),
				 errhint("List them with offline_join.validate_file('%s', path) for each file the table reads.",
						 s->src->name)));
}

/* ANALYZE: a random sample of valid rows of every file (reservoir sampling). */
static int
oj_fdw_sample(Relation rel, int elevel, HeapTuple *rows, int targrows,
			  double *totalrows, double *totaldeadrows)
{
	OjFdwScan	s;
	TupleDesc	desc = RelationGetDescr(rel);
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	MemoryContext tuple_cxt = AllocSetContextCreate(CurrentMemoryContext, "offline_join_fdw sample",
													ALLOCSET_DEFAULT_SIZES);
	MemoryContext file_cxt = CurrentMemoryContext;
	ReservoirStateData rstate;
	double		rowstoskip = -1;
	int			n = 0;
	int64		bytes;

	memset(&s, 0, sizeof(s));
	oj_fdw_get_options(RelationGetRelid(rel), &s.opts);
	s.opts.skip = true;			/* a sample of the valid rows */
	s.relname = RelationGetRelationName(rel);
	s.src = oj_source_get(s.opts.source);
	s.files = oj_fdw_files(s.opts.filename, &bytes);
	s.fd = -1;
	s.natts = desc->natts;
	s.field_of = palloc(sizeof(int) * s.natts);
	s.out_type = palloc(sizeof(Oid) * s.natts);
	oj_fdw_map_columns(rel, s.field_of, s.out_type);
	reservoir_init_selection_state(&rstate, targrows);
	*totalrows = 0;
	*totaldeadrows = 0;
	s.errcb.callback = oj_fdw_error_context;
	s.errcb.arg = &s;
	s.errcb.previous = error_context_stack;
	error_context_stack = &s.errcb;

	for (;;)
	{
		MemoryContext old = MemoryContextSwitchTo(tuple_cxt);
		bool		found = oj_fdw_next_row(&s, file_cxt, values, nulls);
		HeapTuple	tup = NULL;

		MemoryContextSwitchTo(old);
		if (!found)
			break;
		oj_analyze_delay_point();
		if (n < targrows)
			tup = rows[n++] = heap_form_tuple(desc, values, nulls);
		else
		{
			if (rowstoskip < 0)
				rowstoskip = reservoir_get_next_S(&rstate, *totalrows, targrows);
			if (rowstoskip <= 0)
			{
				int			k = (int) (targrows * sampler_random_fract(&rstate.randstate));

				heap_freetuple(rows[k]);
				tup = rows[k] = heap_form_tuple(desc, values, nulls);
			}
			rowstoskip -= 1;
		}
		(void) tup;
		*totalrows += 1;
		MemoryContextReset(tuple_cxt);
	}
	error_context_stack = s.errcb.previous;
	oj_fdw_close_file(&s);
	MemoryContextDelete(tuple_cxt);
	ereport(elevel,
			(errmsg("\"%s\": file contains %.0f valid rows; %d rows in sample",
					RelationGetRelationName(rel), *totalrows, n)));
	return n;
}

static bool
oj_fdw_analyze(Relation relation, AcquireSampleRowsFunc *func, BlockNumber *totalpages)
{
	OjFdwOptions o;
	int64		bytes;

	oj_fdw_get_options(RelationGetRelid(relation), &o);
	(void) oj_fdw_files(o.filename, &bytes);
	*totalpages = Max(bytes / BLCKSZ, 1);
	*func = oj_fdw_sample;
	return true;
}

/* The handler: callbacks in planner, then executor order. */
Datum
oj_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *r = makeNode(FdwRoutine);

	r->GetForeignRelSize = oj_fdw_get_rel_size;
	r->GetForeignPaths = oj_fdw_get_paths;
	r->GetForeignPlan = oj_fdw_get_plan;
	r->ExplainForeignScan = oj_fdw_explain;
	r->BeginForeignScan = oj_fdw_begin;
	r->IterateForeignScan = oj_fdw_iterate;
	r->ReScanForeignScan = oj_fdw_rescan;
	r->EndForeignScan = oj_fdw_end;
	r->AnalyzeForeignTable = oj_fdw_analyze;
	PG_RETURN_POINTER(r);
}

/*
 * create_foreign_table(name, source, filename) RETURNS regclass: a foreign
 * table with every column, on the server offline_join_files (created when
 * missing).  An unqualified name is created in schema public.
 */
Datum
oj_create_foreign_table(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *source;
	char	   *filename;
	List	   *qualified;
	RangeVar   *rv;
	StringInfoData sql;
	int			f;
	int			rc;
	Oid			relid;

	oj_fdw_fields_init();

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name, source and filename must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	filename = text_to_cstring(PG_GETARG_TEXT_PP(2));
	oj_check_server_file_access(filename);
	(void) oj_source_get(source);
	qualified = oj_qualified_name_list(name);
	rv = makeRangeVarFromNameList(qualified);
	if (rv->schemaname == NULL)
		rv->schemaname = "public";

	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "CREATE SERVER IF NOT EXISTS offline_join_files FOREIGN DATA WRAPPER offline_join_fdw;");
	appendStringInfo(&sql, "CREATE FOREIGN TABLE %s (",
					 quote_qualified_identifier(rv->schemaname, rv->relname));
	for (f = 0; f < F_NFIELDS; f++)
		appendStringInfo(&sql, "%s%s %s", f ? ", " : "", oj_fdw_fields[f].name, oj_fdw_fields[f].type_name);
	appendStringInfo(&sql, ") SERVER offline_join_files OPTIONS (source %s, filename %s)",
					 quote_literal_cstr(source), quote_literal_cstr(filename));
	SPI_connect();
	rc = SPI_execute(sql.data, false, 0);
	if (rc < 0)
		elog(ERROR, "creating foreign table failed: %s", SPI_result_code_string(rc));
	SPI_finish();
	relid = RangeVarGetRelid(rv, NoLock, false);
	PG_RETURN_OID(relid);
}
