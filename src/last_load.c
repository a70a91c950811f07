/*-------------------------------------------------------------------------
 *
 * last_load.c
 *	  offline_join.last_load(): the ledger row of this session's last
 *	  statement into an inbox, so that a client (a driver that sees only
 *	  "COPY 3") learns the load's ID and counts without parsing a NOTICE.
 *
 *	  The load is remembered in this backend only, so no other session's
 *	  load can be named.  The row is read as the extension's owner (a role
 *	  with only INSERT on an inbox cannot read the ledger) and leaves the
 *	  function only when the current role made the load or has the
 *	  privileges of the role that did, as my_rejects() decides; it tells
 *	  no more than the inbox's NOTICE did: rows_matched is NULL for a role
 *	  that may not read the matches.  NULL when this session sent no rows
 *	  to an inbox, or when that statement's transaction was rolled back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/rls.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "last_load.h"
#include "security.h"
#include "source.h"

PG_FUNCTION_INFO_V1(oj_last_load);

/* The load ID of this session's last statement into an inbox; 0: none. */
static int64 oj_last_load_id = 0;

/* Remembers the load the inbox's statement just wrote its ledger row for. */
void
oj_last_load_note(int64 load_id)
{
	oj_last_load_id = load_id;
}

/* The ledger row of load_id as a composite, read as the owner; 0 when it is not the invoker's. */
static Datum
oj_last_load_read(Oid owner, Oid invoker, int64 load_id)
{
	Datum		args[2] = {Int64GetDatum(load_id), ObjectIdGetDatum(invoker)};
	Datum		row = (Datum) 0;
	OjSavedUser saved;
	bool		isnull;
	int			rc;

	oj_become(owner, &saved);
	SPI_connect();
	rc = SPI_execute_with_args("SELECT l FROM offline_join.loads l"
							   " WHERE l.load_id OPERATOR(pg_catalog.=) $1"
							   "   AND EXISTS (SELECT FROM pg_catalog.pg_roles a"
							   "                WHERE a.rolname OPERATOR(pg_catalog.=) l.loaded_by"
							   "                  AND pg_catalog.pg_has_role($2, a.oid, 'USAGE'))",
							   2, (Oid[]) {INT8OID, OIDOID}, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading offline_join.loads failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		row = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		row = isnull ? (Datum) 0 : SPI_datumTransfer(row, false, -1);
	}
	SPI_finish();
	oj_unbecome(&saved);
	return row;
}

/* row with rows_matched NULL: what a role that may not read the matches sees. */
static Datum
oj_last_load_hide_matched(Datum row)
{
	HeapTupleHeader hdr = DatumGetHeapTupleHeader(row);
	TupleDesc	desc = lookup_rowtype_tupdesc_copy(HeapTupleHeaderGetTypeId(hdr),
												   HeapTupleHeaderGetTypMod(hdr));
	HeapTupleData tup;
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);

	tup.t_len = HeapTupleHeaderGetDatumLength(hdr);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = hdr;
	heap_deform_tuple(&tup, desc, values, nulls);
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped &&
			strcmp(NameStr(TupleDescAttr(desc, i)->attname), "rows_matched") == 0)
			nulls[i] = true;
	return heap_copy_tuple_as_datum(heap_form_tuple(desc, values, nulls), desc);
}

/*
 * last_load() RETURNS offline_join.loads: the ledger row of this session's
 * last statement into an inbox, when the current role may see it; else NULL.
 */
Datum
oj_last_load(PG_FUNCTION_ARGS)
{
	Oid			invoker = GetUserId();
	Oid			owner;
	Datum		row;

	if (oj_last_load_id == 0)
		PG_RETURN_NULL();
	owner = oj_extension_owner();
	oj_check_schema_trusted(owner, "last_load()", OJ_WRITES_NONE);
	if (check_enable_rls(oj_relation_oid("loads"), invoker, true) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("last_load() cannot apply row-level security on table \"%s.loads\"", OJ_SCHEMA),
				 errdetail("Policies on the table apply to role \"%s\", and last_load() reads it with its owner's rights.",
						   GetUserNameFromId(invoker, false)),
				 errhint("Read offline_join.loads directly: its policies apply there.")));
	row = oj_last_load_read(owner, invoker, oj_last_load_id);
	if (row == (Datum) 0)
		PG_RETURN_NULL();
	/* the inbox's NOTICE tells the matched count only to a role that may read the matches */
	if (!oj_role_can_select(invoker, "events") &&
		!(oj_role_can_select(invoker, "sessions") && oj_role_can_select(invoker, "transactions")))
		row = oj_last_load_hide_matched(row);
	PG_RETURN_DATUM(row);
}
