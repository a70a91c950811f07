/*-------------------------------------------------------------------------
 *
 * ledger.c
 *	  The ledger offline_join.loads: the C code that writes its rows or looks
 *	  them up.  A row per load of load() and load_dir() (load.c) and per
 *	  statement into an inbox (inbox.c); the earlier loads of a content
 *	  (idempotency by sha256); the failures load_dir() tries again, whose
 *	  row is brought up to date while they repeat.  It also says which
 *	  release's columns the table has (the library runs on the schema of the
 *	  release before until ALTER EXTENSION UPDATE).  The callers still take
 *	  load_ids from the table's sequence, and my_rejects() (security.c)
 *	  joins the rejects to it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupconvert.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "source.h"
#include "catalog.h"
#include "ledger.h"

/*
 * Has the ledger the columns of 0.1.2 (loaded_by, retryable)?  The library
 * also runs on the schema of the release before, until ALTER EXTENSION
 * UPDATE.
 */
bool
oj_ledger_has_012(void)
{
	return get_attnum(oj_relation_oid("loads"), "retryable") != InvalidAttrNumber;
}

/*
 * Does the ledger keep the loading role by name (0.1.5 on)?  Before, it
 * kept a regrole, which a restore without that role cannot read back.
 */
bool
oj_ledger_role_by_name(void)
{
	Oid			rel = oj_relation_oid("loads");
	AttrNumber	att = get_attnum(rel, "loaded_by");

	return att != InvalidAttrNumber && get_atttype(rel, att) == TEXTOID;
}

/*
 * A ledger row that RETURNING * gave (tuple of desc) as a datum of the
 * functions' result type (result_desc, the table's row type; NULL: desc),
 * copied into cxt.  RETURNING * has no dropped columns and the row type
 * has them, so the columns are matched by name, as for any row conversion.
 */
static Datum
oj_ledger_datum(HeapTuple tuple, TupleDesc desc, TupleDesc result_desc, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	TupleConversionMap *map = NULL;
	Datum		result;

	if (result_desc != NULL)
		map = convert_tuples_by_name(desc, result_desc);
	if (map != NULL)
		tuple = execute_attr_map_tuple(tuple, map);
	result = heap_copy_tuple_as_datum(tuple, result_desc ? result_desc : desc);
	MemoryContextSwitchTo(old);
	return result;
}

