# CALL offline_join.ingest() as a pg_cron job: each waiting file of the
# source's folder (its option pattern) loads in its own transaction, and a
# file that fails makes the run end with an ERROR naming it, so that
# cron.job_run_details shows the run as failed while the good files stay
# loaded; source_status and the docs' alerting query show the failure.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('ingest');
plan skip_all => 'pg_cron is not installed'
  unless -f $node->config_data('--sharedir') . '/extension/pg_cron.control';
$node->init;
my $host = $node->host;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_cron,offline_join'
cron.database_name = 'postgres'
cron.host = '$host'
offline_join.database = 'postgres'
});
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }

my $dir = $node->basedir . '/folder';
mkdir $dir or die "mkdir $dir: $!";
sub write_file
{
	my ($name, @lines) = @_;
	open(my $fh, '>', "$dir/$name") or die "$name: $!";
	print $fh "$_\n" for @lines;
	close $fh;
}
my $header = 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2';
write_file('a_good.csv', $header, '2026-03-02 14:05:11,C1,7,c,SKU,1,2', '2026-03-02 14:05:12,C2,7,c,SKU,1,2');
write_file('b_bad.csv', 'Time Stamp,Customer ID', '2026-03-02 14:05:11,C1');
write_file('c_good.csv', $header, '2026-03-03 09:00:00,C3,7,c,SKU,1,2');

my $version = sql("SELECT default_version FROM pg_available_extensions WHERE name = 'pg_cron'");
my ($major, $minor) = $version =~ /^(\d+)\.(\d+)/;
my $every = ($major > 1 || $minor >= 5) ? '2 seconds' : '* * * * *';
note "pg_cron $version: the ingest job runs '$every'";
sql(qq{
CREATE EXTENSION pg_cron;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('shop', 'rmc', '{"pattern": "$dir/*.csv"}');
SELECT cron.schedule('ingest-shop', '$every', \$\$CALL offline_join.ingest('shop')\$\$);
});
# a second source, whose job loads with two workers side by side
my $dir2 = $node->basedir . '/folder2';
mkdir $dir2 or die "mkdir $dir2: $!";
for my $k (1 .. 3)
{
	open(my $fh, '>', "$dir2/w$k.csv") or die;
	print $fh "$header\n", map { "2026-03-04 10:00:00,W$k-$_,7,c,SKU,1,2\n" } 1 .. 100;
	close $fh;
}
sql(qq{
SELECT offline_join.create_source('shop2', 'rmc', '{"pattern": "$dir2/*.csv"}');
SELECT cron.schedule('ingest-shop2', '$every', \$\$CALL offline_join.ingest('shop2', workers => 2)\$\$);
});
is(sql(q{SELECT waiting_files FROM offline_join.source_status WHERE source = 'shop'}), '3', 'three files wait');

ok($node->poll_query_until('postgres', q{
SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
 WHERE j.jobname = 'ingest-shop' AND d.end_time IS NOT NULL}, 't'), 'the job ran');
my ($status, $message) = split /\|/, sql(q{SELECT d.status, d.return_message FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                                            WHERE j.jobname = 'ingest-shop' AND d.end_time IS NOT NULL ORDER BY d.runid LIMIT 1});
is($status, 'failed', 'the run that met a failing file is failed in cron.job_run_details');
like($message, qr/offline_join\.ingest\('shop'\): 1 of 3 files failed: \Q$dir\E\/b_bad\.csv \(load \d+: .*header/,
     'its message names the file that failed and why');
is(sql(q{SELECT string_agg(substr(path, length(path) - 9) || ' ' || status, ', ' ORDER BY path) FROM offline_join.loads WHERE source = 'shop'}),
   'a_good.csv loaded, /b_bad.csv failed, c_good.csv loaded', 'the good files stay loaded, before and after the bad one');
is(sql(q{SELECT count(*) FROM offline_join.events WHERE source = 'shop'}), '3', 'their rows are in events');
is(sql(q{SELECT last_status || ' ' || failed_files || ' ' || waiting_files FROM offline_join.source_status WHERE source = 'shop'}),
   'loaded 1 0', 'source_status: one failed file, none waiting');
# the docs' alerting query (doc/operations.md)
is(sql(q{
SELECT string_agg(s.source || ': ' || s.failed_files || ' failed', '; ')
  FROM offline_join.source_status AS s
 WHERE s.failed_files > 0 OR s.last_load_at < now() - interval '1 day'}),
   'shop: 1 failed', 'the alerting query names the source');

# the job with workers (scheduled with the first, above): the run succeeded
ok($node->poll_query_until('postgres', q{
SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
 WHERE j.jobname = 'ingest-shop2' AND d.end_time IS NOT NULL}, 't'), 'the job with workers ran');
is(sql(q{SELECT d.status || ' ' || coalesce(d.return_message, '') FROM cron.job_run_details d JOIN cron.job j USING (jobid)
          WHERE j.jobname = 'ingest-shop2' AND d.end_time IS NOT NULL ORDER BY d.runid LIMIT 1}),
   'succeeded CALL', 'its run succeeded in cron.job_run_details');
is(sql(q{SELECT count(*) || ' ' || sum(rows_loaded) FROM offline_join.loads WHERE source = 'shop2' AND status = 'loaded'}),
   '3 300', 'its three files are loaded');

$node->stop;
done_testing();
