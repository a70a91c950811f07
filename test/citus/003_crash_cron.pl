# The Citus layout under failure, and scheduled: the coordinator backend
# running load() is killed with SIGKILL while it reads the file, and again
# while Citus sends its rows to the workers; after recovery nothing of that
# load is anywhere (no event on any shard, no reject, no ledger row, no
# prepared transaction left on a worker), and the file then loads exactly
# once.  Then pg_cron on the coordinator runs load_dir() on the layout.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/citus';
use OjCitus;

my ($coord, $w1, $w2) = OjCitus::cluster();
$coord->append_conf('postgresql.conf', "restart_after_crash = on\n");
$coord->reload;
my $dir = $coord->basedir;
my $rows = 400000;
sub coord { return $coord->safe_psql('postgres', $_[0]); }

coord(qq{
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
INSERT INTO offline_join.sessions
SELECT 's' || i, 'v' || i, 'CUST-' || i, timestamptz '2026-03-01 10:00+00', '{}' FROM generate_series(1, 20000) i;
SELECT offline_join.distribute();
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
      UNION ALL
      SELECT '2026-03-02 14:05:11,CUST-' || (i % 40000) || ',7,c,SKU,1,' || CASE WHEN i % 100 = 0 THEN 'x' ELSE '2' END
        FROM generate_series(1, $rows) i) TO '$dir/big.csv';
});
my $counts = q{SELECT (SELECT count(*) FROM offline_join.events) || ' ' ||
                      (SELECT count(*) FROM offline_join.rejects) || ' ' ||
                      (SELECT count(*) FROM offline_join.loads)};
my $prepared = q{SELECT coalesce(sum(result::int), 0) FROM run_command_on_workers('SELECT count(*) FROM pg_prepared_xacts')};

