/* offline_join 0.2.4 -> 0.2.5: a quiet distribute() (issue #30) */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.5'" to load this file. \quit

-- Citus's create_reference_table() and create_distributed_table() print a
-- NOTICE block per table that has rows ("Copying data from local
-- table...", and a HINT to run truncate_local_data_after_distributing_table(),
-- which distribute() does itself).  distribute() says what it did by its
-- result and its errors; it runs with client_min_messages at warning, so
-- Citus's WARNINGs and every ERROR still reach the caller.  (A later
-- CREATE OR REPLACE FUNCTION of distribute() must repeat the clause;
-- test/citus/002_layout.pl fails if its NOTICEs come back.)
ALTER FUNCTION offline_join.distribute(integer) SET client_min_messages = warning;