/* Inserts the ledger row; returns it as a datum of type offline_join.loads. */
Datum
oj_ledger_write(const OjLedger *l, TupleDesc result_desc)
{
	Oid			types[14] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, INT8OID, TIMESTAMPTZOID,
	INT8OID, INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID, OIDOID, BOOLOID};
	Datum		values[14];
	char		nulls[14];
	MemoryContext outer = CurrentMemoryContext;
	bool		has_loaded_by = oj_ledger_has_012();
	bool		by_name = has_loaded_by && oj_ledger_role_by_name();
	Oid			role;
	Datum		result;
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	/*
	 * A row without a load (a failure, a duplicate) takes the next load_id
	 * as a load does, without asking for USAGE on the sequence, which the
	 * loader's grants do not give (doc/security.md); an SQL nextval() here
	 * made such a row fail with 42501.  (Citus also evaluates every
	 * nextval() of an INSERT into a reference table before it runs.)
	 */
	values[0] = Int64GetDatum(l->load_id > 0 ? l->load_id
							  : nextval_internal(oj_relation_oid("loads_load_id_seq"), false));
	values[1] = CStringGetTextDatum(l->source);
	values[2] = CStringGetTextDatum(l->path);
	values[3] = l->have_sha ? CStringGetTextDatum(l->sha256) : (Datum) 0;
	nulls[3] = l->have_sha ? ' ' : 'n';
	values[4] = Int64GetDatum(l->bytes);
	nulls[4] = l->bytes >= 0 ? ' ' : 'n';
	values[5] = TimestampTzGetDatum(l->started_at);
	values[6] = Int64GetDatum(l->rows_total);
	values[7] = Int64GetDatum(l->rows_loaded);
	values[8] = Int64GetDatum(l->rows_rejected);
	values[9] = Int64GetDatum(l->rows_matched);
	values[10] = CStringGetTextDatum(l->status);
	values[11] = l->message ? CStringGetTextDatum(l->message) : (Datum) 0;
	nulls[11] = l->message ? ' ' : 'n';
	role = OidIsValid(l->loaded_by) ? l->loaded_by : GetUserId();
	if (by_name)
	{
		types[12] = TEXTOID;
		values[12] = CStringGetTextDatum(GetUserNameFromId(role, false));
	}
	else
		values[12] = ObjectIdGetDatum(role);
	values[13] = BoolGetDatum(l->retryable);
	nulls[13] = strcmp(l->status, "failed") == 0 ? ' ' : 'n';

	SPI_connect();
	rc = SPI_execute_with_args(has_loaded_by
							   ? psprintf("INSERT INTO offline_join.loads (load_id, source, path, sha256, bytes,"
										  " started_at, finished_at, rows_total, rows_loaded, rows_rejected,"
										  " rows_matched, status, message, loaded_by, retryable%s)"
										  " VALUES ($1::pg_catalog.int8,"
										  " $2, $3, $4, $5, $6, pg_catalog.clock_timestamp(), $7, $8, $9, $10, $11, $12,"
										  " $13%s, $14%s)"
										  " RETURNING *", l->replaces > 0 ? ", replaces" : "",
										  by_name ? "" : "::pg_catalog.regrole",
										  l->replaces > 0 ? psprintf(", %lld", (long long) l->replaces) : "")
							   : psprintf("INSERT INTO offline_join.loads (load_id, source, path, sha256, bytes,"
										  " started_at, finished_at, rows_total, rows_loaded, rows_rejected,"
										  " rows_matched, status, message)"
										  " VALUES ($1::pg_catalog.int8,"
										  " $2, $3, $4, $5, $6, pg_catalog.clock_timestamp(), $7, $8, $9, $10, $11, $12)"
										  " RETURNING *"),
							   has_loaded_by ? 14 : 12, types, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "writing to offline_join.loads failed: %s", SPI_result_code_string(rc));
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
				 l->load_id > 0
				 ? errmsg("the ledger row of load %lld was not written to table \"offline_join.loads\"", (long long) l->load_id)
				 : errmsg("the ledger row of file \"%s\" (source \"%s\", %s) was not written to table \"offline_join.loads\"",
						  l->path, l->source, l->status),
				 errdetail("A BEFORE INSERT trigger on the table skipped it; offline_join keeps no load without its ledger row, so nothing of the file was kept."),
				 errhint("Make the trigger return the row (it may change it), or raise an error for rows it refuses.")));
	result = oj_ledger_datum(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, result_desc, outer);
	SPI_finish();
	return result;
}

/* Has the ledger the columns of 0.2.1 (unloaded, replaces)? */
bool
oj_ledger_has_021(void)
{
	return get_attnum(oj_relation_oid("loads"), "replaces") != InvalidAttrNumber;
}

/*
 * The latest 'loaded' load of this path for this source whose content was
 * other than sha256 (load_dir()'s changed file), or 0.
 */
