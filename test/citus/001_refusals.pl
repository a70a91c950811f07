# offline_join on a Citus cluster, in shapes it does not run on: with its
# tables left local, Citus installed changes nothing; once Citus manages
# any of its tables in another shape than offline_join.distribute()'s (a
# reference table, one distributed by hand), every entry point that reads
# or writes below the executor refuses at once, on the coordinator and on a
# worker, naming the table, and nothing is written: no ledger row, no event,
# no reject, nothing in a shell table.  The expiry worker waits (one
# WARNING), a pg_cron load_dir job fails with the same error; the way back
# is DROP EXTENSION and CREATE EXTENSION.  (002_layout.pl: the layout that
# runs.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/citus';
use OjCitus;

my ($coord, $w1, $w2) = OjCitus::cluster();
my $dir = $coord->basedir;
sub put
{
	my ($name, $text) = @_;
	open(my $fh, '>', "$dir/$name") or die;
	print $fh $text;
	close $fh;
	chmod 0644, "$dir/$name";
}
put('sales.csv', "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n"
    . "2026-03-02 14:05:10,CUST-1,7,shoes,SKU-1,1,9.95\n"
    . "2026-03-02 14:05:11,CUST-2,7,shoes,SKU-1,x,9.95\n");
put('sales2.csv', "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n"
    . "2026-03-03 14:05:10,CUST-1,7,shoes,SKU-1,1,9.95\n");
sub coord { return $coord->safe_psql('postgres', $_[0]); }

coord(qq{
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc', '{"timezone": "Europe/Copenhagen", "require_known_product": true}');
INSERT INTO offline_join.products VALUES ('SKU-1', 'shoes', 9.95, '{}');
INSERT INTO offline_join.sessions VALUES ('s1', 'V1', 'CUST-1', '2026-03-01 10:00+00', '{"cart": ["SKU-1"]}');
SELECT offline_join.record_transaction('t1', 'V1', 's1', '{}', now(), '2 years');
SELECT offline_join.create_inbox('rmc');
SELECT offline_join.create_foreign_table('public.sales_file', 'rmc', '$dir/sales.csv');
SELECT offline_join.create_source('plain', 'rmc');
SELECT offline_join.create_foreign_table('public.plain_file', 'plain', '$dir/sales.csv');
ALTER FOREIGN TABLE public.plain_file OPTIONS (ADD on_error 'skip');
});
is($w1->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'offline_join'}),
   coord(q{SELECT extversion FROM pg_extension WHERE extname = 'offline_join'}),
   'CREATE EXTENSION offline_join reaches the workers');

# Citus installed, tables local: everything as on one server
is(coord(qq{SELECT status || ' ' || rows_loaded || ' ' || rows_rejected || ' ' || rows_matched
             FROM offline_join.load('rmc', '$dir/sales.csv')}),
   'loaded 1 1 1', 'load() with local tables');
is(coord(q{SELECT match FROM offline_join.attribute('2026-03-02 10:00+00', 'CUST-1', NULL)}),
   'customer', 'attribute() with local tables');

# Citus takes over tables the way a user would try it
coord(q{
SELECT create_reference_table('offline_join.products');
SELECT create_reference_table('offline_join.sessions');
ALTER TABLE offline_join.events DROP CONSTRAINT events_pkey;
SELECT create_distributed_table('offline_join.events', 'customer_id');
SELECT truncate_local_data_after_distributing_table('offline_join.events');
});
is(coord(q{SELECT string_agg(logicalrelid::text || '=' || partmethod::text, ' ' ORDER BY logicalrelid::text)
             FROM pg_dist_partition}),
   'offline_join.events=h offline_join.products=n offline_join.sessions=n', 'three tables managed by Citus');

my $state = q{SELECT (SELECT count(*) FROM offline_join.loads) || ' ' ||
                     (SELECT count(*) FROM offline_join.events) || ' ' ||
                     (SELECT count(*) FROM offline_join.rejects) || ' ' ||
                     pg_relation_size('offline_join.events') || ' ' ||
                     (SELECT count(*) FROM offline_join.transactions WHERE transaction_id = 't1')};
my $before = coord($state);
like($before, qr/^1 1 1 0 1$/, 'the loaded row moved into the shards; the shell is empty');

