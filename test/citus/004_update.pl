# ALTER EXTENSION offline_join UPDATE on the Citus layout (0.1.4 -> 0.1.5
# -> 0.2.0):
# a cluster distributed by 0.1.4's schema takes the update on the
# coordinator; the ledger (a reference table) keeps the loading role by name
# on every node, and the 2-year CHECK of transactions reaches every shard,
# where it refuses an UPDATE past 2 years; loads, load_dir() retries and
# matching go on.  0.2.0's create_inbox() is on every node, and a csv
# source (a Google Ads template) loads on the distributed layout, matched
# by click ID.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/citus';
use OjCitus;

my ($coord, $w1, $w2) = OjCitus::cluster();
my $dir = $coord->basedir;
sub coord { return $coord->safe_psql('postgres', $_[0]); }

open(my $fh, '>', "$dir/sales.csv") or die;
print $fh "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n"
  . "2026-03-02 14:05:11,CUST-1,7,shoes,SKU-1,1,9.95\n"
  . "2026-03-02 14:05:11,,7,shoes,SKU-1,1,9.95\n";
close $fh;
chmod 0644, "$dir/sales.csv";

coord(qq{
SET client_min_messages = warning;
CREATE EXTENSION offline_join VERSION '0.1.4';
SELECT offline_join.create_source('rmc', 'rmc');
INSERT INTO offline_join.sessions VALUES ('s1', 'v1', 'CUST-1', '2026-03-01 10:00+00', '{}');
SELECT offline_join.distribute();
-- kept 2 years: the expiry workers (naptime 1 s) must not purge it meanwhile
SELECT offline_join.record_transaction('T-1', 'v1', 's1', '{}', '2026-03-01 10:00+00', '2 years');
SELECT offline_join.load('rmc', '$dir/sales.csv');
});
is(coord(q{SELECT extversion FROM pg_extension WHERE extname = 'offline_join'}), '0.1.4', 'distributed on 0.1.4');

my ($rc, $out, $err) = $coord->psql('postgres', 'ALTER EXTENSION offline_join UPDATE');
is($rc, 0, 'ALTER EXTENSION offline_join UPDATE on the coordinator') or diag $err;
for my $node ($coord, $w1, $w2)
{
	is($node->safe_psql('postgres', q{SELECT extversion = default_version FROM pg_extension, pg_available_extensions
	                                   WHERE extname = 'offline_join' AND name = extname}),
	   't', $node->name . ': at the default version');
	is($node->safe_psql('postgres', q{SELECT format_type(atttypid, atttypmod) FROM pg_attribute
	                                   WHERE attrelid = 'offline_join.loads'::regclass AND attname = 'loaded_by'}),
	   'text', $node->name . ': loads.loaded_by is text');
}
is(coord(q{SELECT string_agg(DISTINCT result, ' ') FROM run_command_on_placements('offline_join.loads',
             'SELECT string_agg(loaded_by, '','') FROM %s')}), 'postgres', 'every placement of the ledger names the role');
is(coord(q{SELECT count(*) FILTER (WHERE result = '1') || '/' || count(*) FROM run_command_on_shards('offline_join.transactions',
             $$SELECT count(*) FROM pg_constraint WHERE conrelid = '%s'::regclass AND conname LIKE 'transactions_expires_within_2_years%%' AND convalidated$$)}),
   '4/4', 'the CHECK is on every shard of transactions, validated');
