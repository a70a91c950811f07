/*-------------------------------------------------------------------------
 *
 * event_row.c
 *	  The columns of offline_join.events, once: their names and types, for
 *	  the loaders (ingest.c), the foreign table (fdw.c), rematch() and its
 *	  Citus form, which find them in the table by these definitions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"

#include "catalog.h"
#include "event_row.h"

/* The file row's fields, in OjEventField's order. */
const OjEventFieldInfo oj_event_fields[OJ_EV_NFIELDS] = {
	{"event_time", TIMESTAMPTZOID, "timestamptz"}, {"customer_id", TEXTOID, "text"},
	{"transaction_id", TEXTOID, "text"}, {"event_type", INT4OID, "integer"},
	{"category", TEXTOID, "text"}, {"product", TEXTOID, "text"},
	{"num1", NUMERICOID, "numeric"}, {"num2", NUMERICOID, "numeric"},
	{"dims", JSONBOID, "jsonb"}, {"attrs", JSONBOID, "jsonb"}
};

/* The row's other columns, in OjEventColumn's order. */
const OjEventFieldInfo oj_event_columns_info[OJ_EC_NCOLS] = {
	{"event_id", INT8OID, "bigint"},
	{"load_id", INT8OID, "bigint"}, {"line_no", INT8OID, "bigint"}, {"source", TEXTOID, "text"},
	{"match", TEXTOID, "text"}, {"visitor_id", TEXTOID, "text"},
	{"session_id", TEXTOID, "text"}, {"snapshot", JSONBOID, "jsonb"},
	{"dist_key", TEXTOID, "text"}
};

/* The column number of field f in events; ERROR when it is missing or of another type. */
AttrNumber
oj_event_field_att(Relation events, OjEventField f)
{
	return oj_typed_column(events, oj_event_fields[f].name, oj_event_fields[f].type);
}

/* The column number of column c in events; ERROR when it is missing or of another type. */
AttrNumber
oj_event_column_att(Relation events, OjEventColumn c)
{
	return oj_typed_column(events, oj_event_columns_info[c].name, oj_event_columns_info[c].type);
}
