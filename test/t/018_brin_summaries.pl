# The BRIN index of events over months of loads (issue #29, 0.2.3):
# - 0.2.2 asked autovacuum for one summarization per filled range
#   (autosummarize), and a large load filled more ranges than autovacuum's
#   queue holds: a LOG line per range ("... was not recorded").  From 0.2.3
#   a load writes none, and autovacuum's VACUUM of events summarizes the new
#   ranges after 100,000 inserted rows.
# - rematch() finds the unmatched events through the BRIN index
#   events_brin_idx (its column match), over the loads the ledger shows
#   with unmatched events: after a large load has all matched, rematch() of everything
#   reads a small new load's ranges, not the large one's; events set back
#   to unmatched by hand are retried by naming their load.
# - A load into the free space of unloaded events writes into ranges with
#   stale summaries; the index finds every event.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('brin');
$node->init;
# autovacuum off first: nothing drains its queue of summarization requests
$node->append_conf('postgresql.conf', qq{
autovacuum = off
autovacuum_naptime = 1
shared_buffers = '256MB'
});
$node->start;
my $dir = $node->basedir;

sub sql { return $node->safe_psql('postgres', $_[0]); }
# NAME.csv: n rows of customers CUST-from ... CUST-(from+n-1)
sub write_file
{
	my ($name, $n, $from) = @_;
	sql(qq{COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
	             UNION ALL
	             SELECT '2026-03-02 14:05:11,CUST-' || i || ',3,c,SKU,1,2'
	               FROM generate_series($from, $from + $n - 1) i) TO '$dir/$name.csv'});
}
sub not_recorded
{
	my $log = slurp_file($node->logfile);
	my @lines = ($log =~ /request for BRIN range summarization .* was not recorded/g);
	return scalar @lines;
}

write_file('a', 400000, 1);
write_file('b', 400000, 400001);
write_file('c', 20, 800001);

# --- 0.2.2: a 400,000-row load floods the log
sql(q{CREATE EXTENSION offline_join VERSION '0.2.2'; SELECT offline_join.create_source('rmc', 'rmc')});
is(sql("SELECT rows_loaded FROM offline_join.load('rmc', '$dir/a.csv')"), '400000', '0.2.2: file a loaded');
my $before = not_recorded();
cmp_ok($before, '>', 100, "0.2.2: the load wrote $before 'was not recorded' LOG lines");

# --- 0.2.3: none
sql('ALTER EXTENSION offline_join UPDATE');
is(sql("SELECT rows_loaded FROM offline_join.load('rmc', '$dir/b.csv')"), '400000', '0.2.3: file b loaded');
is(not_recorded(), $before, '0.2.3: the load wrote no such line');
is(sql(q{SELECT string_agg(c.relname || ' ' || coalesce(array_to_string(c.reloptions, ','), ''), '; ' ORDER BY c.relname)
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
          WHERE i.indrelid = 'offline_join.events'::regclass AND a.amname = 'brin'}),
   'events_brin_idx pages_per_range=32',
   'one BRIN index, which does not ask autovacuum per range');

# autovacuum summarizes the new ranges (VACUUM after 100,000 inserted rows)
sql('ALTER SYSTEM SET autovacuum = on');
sql('SELECT pg_reload_conf()');
ok($node->poll_query_until('postgres',
	q{SELECT autovacuum_count > 0 FROM pg_stat_user_tables WHERE relid = 'offline_join.events'::regclass}),
   'autovacuum vacuumed events');
# at most the last, partial range of each is left unsummarized
is(sql(q{SELECT brin_summarize_new_values('offline_join.events_brin_idx') <= 1}),
   't', 'the ranges the loads filled are summarized');
sql('ALTER SYSTEM SET autovacuum = off');
sql('SELECT pg_reload_conf()');

# --- rematch(): sessions for the customers of a and b, everything matches
sql(q{INSERT INTO offline_join.sessions (session_id, visitor_id, customer_id, started_at, attrs)
      SELECT 'sess-' || i, 'VIS-' || i, 'CUST-' || i, timestamptz '2026-03-01', '{}'
        FROM generate_series(1, 800000) i});
is(sql('SELECT offline_join.rematch()'), '800000', 'rematch() matches the 800,000 events of a and b');
is(sql(q{SELECT string_agg(rows_matched::text, ',' ORDER BY load_id) FROM offline_join.loads}),
   '400000,400000', 'the ledger says so');
