# A folder that keeps its files, and patterns that take long (issue #25).
#
# load_dir() held one advisory lock per file until it ended, also for files
# it skipped as loaded: a folder of thousands of files filled the shared
# lock table ("out of shared memory", for other sessions too).  It now
# holds one lock per source however large the folder; this runs it over
# 5,000 files with max_locks_per_transaction = 10.
#
# libc's glob() served no cancel: a deep pattern held the backend past
# statement_timeout, pg_cancel_backend and pg_terminate_backend, on every
# entry point that expands one (load_dir, the FDW's planning, EXPLAIN).
# A folder given without a pattern matched nothing, silently.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('folders');
$node->init;
$node->append_conf('postgresql.conf', "max_locks_per_transaction = 10\nmax_connections = 20\n");
$node->start;
my $dir = $node->basedir . '/in';
mkdir $dir or die "mkdir $dir: $!";

my $files = 5000;
for my $i (1 .. $files)
{
	my $name = sprintf("%s/sales-%05d.csv", $dir, $i);
	open(my $fh, '>', $name) or die "open $name: $!";
	print $fh "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n";
	print $fh "2026-03-02 14:05:11,CUST-$i,7,shoes,SKU-1,1,9.95\n";
	close $fh;
}
$node->safe_psql('postgres', q{
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
});

# the first run loads every file; another session works meanwhile
my $other = $node->background_psql('postgres');
my $t0 = time;
my $loader = $node->background_psql('postgres', on_error_stop => 0);
$loader->query_until(qr/started/, qq{
\\echo started
SET client_min_messages = warning;
SELECT count(*) FROM offline_join.load_dir('rmc', '$dir/*.csv');
});
ok($node->poll_query_until('postgres', q{
SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%load_dir%' AND state = 'active' AND pid <> pg_backend_pid()}),
   'load_dir() runs');
is($other->query_safe('CREATE TEMP TABLE t (i int); SELECT count(*) FROM pg_class WHERE relname = \'t\''), '1',
   'another session creates a table while load_dir() runs');
my $max_locks = 0;
while (1)
{
	my $n = $other->query_safe(q{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'});
	$max_locks = $n if $n > $max_locks;
	last if $node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%load_dir%' AND state = 'active' AND pid <> pg_backend_pid()}) eq '0';
	sleep 0.2;
}
$loader->query('\\echo done');
is($loader->{stderr}, '', 'load_dir() ended without an error');
is($node->safe_psql('postgres', q{SELECT count(*) FILTER (WHERE status = 'loaded') || ' ' || count(*) FROM offline_join.loads}),
   "$files $files", "all $files files loaded in one run");
note sprintf('%d files in %.1f s', $files, time - $t0);
cmp_ok($max_locks, '<=', 1, 'at most one advisory lock held while it ran');
$loader->quit;
$other->quit;

# later runs skip them all, and take no lock per file either
is($node->safe_psql('postgres', qq{
SELECT count(*) FROM offline_join.load_dir('rmc', '$dir/*.csv')}), '0', 'a second run loads nothing');
is($node->safe_psql('postgres', q{SELECT count(*) FROM offline_join.events}), $files, 'each row once');

# a folder without a pattern: an ERROR with the pattern to use
my ($ret, $stdout, $stderr) = $node->psql('postgres', qq{SELECT * FROM offline_join.load_dir('rmc', '$dir')});
like($stderr, qr/ERROR:  "\Q$dir\E" is a directory, not a pattern for its files\nHINT:  Give a pattern such as '\Q$dir\E\/\*\.csv'\./,
     'a folder without a pattern: ERROR with a hint');

# the walker keeps the pattern's separators and its trailing '/' as glob(3)
# does: the paths in the ledger stay the ones 0.1.4 recorded
my $dslash = $node->basedir . '//in/sales-0000[12].csv';
is($node->safe_psql('postgres', qq{SELECT string_agg(status, ' ') FROM offline_join.load_dir('rmc', '$dslash')}),
   'duplicate duplicate', 'a "//" pattern: its files, under the paths it spells, are duplicates');
is($node->safe_psql('postgres', qq{SELECT string_agg(path, ' ' ORDER BY path) FROM offline_join.loads WHERE path LIKE '%//in/%'}),
   $node->basedir . '//in/sales-00001.csv ' . $node->basedir . '//in/sales-00002.csv', 'with "//" kept');
is($node->safe_psql('postgres', qq{SELECT count(*) FROM offline_join.load_dir('rmc', '$dir/*.csv/')}), '0',
   'a pattern ending in "/" matches directories only');

# A deep pattern over /sys (tens of seconds for libc's glob) answers a
# statement_timeout within a second, on each entry point.
my $deep = '/sys/*/*/*/*/*/*/*/*.csv';
$node->safe_psql('postgres', qq{
CREATE SERVER files FOREIGN DATA WRAPPER offline_join_fdw;
CREATE FOREIGN TABLE deep (customer_id text) SERVER files OPTIONS (source 'rmc', filename '$deep');
});
for my $q ("SELECT * FROM offline_join.load_dir('rmc', '$deep')",
		   "SELECT count(*) FROM deep",
		   "EXPLAIN SELECT * FROM deep")
{
	my $start = time;
	($ret, $stdout, $stderr) = $node->psql('postgres', "SET statement_timeout = '1s'; $q");
	my $took = time - $start;
	like($stderr, qr/canceling statement due to statement timeout/, "$q: cancelled by statement_timeout");
	cmp_ok($took, '<', 3, sprintf("$q: within a second of it (%.1f s)", $took));
}

# and pg_terminate_backend ends it at once
my $bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_until(qr/started/, qq{
\\echo started
SELECT * FROM offline_join.load_dir('rmc', '$deep');
});
ok($node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%load_dir%sys%' AND state = 'active' AND pid <> pg_backend_pid()}),
   'a deep load_dir() runs');
my $start = time;
$node->safe_psql('postgres', q{
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%load_dir%sys%' AND pid <> pg_backend_pid()});
ok($node->poll_query_until('postgres', q{
SELECT count(*) = 0 FROM pg_stat_activity WHERE query LIKE '%load_dir%sys%' AND pid <> pg_backend_pid()}),
   'terminated');
cmp_ok(time - $start, '<', 3, 'within a second or so of pg_terminate_backend');
eval { $bg->quit; };    # its backend is gone

$node->stop;
done_testing();
