/*-------------------------------------------------------------------------
 *
 * jsonb_flat.c
 *	  The dims and attrs objects of every event: flat (string or numeric
 *	  values), with keys a format names.  Building them with
 *	  pushJsonbValue() and JsonbValueToJsonb() made a tree, sorted and
 *	  de-duplicated it, then serialized it, once per object per row; this
 *	  writes the binary form at once, exactly as JsonbValueToJsonb() lays
 *	  it out (utils/adt/jsonb_util.c, convertJsonbObject()): the object
 *	  header, the keys' JEntries then the values', every JB_OFFSET_STRIDE'th
 *	  one (the first included) an end offset instead of a length, the keys'
 *	  bytes in jsonb's order (shorter first, then bytewise), then the
 *	  values' in the same order, each numeric aligned to 4 bytes from the
 *	  start of the datum with the padding counted in its length.
 *
 *	  Two members with one key, or data past JENTRY_OFFLENMASK, return NULL:
 *	  the caller builds that object the general way (which keeps the last
 *	  value of a key, or raises jsonb's error).  sql/load.sql and
 *	  sql/csv_format.sql compare every object written with the same object
 *	  read back from its text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/numeric.h"

#include "jsonb_flat.h"

/* jsonb's order of keys: shorter first, then bytewise. */
static int
oj_jsonb_key_cmp(const OjJsonbMember *a, const OjJsonbMember *b, size_t alen, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a->key, b->key, alen);
}

/* Sorts m[0..n) by key (insertion sort: a format's objects are small); false on a duplicate key. */
static bool
oj_jsonb_sort(OjJsonbMember *m, size_t *klen, int n)
{
	for (int i = 1; i < n; i++)
	{
		OjJsonbMember x = m[i];
		size_t		xl = klen[i];
		int			j = i - 1;
		int			c = 0;

		while (j >= 0 && (c = oj_jsonb_key_cmp(&m[j], &x, klen[j], xl)) > 0)
		{
			m[j + 1] = m[j];
			klen[j + 1] = klen[j];
			j--;
		}
		if (j >= 0 && c == 0)
			return false;
		m[j + 1] = x;
		klen[j + 1] = xl;
	}
	return true;
}

/* A JEntry for entry i of the object: a length, or every stride'th an end offset. */
static JEntry
oj_jsonb_entry(int i, uint32 type, uint32 len, uint32 end)
{
	if (i % JB_OFFSET_STRIDE == 0)
		return type | end | JENTRY_HAS_OFF;
	return type | len;
}

Jsonb *
oj_jsonb_flat(OjJsonbMember *m, int n)
{
	size_t	   *klen = palloc(sizeof(size_t) * Max(n, 1));
	size_t		cap = VARHDRSZ + sizeof(uint32) + sizeof(JEntry) * 2 * n;
	char	   *buf;
	JEntry	   *entries;
	size_t		pos;
	uint32		end = 0;

	for (int i = 0; i < n; i++)
	{
		klen[i] = strlen(m[i].key);
		cap += klen[i] + (m[i].num ? VARSIZE_ANY(m[i].num) + 3 : m[i].len);
	}
	if (!oj_jsonb_sort(m, klen, n) || cap - VARHDRSZ > JENTRY_OFFLENMASK)
		return NULL;

	buf = palloc0(cap);
	*(uint32 *) (buf + VARHDRSZ) = (uint32) n | JB_FOBJECT;
	entries = (JEntry *) (buf + VARHDRSZ + sizeof(uint32));
	pos = VARHDRSZ + sizeof(uint32) + sizeof(JEntry) * 2 * n;
	for (int i = 0; i < n; i++)
	{
		memcpy(buf + pos, m[i].key, klen[i]);
		pos += klen[i];
		end += klen[i];
		entries[i] = oj_jsonb_entry(i, JENTRY_ISSTRING, klen[i], end);
	}
	for (int i = 0; i < n; i++)
	{
		uint32		len;
		uint32		type;

		if (m[i].num != NULL)
		{
			size_t		pad = INTALIGN(pos) - pos;	/* palloc0: zero bytes */

			pos += pad;
			memcpy(buf + pos, m[i].num, VARSIZE_ANY(m[i].num));
			pos += VARSIZE_ANY(m[i].num);
			len = pad + VARSIZE_ANY(m[i].num);
			type = JENTRY_ISNUMERIC;
		}
		else
		{
			memcpy(buf + pos, m[i].str, m[i].len);
			pos += m[i].len;
			len = m[i].len;
			type = JENTRY_ISSTRING;
		}
		end += len;
		entries[n + i] = oj_jsonb_entry(n + i, type, len, end);
	}
	SET_VARSIZE(buf, pos);
	return (Jsonb *) buf;
}