is(sql("SELECT rows_loaded FROM offline_join.load('rmc', '$dir/c.csv')"), '20', 'file c: 20 unmatched events');
sql('VACUUM ANALYZE offline_join.events');

# rematch() of everything now reads c's ranges only: a and b hold 800,000
# events in thousands of pages, all matched
my $pages = sql(q{SELECT pg_relation_size('offline_join.events') / 8192});
cmp_ok($pages, '>', 10000, "events has $pages pages");
sub blocks
{
	return sql(q{SELECT pg_stat_force_next_flush();
	             SELECT heap_blks_read + heap_blks_hit FROM pg_statio_user_tables
	              WHERE relid = 'offline_join.events'::regclass});
}
my $b0 = blocks();
is(sql('SELECT offline_join.rematch()'), '0', 'rematch(): nothing new matches');
my $read = blocks() - $b0;
cmp_ok($read, '<', 200, "rematch() read $read blocks of events");
sql(q{INSERT INTO offline_join.sessions (session_id, visitor_id, customer_id, started_at, attrs)
      SELECT 'sess-' || i, 'VIS-' || i, 'CUST-' || i, timestamptz '2026-03-01', '{}'
        FROM generate_series(800001, 800020) i});
$b0 = blocks();
is(sql('SELECT offline_join.rematch()'), '20', "rematch(): c's 20 events match");
$read = blocks() - $b0;
cmp_ok($read, '<', 400, "and it read $read blocks of events");
is(sql(q{SELECT count(*) FROM offline_join.events WHERE match = 'unmatched'}), '0', 'nothing is left unmatched');
is(sql(q{SELECT rows_matched FROM offline_join.loads WHERE load_id = 3}), '20', "c's ledger row says 20 matched");

# events set back to unmatched by hand: the ledger still says matched, so
# rematch() of everything passes them by; naming their load retries them
sql(q{UPDATE offline_join.events SET match = 'unmatched', visitor_id = NULL, session_id = NULL, snapshot = NULL
       WHERE load_id = 3});
is(sql('SELECT offline_join.rematch()'), '0', 'rematch(): the ledger shows no load with unmatched events');
is(sql('SELECT offline_join.rematch(3)'), '20', 'rematch(3) retries the 20 events set back by hand');

# --- a load into the free space an unload() left: its rows go into page
# ranges whose summaries still describe the unloaded events, and every
# query of the index still finds every event, before and after those
# ranges are summarized again (doc/performance.md, "Loads into summarized
# page ranges")
is(sql('SELECT status FROM offline_join.unload(1)'), 'unloaded', "a's 400,000 events unloaded");
sql('VACUUM offline_join.events');
is(sql(q{SELECT brin_summarize_new_values('offline_join.events_brin_idx') <= 1}),
   't', "a's emptied ranges keep their summaries after VACUUM");
write_file('d', 50000, 900001);
is(sql("SELECT rows_loaded FROM offline_join.load('rmc', '$dir/d.csv')"), '50000', 'file d: 50,000 events');
cmp_ok(sql(q{SELECT max((ctid::text::point)[0]) FROM offline_join.events WHERE load_id = 4}), '<', $pages / 2,
   "d's events went into the pages a left free");
my $by_brin = q{SET enable_seqscan = off; SET enable_indexscan = off;
               SELECT count(*) FILTER (WHERE load_id = 4) || ',' || count(*) FILTER (WHERE load_id = 1)
                 FROM offline_join.events WHERE load_id IN (1, 4)};
like(sql("SET enable_seqscan = off; EXPLAIN (COSTS OFF) SELECT count(*) FROM offline_join.events WHERE load_id = 4"),
     qr/Bitmap Index Scan on events_brin_idx/, 'the query below reads the BRIN index');
is(sql($by_brin), '50000,0', 'through the BRIN index: all of d, nothing of a');
sql(q{SELECT brin_desummarize_range('offline_join.events_brin_idx', b)
        FROM generate_series(0, (SELECT max((ctid::text::point)[0])::bigint FROM offline_join.events WHERE load_id = 4), 32) b});
cmp_ok(sql(q{SELECT brin_summarize_new_values('offline_join.events_brin_idx')}), '>', 10,
   "d's ranges summarized again");
is(sql($by_brin), '50000,0', 'summarized again: the same');

$node->stop;
done_testing();
