/* offline_join 0.2.3 -> 0.2.4: the inbox row trigger without a per-row
 * GUC nest level (issue #29) */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.4'" to load this file. \quit

-- inbox_route() fires once per row of a COPY into an inbox.  Its SET
-- search_path clause made fmgr open and close a GUC nest level on every
-- call: a tenth of a COPY's time (doc/performance.md, "The inbox row
-- trigger (0.2.4)").  From 0.2.4 the library sets that search_path itself
-- for the rows that may resolve a name (the first row of a statement, and
-- every row when the tables the inbox writes run a function of their own
-- or matching runs SQL); the other rows resolve none.  inbox_start() and
-- inbox_finish(), once per statement, keep their clause.
ALTER FUNCTION offline_join.inbox_route() RESET search_path;
