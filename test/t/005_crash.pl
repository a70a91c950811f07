# Crash atomicity: a backend killed with SIGKILL in the middle of a large
# load() or of a large COPY into an inbox leaves, after crash recovery, no
# events, rejects or ledger rows of that load; the same file then loads
# exactly once, and loading it again is a duplicate.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;
my $dir = $node->basedir;
my $file = "$dir/big.csv";
my $rows = 600000;

$node->safe_psql('postgres', qq{
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_inbox('rmc');
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
      UNION ALL
      SELECT '2026-03-02 14:05:11,CUST-' || i || ',7,c,SKU,1,' || CASE WHEN i % 100 = 0 THEN 'x' ELSE '2' END
        FROM generate_series(1, $rows) i) TO '$file';
});
my $counts = q{SELECT (SELECT count(*) FROM offline_join.events) || ' ' ||
                      (SELECT count(*) FROM offline_join.rejects) || ' ' ||
                      (SELECT count(*) FROM offline_join.loads)};

# Starts $sql in a background session, waits until it has written part of
# the rows (progress or events), and kills its backend with SIGKILL.
sub kill_midway
{
	my ($sql, $what) = @_;
	my $bg = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	$bg->query_until(qr/started/, "\\echo started\n$sql\n");
	ok($node->poll_query_until('postgres', qq{
		SELECT coalesce(sum(tuples_processed), 0) > 50000 AND sum(bytes_processed) > 2000000
		  FROM pg_stat_progress_copy WHERE pid = $pid}),
	   "$what is halfway");
	my $log_offset = -s $node->logfile;
	kill 'KILL', $pid;
	eval { $bg->quit; };
	# the postmaster restarts everything after a backend dies this way; a
	# query may still be served before it has noticed (a CI run on
	# PostgreSQL 17 lost the next query that way), so wait for the restart
	$node->wait_for_log(qr/all server processes terminated; reinitializing.*database system is ready to accept connections/s,
						$log_offset);
	$node->poll_query_until('postgres', 'SELECT true') or die "server did not come back";
}

kill_midway("SELECT offline_join.load('rmc', '$file');", 'load()');
is($node->safe_psql('postgres', $counts), '0 0 0', 'after the crash: no events, rejects or ledger rows');
is($node->safe_psql('postgres', "SELECT status || ' ' || rows_loaded || ' ' || rows_rejected FROM offline_join.load('rmc', '$file')"),
   'loaded 594000 6000', 'the file then loads exactly once');
is($node->safe_psql('postgres', "SELECT status FROM offline_join.load('rmc', '$file')"),
   'duplicate', 'loading it again is a duplicate');
is($node->safe_psql('postgres', $counts), '594000 6000 2', 'one load of it, and one duplicate row');

$node->safe_psql('postgres', 'TRUNCATE offline_join.events, offline_join.rejects, offline_join.loads');
kill_midway("COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM '$file' (FORMAT csv, HEADER);", 'COPY into the inbox');
is($node->safe_psql('postgres', $counts), '0 0 0', 'after the crash: nothing of the COPY');
$node->safe_psql('postgres', "COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM '$file' (FORMAT csv, HEADER)");
is($node->safe_psql('postgres', $counts), '594000 6000 1', 'the COPY then loads once, with one ledger row');
is($node->safe_psql('postgres', 'SELECT count(*) FROM offline_join.inbox_rmc'), '0', 'nothing stays in the inbox');

$node->stop;
done_testing();