int64
oj_ledger_path_loaded_other(const char *source, const char *path, const char *sha256)
{
	Datum		args[3] = {CStringGetTextDatum(source), CStringGetTextDatum(path), CStringGetTextDatum(sha256)};
	int64		found = 0;
	bool		isnull;

	SPI_connect();
	if (SPI_execute_snapshot(SPI_prepare("SELECT load_id::pg_catalog.int8 FROM offline_join.loads"
										 " WHERE source OPERATOR(pg_catalog.=) $1 AND path OPERATOR(pg_catalog.=) $2"
										 "   AND sha256 OPERATOR(pg_catalog.<>) $3 AND status OPERATOR(pg_catalog.=) 'loaded'"
										 " ORDER BY load_id DESC LIMIT 1",
										 3, (Oid[]) {TEXTOID, TEXTOID, TEXTOID}),
							 args, NULL, GetLatestSnapshot(), InvalidSnapshot, true, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading offline_join.loads failed");
	if (SPI_processed > 0)
		found = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return found;
}

/*
 * ERROR naming it unless load_id is a 'loaded' load of source, locked
 * until the end of the transaction (load(..., replaces) unloads it).
 */
void
oj_ledger_check_replaceable(const char *source, int64 load_id)
{
	Datum		arg = Int64GetDatum(load_id);
	char	   *status = NULL;
	char	   *of = NULL;

	if (!oj_ledger_has_021())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("load(..., replaces) needs the ledger of offline_join 0.2.1"),
				 errhint("Run ALTER EXTENSION offline_join UPDATE.")));
	SPI_connect();
	if (SPI_execute_with_args("SELECT status, source FROM offline_join.loads WHERE load_id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
							  1, (Oid[]) {INT8OID}, &arg, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading offline_join.loads failed");
	if (SPI_processed > 0)
	{
		status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		of = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	}
	if (status == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("load %lld, which replaces names, does not exist", (long long) load_id)));
	if (strcmp(of, source) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("load %lld is of source \"%s\", not of source \"%s\"", (long long) load_id, of, source),
				 errdetail("A load replaces a load of its own source.")));
	if (strcmp(status, "loaded") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("load %lld of source \"%s\" is %s, not loaded; it cannot be replaced", (long long) load_id,
						source, status)));
	SPI_finish();
}

