# Scheduled loads and expiry with the real pg_cron (Debian 12 ships 1.4:
# minute schedules and @reboot; with 1.5 or later the jobs run every 2
# seconds instead).  load_dir(..., require_fin => true) and expire() run as
# cron jobs: two identical load jobs race at every run, a third runs at every
# server start.  Files are dropped into the folder while the jobs run, and a
# half-written file (no .fin yet) grows all the while.  In the end every
# file is loaded exactly once and whole, and expire() has purged the expired
# rows.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

my $node = PostgreSQL::Test::Cluster->new('cron');
plan skip_all => 'pg_cron is not installed'
  unless -f $node->config_data('--sharedir') . '/extension/pg_cron.control';
$node->init;
$node->start;
# the expiry worker waits quietly in a database without the extension, so
# the cron job is what purges here
$node->safe_psql('postgres', 'CREATE DATABASE quiet');
$node->stop;
my $host = $node->host;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_cron,offline_join'
cron.database_name = 'postgres'
cron.host = '$host'
offline_join.database = 'quiet'
offline_join.expire_naptime = 1
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

my $dir = $node->basedir . '/inbox';
mkdir $dir or die "mkdir $dir: $!";
my %rows;    # file name => rows written
sub write_file
{
	my ($name, $n, $fin) = @_;
	open(my $fh, '>', "$dir/$name") or die "$name: $!";
	print $fh "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n";
	print $fh "2026-03-02 14:05:11,CUST-$name-$_,7,c,SKU,1,2\n" for 1 .. $n;
	close $fh;
	$rows{$name} = $n;
	if ($fin)
	{
		open(my $mk, '>', "$dir/$name.fin") or die "$name.fin: $!";
		close $mk;
	}
}
sub append_rows
{
	my ($name, $n) = @_;
	open(my $fh, '>>', "$dir/$name") or die "$name: $!";
	print $fh "2026-03-02 14:05:11,CUST-$name-" . ($rows{$name} + $_) . ",7,c,SKU,1,2\n" for 1 .. $n;
	close $fh;
	$rows{$name} += $n;
}

# pg_cron 1.5 and later run jobs every few seconds; 1.4 at most every minute
my $version = sql("SELECT default_version FROM pg_available_extensions WHERE name = 'pg_cron'");
my ($major, $minor) = $version =~ /^(\d+)\.(\d+)/;
my $every = ($major > 1 || $minor >= 5) ? '2 seconds' : '* * * * *';
note "pg_cron $version: the load and expire jobs run '$every'";
my $load = "SELECT count(*) FROM offline_join.load_dir('rmc', '$dir/*.csv', require_fin => true)";
sql(qq{
CREATE EXTENSION pg_cron;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
SELECT 'old-' || i, 'v', '2020-01-01', '2020-02-01' FROM generate_series(1, 500) i
UNION ALL
SELECT 'new-' || i, 'v', now(), now() + interval '30 days' FROM generate_series(1, 50) i;
SELECT cron.schedule('offline-rmc', '$every', \$\$$load\$\$);
SELECT cron.schedule('offline-rmc-2', '$every', \$\$$load\$\$);
SELECT cron.schedule('offline-rmc-boot', '\@reboot', \$\$$load\$\$);
SELECT cron.schedule('offline-expire', '$every', \$\$SELECT offline_join.expire()\$\$);
});

# boot run n of the @reboot job has finished
sub boot_runs_done
{
	my ($n) = @_;
	ok($node->poll_query_until('postgres', qq{
SELECT count(*) >= $n FROM cron.job_run_details d JOIN cron.job j USING (jobid)
 WHERE j.jobname = 'offline-rmc-boot' AND d.end_time IS NOT NULL}), "boot run $n of the load job finished");
}

# --- a complete file and a half-written one; the @reboot job runs at start
write_file('a.csv', 20, 1);
write_file('b.csv', 3, 0);
$node->restart;
boot_runs_done(1);
is(sql("SELECT string_agg(path || ' ' || status || ' ' || rows_loaded, ',') FROM offline_join.loads"),
   "$dir/a.csv loaded 20", 'the complete file is loaded; the half-written one is not read');

# --- drop files while the scheduled jobs run: until each of them has run
# once from now on (with pg_cron 1.4: at the next minute)
my $since = sql('SELECT now()');
my $minute_done = qq{
SELECT count(DISTINCT j.jobname) = 3 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
 WHERE j.jobname IN ('offline-rmc', 'offline-rmc-2', 'offline-expire')
   AND d.start_time > '$since' AND d.end_time IS NOT NULL};
my $k = 0;
my $deadline = time + 90;
while (sql($minute_done) ne 't')
{
	die 'the scheduled jobs did not run' if time > $deadline;
	write_file(sprintf('c%03d.csv', ++$k), 5 + $k % 7, 1);
	append_rows('b.csv', 1);
	usleep(300_000);
}
# a few more while the jobs may still be finishing
for (1 .. 3)
{
	write_file(sprintf('c%03d.csv', ++$k), 5, 1);
	append_rows('b.csv', 1);
}
note "dropped $k files while the jobs ran";
ok(sql("SELECT count(*) > 0 FROM offline_join.loads WHERE path LIKE '$dir/c%'"),
   'the scheduled jobs loaded files dropped meanwhile');
is(sql("SELECT count(*) FROM offline_join.loads WHERE path = '$dir/b.csv'"), '0',
   'the growing file without .fin is never read');

# --- the expire() job purged the expired rows
is(sql("SELECT count(*) FILTER (WHERE transaction_id LIKE 'old-%') || ' ' || count(*) FROM offline_join.transactions"),
   '0 50', 'the expire() job purged the 500 expired rows and kept the others');
is(sql("SELECT who || ' ' || deleted FROM offline_join.expiry_runs"), 'expire() 500',
   'its pass is in expiry_runs');

# --- finish the upload of b.csv, add one more, restart: the @reboot job
append_rows('b.csv', 5);
open(my $mk, '>', "$dir/b.csv.fin") or die;
close $mk;
write_file('late.csv', 4, 1);
$node->restart;
boot_runs_done(2);
my $files = keys %rows;
ok($node->poll_query_until('postgres', "SELECT count(DISTINCT path) = $files FROM offline_join.loads"),
   "all $files files have a ledger row");

# --- exactly once, and whole
is(sql("SELECT count(*) FROM offline_join.loads"), $files, 'one ledger row per file, however many runs');
is(sql("SELECT string_agg(DISTINCT status, ',') FROM offline_join.loads"), 'loaded', 'all loaded');
my $expected = join(',', map { "$dir/$_ $rows{$_}" } sort keys %rows);
is(sql(qq{SELECT string_agg(path || ' ' || rows_loaded, ',' ORDER BY path) FROM offline_join.loads}),
   $expected, 'each file with all its rows (b.csv only once complete)');
is(sql("SELECT count(*) FROM offline_join.events"), eval { my $s = 0; $s += $_ for values %rows; $s },
   'every row in events exactly once');
is(sql(q{SELECT count(*) FROM cron.job_run_details WHERE status <> 'succeeded' AND end_time IS NOT NULL}),
   '0', 'every cron run succeeded');
note sql(q{SELECT string_agg(j.jobname || ': ' || d.status || ' ' || coalesce(d.return_message, ''), E'\n' ORDER BY d.runid)
             FROM cron.job_run_details d JOIN cron.job j USING (jobid)});

$node->stop;
done_testing();