is(coord(q{SELECT count(*) FROM offline_join.transactions WHERE transaction_id = 'T-1'}), '1', 'the ID to update is there');
like(OjCitus::error_of($coord, q{UPDATE offline_join.transactions SET expires_at = '2036-03-01 10:00+00' WHERE transaction_id = 'T-1'}),
     qr/violates check constraint "transactions_expires_within_2_years/, 'an UPDATE past 2 years is refused on the shard');
is(coord(q{SELECT offline_join.record_transaction('T-2', 'v1', 's1', '{}', '2026-03-01 10:00+00', '2 years')}), 't',
   'record_transaction() for 2 years');
is(coord(qq{SELECT status FROM offline_join.load('rmc', '$dir/sales.csv')}), 'duplicate', 'the ledger still knows the file');
is(coord(qq{SELECT status || ' ' || rows_loaded || ' ' || rows_matched || ' ' || loaded_by FROM offline_join.load('rmc', '$dir/sales.csv', true)}),
   'loaded 1 1 postgres', 'a forced load matches and records the role by name');

for my $node ($coord, $w1, $w2)
{
	is($node->safe_psql('postgres', q{SELECT pg_get_function_identity_arguments('offline_join.create_inbox'::regproc)}),
	   'source text, transaction_attrs integer, columns text[]', $node->name . ': create_inbox() of 0.2.0');
}
open($fh, '>', "$dir/gads.csv") or die;
print $fh "Parameters:TimeZone=Europe/Copenhagen\n"
  . "Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\n"
  . "T-2,Offline purchase,2026-03-02 10:15:00+01:00,89.95,EUR\n"
  . "T-UNKNOWN,Offline purchase,2026-03-02 11:00:00,45.00,EUR\n"
  . ",Offline purchase,2026-03-02 12:00:00,45.00,EUR\n";
close $fh;
chmod 0644, "$dir/gads.csv";
coord(q{SELECT offline_join.create_source('gads', 'csv', $${"skip_lines": 1, "timezone": "Europe/Copenhagen",
  "columns": {"transaction_id": "Google Click ID", "event_time": "Conversion Time", "product": "Conversion Name",
              "num2": "Conversion Value", "attrs": {"currency": "Conversion Currency"}}}$$)});
is(coord(qq{SELECT status || ' ' || rows_total || ' ' || rows_loaded || ' ' || rows_rejected || ' ' || rows_matched
              FROM offline_join.load('gads', '$dir/gads.csv')}), 'loaded 3 2 1 1',
   'a csv source loads on the distributed layout');
is(coord(q{SELECT string_agg(line_no || ':' || transaction_id || ':' || match || ':' || coalesce(visitor_id, '-'), ' ' ORDER BY line_no)
             FROM offline_join.events WHERE source = 'gads'}),
   '3:T-2:transaction:v1 4:T-UNKNOWN:unmatched:-', 'matched by click ID on the cluster');
is(coord(q{SELECT line_no || ' ' || field || ' ' || reason FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
            WHERE l.source = 'gads'}), '5 Google Click ID missing', 'its reject names the file\'s column and line');

# 0.2.1 on the cluster: unload() takes a distributed load back, load(...,
# replaces) corrects one in one transaction, rematch() keeps the ledger
# (a reference table) true and records its run, source_status answers
my $gads_id = coord(q{SELECT load_id FROM offline_join.loads WHERE source = 'gads' AND status = 'loaded'});
is(coord(qq{SELECT status || ' ' || (unloaded_by IS NOT NULL) FROM offline_join.unload($gads_id)}), 'unloaded true',
   'unload() on the distributed layout');
is(coord(qq{SELECT (SELECT count(*) FROM offline_join.events WHERE load_id = $gads_id) || ' ' ||
                   (SELECT count(*) FROM offline_join.rejects WHERE load_id = $gads_id)}), '0 0',
   'its events and rejects are gone from every shard');
is(coord(qq{SELECT status FROM offline_join.load('gads', '$dir/gads.csv')}), 'loaded', 'the same content loads again');
my $again = coord(q{SELECT max(load_id) FROM offline_join.loads WHERE source = 'gads'});
open($fh, '>', "$dir/gads2.csv") or die;
print $fh "Parameters:TimeZone=Europe/Copenhagen\n"
  . "Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\n"
  . "T-2,Offline purchase,2026-03-02 10:15:00+01:00,99.95,EUR\n"
  . "T-LATE,Offline purchase,2026-03-02 11:00:00,45.00,EUR\n";
close $fh;
chmod 0644, "$dir/gads2.csv";
is(coord(qq{SELECT status || ' ' || rows_loaded || ' ' || replaces FROM offline_join.load('gads', '$dir/gads2.csv', replaces => $again)}),
   "loaded 2 $again", 'load(..., replaces) on the distributed layout');
is(coord(qq{SELECT status FROM offline_join.loads WHERE load_id = $again}), 'unloaded', 'the replaced load is unloaded');
# (kept 2 years: the expiry worker, every second here, would purge one that
# expired before today between this call and rematch())
coord(q{SELECT offline_join.record_transaction('T-LATE', 'v1', 's1', '{}', '2026-03-02 09:00+00', '2 years')});
is(coord(q{SELECT offline_join.rematch()}), '1', 'rematch() matches the late transaction ID');
is(coord(q{SELECT rows_loaded || ' ' || rows_matched FROM offline_join.loads WHERE source = 'gads' AND status = 'loaded'}),
   '2 2', 'the ledger follows rematch() on the cluster');
is(coord(q{SELECT rows_matched || ' ' || loads_updated FROM offline_join.rematch_runs ORDER BY run_id DESC LIMIT 1}),
   '1 1', 'the run is recorded (the one load with an unmatched event)');
is(coord(q{SELECT match_rate_24h FROM offline_join.source_status WHERE source = 'gads'}), '1.0000',
   'source_status on the cluster');

# row-level security through the view on the cluster (issue #31): a
# per-source policy on events holds through attributed_events, on every
# node's copy of the view, and abandoned_carts() refuses, naming the table
coord(q{
INSERT INTO offline_join.sources VALUES ('other', 'rmc', '{}');
CREATE ROLE analyst_a LOGIN;
GRANT USAGE ON SCHEMA offline_join TO analyst_a;
-- the extension's schema is each node's own: its grant on every node
SELECT count(*) FROM run_command_on_workers($$GRANT USAGE ON SCHEMA offline_join TO analyst_a$$);
GRANT SELECT ON offline_join.events, offline_join.sessions, offline_join.transactions,
                offline_join.attributed_events TO analyst_a;
ALTER TABLE offline_join.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_other ON offline_join.events TO analyst_a USING (source = 'other');
});
for my $node ($coord, $w1, $w2)
{
	is($node->safe_psql('postgres', q{SELECT reloptions FROM pg_class WHERE oid = 'offline_join.attributed_events'::regclass}),
	   '{security_invoker=true}', $node->name . ': attributed_events is security_invoker after the update');
}
is(coord(q{SELECT count(*) FROM offline_join.attributed_events}), '4', 'the owner sees every event (rmc and gads)');
is(coord(q{SET ROLE analyst_a; SELECT count(*) FROM offline_join.attributed_events}), '0',
   'a role that a policy filters sees none of another source\'s events through the view');
like(OjCitus::error_of($coord, q{SET ROLE analyst_a; SELECT * FROM offline_join.abandoned_carts()}),
     qr/abandoned_carts\(\) cannot apply row-level security: policies hide rows of table "offline_join.events"/,
     'abandoned_carts() refuses, naming the table');

done_testing();
