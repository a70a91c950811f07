/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Finding the extension's own objects and checking that they are still
 *	  what it created, before any Datum of them is read: relations by name in
 *	  schema offline_join, columns by name and type, btree indexes by their
 *	  key types.  (Opening a table for direct access asks the layout first:
 *	  oj_table_open() in citus_layout.c.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "source.h"
#include "catalog.h"

/* The OID of offline_join.<name>; ERROR when the extension's object is missing. */
Oid
oj_relation_oid(const char *name)
{
	Oid			nsp = get_namespace_oid(OJ_SCHEMA, false);
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.%s\" does not exist", OJ_SCHEMA, name),
				 errhint("Is the offline_join extension installed in this database?")));
	return relid;
}

/* Column number of a column the extension created; ERROR if it was dropped. */
AttrNumber
oj_column(Relation rel, const char *name)
{
	AttrNumber	att = get_attnum(RelationGetRelid(rel), name);

	if (att == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						name, RelationGetRelationName(rel))));
	return att;
}

/* Column number of a column of rel that must have type typid; ERROR otherwise. */
AttrNumber
oj_typed_column(Relation rel, const char *name, Oid typid)
{
	AttrNumber	att = oj_column(rel, name);
	Oid			actual = TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid;

	if (actual != typid)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of relation \"%s\" is of type %s, not %s",
						name, RelationGetRelationName(rel), format_type_be(actual),
						format_type_be(typid))));
	return att;
}

/*
 * Opens offline_join.<name>, a btree index on heap whose first key columns
 * have the given types and their default operator classes; ERROR naming it
 * otherwise (the scans below build their keys for exactly those types, and
 * probe it per row without pinning search_path: its comparisons must be
 * built in).
 */
Relation
oj_index_open(Relation heap, const char *name, int nkeys, const Oid *types)
{
	Relation	idx = index_open(oj_relation_oid(name), AccessShareLock);
	int			i;
	bool		ok = idx->rd_index->indrelid == RelationGetRelid(heap) &&
		idx->rd_rel->relam == BTREE_AM_OID &&
		IndexRelationGetNumberOfKeyAttributes(idx) >= nkeys;

	/* plain columns with the type's default operator class (its comparisons are built in) */
	for (i = 0; ok && i < nkeys; i++)
		ok = idx->rd_index->indkey.values[i] != 0 &&
			TupleDescAttr(RelationGetDescr(idx), i)->atttypid == types[i] &&
			idx->rd_opfamily[i] == get_opclass_family(GetDefaultOpClass(types[i], BTREE_AM_OID));
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("index \"%s.%s\" is not the btree index on table \"%s\" that offline_join created",
						OJ_SCHEMA, name, RelationGetRelationName(heap)),
				 errhint("Re-create the extension's index, or reinstall the extension.")));
	return idx;
}
