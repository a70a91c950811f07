/*-------------------------------------------------------------------------
 *
 * event_row.h
 *	  The columns of offline_join.events, defined once (event_row.c): the
 *	  fields a file row gives, in one order for every reader of rows (the
 *	  loaders' events row, the foreign table's columns), and the row's other
 *	  columns, for rematch() and the Citus layout.  Include after postgres.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OJ_EVENT_ROW_H
#define OJ_EVENT_ROW_H

#include "utils/relcache.h"

/* The fields of an event that a file row gives. */
typedef enum OjEventField
{
	OJ_EV_EVENT_TIME, OJ_EV_CUSTOMER_ID, OJ_EV_TRANSACTION_ID, OJ_EV_EVENT_TYPE,
	OJ_EV_CATEGORY, OJ_EV_PRODUCT, OJ_EV_NUM1, OJ_EV_NUM2, OJ_EV_DIMS, OJ_EV_ATTRS,
	OJ_EV_NFIELDS
} OjEventField;

typedef struct OjEventFieldInfo
{
	const char *name;			/* the column of events (and of a foreign table) */
	Oid			type;
	const char *type_name;
} OjEventFieldInfo;

extern const OjEventFieldInfo oj_event_fields[OJ_EV_NFIELDS];

/* The columns of events beside a file row's fields. */
typedef enum OjEventColumn
{
	OJ_EC_EVENT_ID,				/* the identity column */
	OJ_EC_LOAD_ID, OJ_EC_LINE_NO, OJ_EC_SOURCE,	/* where the row came from */
	OJ_EC_MATCH, OJ_EC_VISITOR_ID, OJ_EC_SESSION_ID, OJ_EC_SNAPSHOT,	/* its match */
	OJ_EC_DIST_KEY,				/* the Citus layout's distribution column */
	OJ_EC_NCOLS
} OjEventColumn;

extern const OjEventFieldInfo oj_event_columns_info[OJ_EC_NCOLS];

extern AttrNumber oj_event_field_att(Relation events, OjEventField f);
extern AttrNumber oj_event_column_att(Relation events, OjEventColumn c);

#endif							/* OJ_EVENT_ROW_H */