# Starts load() in a background session, waits until $ready holds (on
# $where), and kills the coordinator backend with SIGKILL.
sub kill_when
{
	my ($where, $ready, $what) = @_;
	my $bg = $coord->background_psql('postgres', on_error_stop => 0);
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	$bg->query_until(qr/started/, "\\echo started\nSELECT offline_join.load('rmc', '$dir/big.csv');\n");
	ok($where->poll_query_until('postgres', $ready =~ s/PID/$pid/gr), "load() $what");
	kill 'KILL', $pid;
	eval { $bg->quit; };
	# the postmaster restarts everything after a backend dies this way
	# (psql may exit before it reads its input while the server recovers)
	# (as long as the framework waits for anything: a loaded machine recovers slowly)
	for my $try (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
	{
		my $up = eval { $coord->safe_psql('postgres', 'SELECT 1') };
		return if defined $up && $up eq '1';
		select(undef, undef, undef, 0.1);
	}
	die "coordinator did not come back";
}

kill_when($coord, q{SELECT coalesce(sum(tuples_processed), 0) > 100000
                      FROM pg_stat_progress_copy WHERE pid = PID}, 'is reading the file');
is(coord($counts), '0 0 0', 'killed while reading: no events, rejects or ledger rows');

# Citus sends the rows to the shards with COPY over its own connections
kill_when($w1, q{SELECT count(*) > 0 FROM pg_stat_activity
                  WHERE query LIKE 'COPY offline_join.events%' OR query LIKE 'COPY offline_join.rejects%'},
          'is writing to the workers');
is(coord($counts), '0 0 0', 'killed while writing to the workers: nothing of the load');
ok($coord->poll_query_until('postgres', "SELECT ($prepared) = 0 OR recover_prepared_transactions() IS NULL"),
   'no prepared transaction is left on the workers');
is(coord($prepared), '0', 'and none remains');
my $shard_rows = q{SELECT sum(n) FROM (SELECT (run_command_on_shards('offline_join.events',
                    'SELECT count(*) FROM %s')).result::bigint AS n) s};
is(coord($shard_rows), '0', 'no row on any shard of events');

is(coord(qq{SELECT status || ' ' || rows_loaded || ' ' || rows_rejected FROM offline_join.load('rmc', '$dir/big.csv')}),
   'loaded 396000 4000', 'the file then loads exactly once');
is(coord(qq{SELECT status FROM offline_join.load('rmc', '$dir/big.csv')}), 'duplicate',
   'loading it again is a duplicate');
is(coord($counts), '396000 4000 2', 'one load of it, and one duplicate row');
is(coord($shard_rows), '396000', 'every event is on a shard');

# pg_cron on the coordinator: load_dir() on the Citus layout
for my $i (1 .. 2)
{
	open(my $fh, '>', "$dir/cron_$i.csv") or die;
	print $fh "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n"
	  . "2026-03-02 14:05:1$i,CUST-$i,7,shoes,SKU-1,1,9.95\n"
	  . "2026-03-02 14:05:1$i,NOBODY,7,shoes,SKU-1,1,9.95\n";
	close $fh;
	chmod 0644, "$dir/cron_$i.csv";
}
coord(qq{SET client_min_messages = warning; CREATE EXTENSION pg_cron;
SELECT cron.schedule('offline files', '\@reboot', \$\$SELECT count(*) FROM offline_join.load_dir('rmc', '$dir/cron_*.csv')\$\$)});
$coord->restart;
ok($coord->poll_query_until('postgres', q{SELECT count(*) > 0 FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')}),
   'the pg_cron job ran');
is(coord(q{SELECT status || ' ' || coalesce(return_message, '') FROM cron.job_run_details}), 'succeeded 1 row',
   'the pg_cron load_dir() job succeeded');
is(coord(q{SELECT string_agg(rows_loaded || '/' || rows_matched, ' ' ORDER BY load_id) FROM offline_join.loads
            WHERE path ~ '/cron_[12][.]csv$'}), '2/1 2/1', 'it loaded both files, each matched by customer');
is(coord(q{SELECT string_agg(e.session_id, ' ' ORDER BY e.session_id) FROM offline_join.events e
            WHERE e.load_id IN (SELECT load_id FROM offline_join.loads WHERE path ~ '/cron_[12][.]csv$') AND e.match = 'customer'}),
   's1 s2', 'each to its session');

# load_dir() on the layout with a file it cannot read (issue #25): the good
# file loads, the unreadable one gets a failed ledger row, and the next run
# brings that row up to date.  0.1.4's update of it called
# clock_timestamp(), which Citus refuses in an UPDATE of a reference table:
# the whole call failed, on every run, and the good files never loaded.
for my $name ('retry_a', 'retry_b')
{
	open(my $fh, '>', "$dir/$name.csv") or die;
	print $fh "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n"
	  . "2026-03-02 14:05:11,CUST-$name,7,shoes,SKU-1,1,9.95\n";
	close $fh;
}
chmod 0000, "$dir/retry_a.csv";
chmod 0644, "$dir/retry_b.csv";
for my $run (1 .. 2)
{
	my ($ret, $out, $err) = $coord->psql('postgres',
		qq{SELECT string_agg(status, ' ' ORDER BY path) FROM offline_join.load_dir('rmc', '$dir/retry_*.csv')});
	is($ret, 0, "run $run of load_dir() over an unreadable file: no error");
	is($out, $run == 1 ? 'failed loaded' : 'failed', "run $run: the unreadable file failed" . ($run == 1 ? ', the other loaded' : ''));
	like($err, qr/WARNING:  could not load "\Q$dir\E\/retry_a.csv": could not open file/, "run $run: a WARNING names it");
}
is(coord(q{SELECT string_agg(status || ' ' || retryable, ', ' ORDER BY load_id) FROM offline_join.loads WHERE path ~ '/retry_a[.]csv$'}),
   'failed true', 'one ledger row for the unreadable file, brought up to date');
chmod 0644, "$dir/retry_a.csv";
is(coord(qq{SELECT string_agg(status, ' ' ORDER BY path) FROM offline_join.load_dir('rmc', '$dir/retry_*.csv')}),
   'loaded', 'readable again: it loads on the next run');

done_testing();
