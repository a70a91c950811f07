# doc/citus.md, "A cluster from zero to a first load", run as printed (issue
# #30): three fresh servers get the postgresql.conf lines of step 1, the
# statements of step 2 on every node and those of step 3 on the
# coordinator, whose output must be the page's, line for line; then step 4's
# pg_cron job loads the folder's next file.  The test puts in only what the
# page leaves to the reader: its nodes' socket and ports for
# coordinator.example, worker-1.example and worker-2.example (port 5432), a
# folder for /srv/offline/, pg_cron's connection (cron.host) and, so that
# the test need not wait ten minutes, a schedule of every minute (pg_cron
# 1.4, Debian 12's, has no schedule in seconds).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $page = slurp_file('doc/citus.md');
# the fenced block after <!-- from zero: NAME -->
sub step
{
	my ($name) = @_;
	$page =~ /^<!-- from zero: \Q$name\E -->\n```\w*\n(.*?)^```\n/ms
	  or die "doc/citus.md has no block marked 'from zero: $name'\n";
	return $1;
}

my @nodes = map { PostgreSQL::Test::Cluster->new($_) } qw(coordinator worker1 worker2);
my ($coord, $w1, $w2) = @nodes;
for my $node (@nodes)
{
	$node->init;
	$node->append_conf('postgresql.conf', step("every node's postgresql.conf"));
	$node->append_conf('postgresql.conf', "cron.host = '" . $node->host . "'\nmax_worker_processes = 32\n");
	$node->start;
}

# psql as a user would run it: a file of statements, aligned output
sub run_psql
{
	my ($node, $db, $sql) = @_;
	my ($out, $err);
	IPC::Run::run([ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-h', $node->host, '-p', $node->port,
					'-d', $db, '-f', '-' ], '<', \$sql, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}
for my $node (@nodes)
{
	my ($rc, $out, $err) = run_psql($node, 'postgres', step('every node'));
	is($rc, 0, $node->name . ': step 2 runs') or diag($err);
}

my $dir = $coord->basedir . '/offline';
mkdir $dir or die;
sub write_file
{
	my ($name, @customers) = @_;
	open(my $fh, '>', "$dir/$name") or die;
	print $fh "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n";
	print $fh "2026-03-01 10:0$_:00,CUST-$_,7,shoes,SKU-$_,1,59.90\n" for @customers;
	close $fh;
}
write_file('2026-03-01.csv', 1, 2, 3);

my $steps = step('coordinator');
my $host = $coord->host;
$steps =~ s/'coordinator\.example', 5432/sprintf("'%s', %d", $host, $coord->port)/e;
$steps =~ s/'worker-1\.example', 5432/sprintf("'%s', %d", $host, $w1->port)/e;
$steps =~ s/'worker-2\.example', 5432/sprintf("'%s', %d", $host, $w2->port)/e;
$steps =~ s{/srv/offline/}{$dir/}g;
my ($rc, $out, $err) = run_psql($coord, 'analytics', $steps);
is($rc, 0, 'step 3 runs on the coordinator') or diag($err);
(my $want = step("coordinator's output")) =~ s/\s+\z//;
$out =~ s/\s+\z//;
is($out, $want, "step 3's output is the page's");
is($err =~ s/^psql:[^\n]*NOTICE:  load 1 of "[^"]*" \(source "rmc"\): 3 rows, 3 loaded, 0 rejected, 0 matched\n//mr,
   '', 'step 3 prints one NOTICE, the load\'s summary (distribute() prints nothing)');
is($coord->safe_psql('analytics',
	q{SELECT string_agg(logicalrelid::text, ' ' ORDER BY logicalrelid::text) FROM pg_dist_partition
	   WHERE logicalrelid::text IN ('offline_join.events', 'offline_join.sessions')}),
   'offline_join.events offline_join.sessions', 'the tables are distributed');
is($w2->safe_psql('analytics', q{SELECT extversion = (SELECT default_version FROM pg_available_extensions
                                                       WHERE name = 'offline_join')
                                   FROM pg_extension WHERE extname = 'offline_join'}),
   't', 'a worker has the extension, at the default version');
for my $node (@nodes)
{
	is($node->safe_psql('postgres', q{SELECT setting FROM pg_settings WHERE name = 'offline_join.transaction_window'}),
	   '90 days', $node->name . ': the transaction window of step 1');
}

# step 4: pg_cron runs ingest() in analytics and loads the next file
write_file('2026-03-02.csv', 4, 5);
(my $cron = step('pg_cron')) =~ s{'\*/10 \* \* \* \*'}{'* * * * *'};
($rc, $out, $err) = run_psql($coord, 'postgres', $cron);
is($rc, 0, 'step 4 runs on the coordinator') or diag($err);
ok($coord->poll_query_until('analytics',
	q{SELECT status = 'loaded' AND rows_loaded = 2 FROM offline_join.loads WHERE path ~ '/2026-03-02[.]csv$'}),
   'the pg_cron job loaded the next file');
# (ingest() commits each file before the run ends: wait for the run)
ok($coord->poll_query_until('postgres', q{SELECT count(*) > 0 FROM cron.job_run_details WHERE status = 'succeeded'}),
   'its run succeeded');
is($coord->safe_psql('analytics', q{SELECT count(*) || ' ' || count(DISTINCT load_id) FROM offline_join.events}),
   '5 2', 'five events of two loads, on the shards');
$coord->safe_psql('postgres', q{SELECT cron.unschedule('offline_join rmc')});

done_testing();