my $refused = qr/cannot run: table "offline_join\.(events|sessions|products)" is a Citus (distributed|reference) table/;
my %calls = (
	'load()'          => qq{SELECT * FROM offline_join.load('rmc', '$dir/sales2.csv')},
	'load_dir()'      => qq{SELECT * FROM offline_join.load_dir('rmc', '$dir/sales*.csv')},
	'validate_file()' => qq{SELECT * FROM offline_join.validate_file('rmc', '$dir/sales2.csv')},
	'attribute()'     => q{SELECT * FROM offline_join.attribute('2026-03-02 10:00+00', 'CUST-1', NULL)},
	'rematch()'       => q{SELECT offline_join.rematch()},
	'expire()'        => q{SELECT offline_join.expire()},
	'inbox COPY'      => qq{COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
	                         FROM '$dir/sales2.csv' (FORMAT csv, HEADER)},
	'FDW with LATERAL attribute()' => q{SELECT a.match FROM public.plain_file f,
	                         LATERAL offline_join.attribute(f.event_time, f.customer_id, NULL) a},
);
for my $what (sort keys %calls)
{
	my $err = OjCitus::error_of($coord, $calls{$what});
	like($err, $refused, "$what refused on the coordinator");
	like($err, qr/HINT:  Convert the extension.s tables with offline_join.distribute\(\) only/, "$what: the hint says so") if $what eq 'load()';
}
is(coord($state), $before, 'nothing written: ledger, events, rejects, shell');
like(OjCitus::error_of($w1, qq{SELECT * FROM offline_join.load('rmc', '$dir/sales2.csv')}),
     $refused, 'load() refused on a worker');
like(OjCitus::error_of($w2, q{SELECT * FROM offline_join.attribute('2026-03-02 10:00+00', 'CUST-1', NULL)}),
     $refused, 'attribute() refused on a worker')
  or diag($w2->safe_psql('postgres', q{SELECT string_agg(logicalrelid::text, ' ') FROM pg_dist_partition}));

# what is plain SQL still works: Citus plans it
is(coord(q{SELECT offline_join.create_source('later', 'rmc') IS NOT NULL AND
                  offline_join.record_transaction('t2', 'V2', 's2', '{}', now(), '2 years')}),
   't', 'create_source() and record_transaction() still work');
coord(q{SELECT offline_join.create_inbox('later')});
is(coord(q{SELECT count(*) FROM offline_join.inboxes WHERE source = 'later'}), '1', 'create_inbox() still works');

# the FDW reads a file, and the product feed when its source checks products
like(OjCitus::error_of($coord, 'SELECT count(*) FROM public.sales_file'),
     qr/offline_join cannot run: table "offline_join\.\w+" is a Citus \w+ table/,
     'a foreign table whose source checks products is refused');
is(coord('SELECT count(*) FROM public.plain_file'), '1',
   'a foreign table of a source without product checks still reads');

# the expiry worker waits, saying why once
my $waits = qr/offline_join expiry worker waits: table "offline_join\.\w+" is a Citus/;
ok($coord->poll_query_until('postgres', q{SELECT pg_sleep(0.2) IS NOT NULL}) &&
   (sub { for (1 .. 50) { return 1 if slurp_file($coord->logfile) =~ $waits; select(undef, undef, undef, 0.2) } 0 })->(),
   'the expiry worker waits, with a WARNING');
sleep 3;
my @warnings = (slurp_file($coord->logfile) =~ /$waits/g);
is(scalar @warnings, 1, 'one WARNING, not one per naptime');

# a pg_cron load_dir job fails with the same error, and writes nothing
# (Debian 12's pg_cron 1.4 runs at most every minute: @reboot and a restart)
coord(qq{SET client_min_messages = warning; CREATE EXTENSION pg_cron;
SELECT cron.schedule('oj', '\@reboot', \$\$SELECT * FROM offline_join.load_dir('rmc', '$dir/sales*.csv')\$\$)});
$coord->restart;
ok($coord->poll_query_until('postgres', q{SELECT count(*) > 0 FROM cron.job_run_details WHERE status = 'failed'}),
   'the pg_cron job ran');
like(coord(q{SELECT return_message FROM cron.job_run_details WHERE status = 'failed' LIMIT 1}),
     $refused, 'the pg_cron job failed with the refusal');
coord(q{SELECT cron.unschedule('oj')});
is(coord($state), $before, 'still nothing written');

# undistribute_table() cannot take the extension's tables back (its view
# depends on them): the way back is DROP EXTENSION, which drops the shards,
# and CREATE EXTENSION with local tables, where the same file loads
like(OjCitus::error_of($coord, q{SELECT undistribute_table('offline_join.sessions')}),
     qr/cannot alter table because an extension depends on it/,
     'undistribute_table() refuses a table of the extension (Citus says why)');
coord(q{SET client_min_messages = warning; DROP EXTENSION offline_join CASCADE});
is(coord(q{SELECT count(*) FROM pg_dist_partition}), '0', 'DROP EXTENSION leaves no Citus table behind');
is($w1->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname LIKE 'events%' AND relkind = 'r'}),
   '0', 'nor a shard on a worker');
coord(qq{SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc', '{"timezone": "Europe/Copenhagen"}');
INSERT INTO offline_join.sessions VALUES ('s1', 'V1', 'CUST-1', '2026-03-01 10:00+00', '{}');});
is(coord(qq{SELECT status || ' ' || rows_loaded || ' ' || rows_matched
             FROM offline_join.load('rmc', '$dir/sales2.csv')}),
   'loaded 1 1', 'a fresh install with local tables loads and matches');

$_->stop for ($coord, $w1, $w2);
done_testing();