/* Unloads load_id (offline_join.unload(), with the caller's rights). */
void
oj_ledger_unload(int64 load_id)
{
	Datum		arg = Int64GetDatum(load_id);

	SPI_connect();
	if (SPI_execute_with_args("SELECT offline_join.unload($1)", 1, (Oid[]) {INT8OID}, &arg, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "offline_join.unload() failed");
	SPI_finish();
}

/*
 * load_id of an earlier 'loaded' load of this content for this source, or 0;
 * with path: of any ledger row of this path and content that load_dir()
 * must not try again (a load, a duplicate, or a failure of the content).
 */
int64
oj_ledger_find_loaded(const char *source, const char *sha256, const char *path)
{
	Datum		args[3];
	int64		found = 0;
	int			rc;
	SPIPlanPtr	plan;

	args[0] = CStringGetTextDatum(source);
	args[1] = CStringGetTextDatum(sha256);
	args[2] = path ? CStringGetTextDatum(path) : (Datum) 0;
	SPI_connect();
	/* the latest committed state, even under REPEATABLE READ: we hold the lock */
	plan = SPI_prepare(path && oj_ledger_has_012()
					   ? "SELECT load_id::pg_catalog.int8 FROM offline_join.loads WHERE source OPERATOR(pg_catalog.=) $1"
					   "  AND sha256 OPERATOR(pg_catalog.=) $2 AND path OPERATOR(pg_catalog.=) $3"
					   "  AND (status OPERATOR(pg_catalog.<>) 'failed' OR retryable IS FALSE)"
					   "  ORDER BY load_id LIMIT 1"
					   : path
					   ? "SELECT load_id::pg_catalog.int8 FROM offline_join.loads WHERE source OPERATOR(pg_catalog.=) $1"
					   "  AND sha256 OPERATOR(pg_catalog.=) $2 AND path OPERATOR(pg_catalog.=) $3"
					   "  ORDER BY load_id LIMIT 1"
					   : "SELECT load_id::pg_catalog.int8 FROM offline_join.loads WHERE source OPERATOR(pg_catalog.=) $1"
					   "  AND sha256 OPERATOR(pg_catalog.=) $2 AND status OPERATOR(pg_catalog.=) 'loaded'"
					   "  ORDER BY load_id LIMIT 1",
					   path ? 3 : 2, (Oid[]) {TEXTOID, TEXTOID, TEXTOID});
	rc = SPI_execute_snapshot(plan, args, NULL, GetLatestSnapshot(), InvalidSnapshot, true, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading offline_join.loads failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
	{
		bool		isnull;

		found = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	return found;
}

/*
 * A repeated failure that load_dir() retries: brings the latest ledger row
 * of the same failure of this path (and content, when read) up to date and
 * returns it, or returns (Datum) 0 when there is none.
 */
static Datum
oj_ledger_refresh(const OjLedger *l, TupleDesc result_desc)
{
	Datum		args[5];
	char		nulls[5] = {' ', ' ', l->have_sha ? ' ' : 'n', ' ', ' '};
	MemoryContext outer = CurrentMemoryContext;
	Datum		result = (Datum) 0;
	int			rc;

	if (!oj_ledger_has_012())
		return (Datum) 0;
	/*
	 * Without UPDATE on the ledger (the loader of doc/security.md has
	 * SELECT and INSERT) the retry gets a row of its own: an UPDATE would
	 * fail, and with it the failure's record and the call.
	 */
	if (pg_class_aclcheck(oj_relation_oid("loads"), GetUserId(), ACL_UPDATE) != ACLCHECK_OK)
		return (Datum) 0;
	args[0] = CStringGetTextDatum(l->source);
	args[1] = CStringGetTextDatum(l->path);
	args[2] = l->have_sha ? CStringGetTextDatum(l->sha256) : (Datum) 0;
	args[3] = CStringGetTextDatum(l->message);
	/* a value, not clock_timestamp(): Citus refuses volatile functions in an UPDATE of a reference table */
	args[4] = TimestampTzGetDatum(GetCurrentTimestamp());
	SPI_connect();
	rc = SPI_execute_with_args("UPDATE offline_join.loads SET message = $4, finished_at = $5"
							   " WHERE load_id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(load_id) FROM offline_join.loads"
							   "   WHERE source OPERATOR(pg_catalog.=) $1 AND path OPERATOR(pg_catalog.=) $2)"
							   "   AND status OPERATOR(pg_catalog.=) 'failed' AND retryable"
							   "   AND sha256 IS NOT DISTINCT FROM $3"
							   " RETURNING *",
							   5, (Oid[]) {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID}, args, nulls, false, 0);
	if (rc != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "updating offline_join.loads failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
		result = oj_ledger_datum(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, result_desc, outer);
	SPI_finish();
	return result;
}

/*
 * The ledger row of a file that load_dir() could not load (edata: why;
 * known: what was read of it, such as its sha256), with a WARNING.  A
 * failure of the content (its header) is final for that content; any
 * other (a privilege, a lock, an unreadable file) is tried again on the
 * next run, and while it repeats, the ledger row it got is brought up to
 * date instead of a new row being added on every run.
 */
Datum
oj_ledger_write_failure(const OjLedger *known, const char *source, const char *path,
						const ErrorData *edata, TupleDesc result_desc)
{
	OjLedger	l = *known;
	Datum		row;

	l.load_id = 0;
	l.source = source;
	l.path = path;
	l.started_at = GetCurrentTimestamp();
	l.status = "failed";
	l.message = edata->message;
	l.retryable = edata->sqlerrcode != ERRCODE_BAD_COPY_FILE_FORMAT;
	row = l.retryable ? oj_ledger_refresh(&l, result_desc) : (Datum) 0;
	ereport(WARNING,
			(errmsg("could not load \"%s\": %s", path, edata->message),
			 row != (Datum) 0
			 ? errdetail("It failed the same way before; load_dir() tries it again on every run.")
			 : l.retryable ? errdetail("load_dir() tries it again on its next run.")
			 : errdetail("The file's content is at fault: load_dir() loads it again only once it changes.")));
	if (row == (Datum) 0)
		row = oj_ledger_write(&l, result_desc);
	return row;
}
