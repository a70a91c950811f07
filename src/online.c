/*-------------------------------------------------------------------------
 *
 * online.c
 *	  The online side (spec section 1): record_transaction() and the trigger
 *	  that fills transactions.expires_at from the transaction window.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "source.h"
#include "catalog.h"
#include "citus.h"
#include "guc.h"
#include "online.h"

PG_FUNCTION_INFO_V1(oj_record_transaction);
PG_FUNCTION_INFO_V1(oj_transactions_fill_expiry);

/* Raises ERROR unless id is a valid transaction ID (1 to 100 bytes). */
void
oj_check_transaction_id(const char *id, size_t len)
{
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("transaction ID must not be empty")));
	if (len > OJ_MAX_ID_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("transaction ID \"%.*s...\" is %zu bytes long",
						pg_mbcliplen(id, len, 20), id, len),
				 errdetail("Transaction IDs are at most %d bytes.", OJ_MAX_ID_BYTES)));
}

/* expires_at for a row recorded at recorded_at and kept for retention (UTC's calendar). */
static TimestampTz
oj_expiry_of(TimestampTz recorded_at, const Interval *retention)
{
	return oj_utc_plus(recorded_at, retention, false);
}

/*
 * Raises ERROR 22023 when a transaction ID is being recorded with a
 * recorded_at more than an hour after the time of the call: such a row
 * would outlive its window and take over the ID from a later hit.
 */
static void
oj_check_not_future(TimestampTz recorded_at, const char *tid)
{
	if (recorded_at > GetCurrentTransactionStartTimestamp() + USECS_PER_HOUR &&
		recorded_at > GetCurrentTimestamp() + USECS_PER_HOUR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recorded_at of transaction \"%s\" is in the future", tid),
				 errdetail("It is %s; the time now is %s.",
						   pstrdup(timestamptz_to_str(recorded_at)),
						   pstrdup(timestamptz_to_str(GetCurrentTimestamp()))),
				 errhint("A transaction ID is recorded when its online hit happens: at most an hour after now, for clocks that run ahead.")));
}

/* Raises ERROR 22004 naming the argument when it is NULL. */
static void
oj_require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/*
 * record_transaction(transaction_id, visitor_id, session_id, snapshot,
 *					  recorded_at, retention) RETURNS boolean
 *
 * The first online hit wins while it is unexpired: the upsert only replaces a
 * row whose expires_at lies before the new hit and before now (a hit dated
 * ahead, within the hour allowed, takes over no ID that is still valid).  ON CONFLICT makes two
 * sessions racing on one ID agree: exactly one returns true.
 */
Datum
oj_record_transaction(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	text	   *tid;
	text	   *visitor;
	Jsonb	   *snapshot = NULL;
	TimestampTz recorded_at;
	Interval   *retention;
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	bool		won;
	int			rc;

	oj_require_arg(fcinfo, 0, "transaction_id");
	oj_require_arg(fcinfo, 1, "visitor_id");
	oj_require_arg(fcinfo, 4, "recorded_at");

	tid = PG_GETARG_TEXT_PP(0);
	oj_check_transaction_id(VARDATA_ANY(tid), VARSIZE_ANY_EXHDR(tid));
	visitor = PG_GETARG_TEXT_PP(1);
	if (VARSIZE_ANY_EXHDR(visitor) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("visitor_id must not be empty")));
	if (!PG_ARGISNULL(3))
	{
		snapshot = PG_GETARG_JSONB_P(3);
		if (!JB_ROOT_IS_OBJECT(snapshot) || JB_ROOT_IS_SCALAR(snapshot))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("snapshot of transaction \"%s\" must be a JSON object",
							text_to_cstring(tid))));
	}
	recorded_at = PG_GETARG_TIMESTAMPTZ(4);
	if (TIMESTAMP_NOT_FINITE(recorded_at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recorded_at of transaction \"%s\" must be finite",
						text_to_cstring(tid))));
	oj_check_not_future(recorded_at, text_to_cstring(tid));
	retention = PG_ARGISNULL(5) ? oj_transaction_window() : PG_GETARG_INTERVAL_P(5);
	oj_check_retention(retention, "retention");

	values[0] = PointerGetDatum(tid);
	values[1] = PointerGetDatum(visitor);
	values[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
	values[3] = TimestampTzGetDatum(recorded_at);
	values[4] = TimestampTzGetDatum(oj_expiry_of(recorded_at, retention));
	values[5] = snapshot ? JsonbPGetDatum(snapshot)
		: DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
	/* now() as a value: Citus refuses it in ON CONFLICT ... WHERE */
	values[6] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());

	SPI_connect();
	if (plan == NULL)
	{
		Oid			types[7] = {TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, JSONBOID, TIMESTAMPTZOID};
		SPIPlanPtr	p;

		p = SPI_prepare("INSERT INTO offline_join.transactions AS t"
						" (transaction_id, visitor_id, session_id, recorded_at, expires_at, snapshot)"
						" VALUES ($1, $2, $3, $4, $5, $6)"
						" ON CONFLICT (transaction_id) DO UPDATE"
						" SET visitor_id = EXCLUDED.visitor_id, session_id = EXCLUDED.session_id,"
						"     recorded_at = EXCLUDED.recorded_at, expires_at = EXCLUDED.expires_at,"
						"     snapshot = EXCLUDED.snapshot"
						" WHERE t.expires_at OPERATOR(pg_catalog.<) LEAST(EXCLUDED.recorded_at, $7)"
						" RETURNING 1", 7, types);
		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		plan = p;
	}
	rc = SPI_execute_plan(plan, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "recording transaction failed: %s", SPI_result_code_string(rc));
	won = SPI_processed > 0;
	SPI_finish();

	PG_RETURN_BOOL(won);
}

/*
 * BEFORE INSERT trigger on offline_join.transactions: a row without
 * expires_at expires one transaction window after recorded_at (UTC's
 * calendar), and such a recorded_at may not lie in the future.  A given
 * expires_at is checked by the CHECK transactions_expires_within_2_years,
 * on INSERT and UPDATE alike, in UTC's calendar: its answer does not
 * depend on the session, so a restore's COPY passes what was stored.
 */
Datum
oj_transactions_fill_expiry(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	AttrNumber	recorded_col;
	AttrNumber	expires_col;
	AttrNumber	id_col;
	bool		isnull;
	Datum		recorded;
	Datum		value;
	bool		replnull = false;
	int			col;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("transactions_fill_expiry() must be a BEFORE INSERT row trigger")));

	if (!oj_is_table_or_shard(trigdata->tg_relation, "transactions"))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("transactions_fill_expiry() fires only on %s.transactions, not on \"%s\"",
						OJ_SCHEMA, RelationGetRelationName(trigdata->tg_relation))));
	tupdesc = trigdata->tg_relation->rd_att;
	tuple = trigdata->tg_trigtuple;
	recorded_col = oj_typed_column(trigdata->tg_relation, "recorded_at", TIMESTAMPTZOID);
	expires_col = oj_typed_column(trigdata->tg_relation, "expires_at", TIMESTAMPTZOID);
	id_col = oj_typed_column(trigdata->tg_relation, "transaction_id", TEXTOID);

	recorded = heap_getattr(tuple, recorded_col, tupdesc, &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* NOT NULL will name the column */
	(void) heap_getattr(tuple, expires_col, tupdesc, &isnull);
	if (!isnull)
		return PointerGetDatum(tuple);	/* the CHECKs decide */

	/* a value made here: the checks of record_transaction() apply */
	{
		bool		idnull;
		Datum		id = heap_getattr(tuple, id_col, tupdesc, &idnull);

		oj_check_not_future(DatumGetTimestampTz(recorded), idnull ? "" : TextDatumGetCString(id));
	}
	value = TimestampTzGetDatum(oj_expiry_of(DatumGetTimestampTz(recorded), oj_transaction_window()));
	col = expires_col;
	tuple = heap_modify_tuple_by_cols(tuple, tupdesc, 1, &col, &value, &replnull);
	return PointerGetDatum(tuple);
}
