# Files that are not what they seem, and failures that pass: a named pipe
# (open() on it used to block beyond cancel and terminate), an unreadable
# file, a 40 GB one-line file being skipped, and load_dir()'s rule for what
# it tries again (issue 13, defects 5 and 10).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('file_kinds');
$node->init;
$node->start;
my $dir = $node->basedir . '/in';
mkdir $dir;
chmod 0755, $dir;

my $hdr = "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n";
sub put
{
	my ($name, $content) = @_;
	open(my $fh, '>:raw', "$dir/$name") or die "$name: $!";
	print $fh $content;
	close $fh;
}
put('a_good.csv', $hdr . "2026-03-02 14:05:11,CUST-1,7,c,SKU,1,2\n");
put('c_bad_header.csv', "Time Stamp,Customer ID\n");
put('d_locked.csv', $hdr . "2026-03-02 14:05:11,CUST-4,7,c,SKU,1,2\n");
chmod 0000, "$dir/d_locked.csv";
system('mkfifo', "$dir/b_pipe.csv") == 0 or die "mkfifo: $!";

$node->safe_psql('postgres', q{
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
});

# Runs SQL with a guard: a statement that blocks is cut off after 20 s
# (statement_timeout), so a hang fails the test instead of stalling it.
sub timed
{
	my ($sql) = @_;
	my $t0 = time;
	my ($rc, $out, $err) = $node->psql('postgres', "SET statement_timeout = '20s'; $sql");
	return ($rc, $out, $err, time - $t0);
}

# 1. A named pipe is refused at once by load(), validate_file() and the FDW,
#    naming the file and saying what it is.
for my $call ("SELECT * FROM offline_join.load('rmc', '$dir/b_pipe.csv')",
			  "SELECT * FROM offline_join.validate_file('rmc', '$dir/b_pipe.csv')",
			  "SELECT offline_join.create_foreign_table('pipe_ft', 'rmc', '$dir/b_pipe.csv'); SELECT count(*) FROM pipe_ft")
{
	my ($rc, $out, $err, $secs) = timed($call);
	isnt($rc, 0, "a FIFO fails: $call");
	like($err, qr/"\Q$dir\E\/b_pipe\.csv" is not a regular file/, 'the error names the file');
	like($err, qr/not named pipes/, 'and says it is a named pipe');
	cmp_ok($secs, '<', 10, "without blocking (${secs}s)");
}

# 2. load_dir() over a folder holding a pipe, a bad header and an unreadable
#    file: the good file loads; the pipe and the unreadable file are tried
#    again on the next run; the bad header is final for its content.
my ($rc, $out, $err, $secs) = timed(
	"SELECT regexp_replace(path, '^.*/', '') || ' ' || status || ' ' || coalesce(retryable::text, '-') "
	. "FROM offline_join.load_dir('rmc', '$dir/*.csv') ORDER BY path");
is($rc, 0, 'load_dir over the folder succeeds');
cmp_ok($secs, '<', 10, "load_dir does not block on the pipe (${secs}s)");
is($out, join("\n", 'a_good.csv loaded -', 'b_pipe.csv failed true',
			  'c_bad_header.csv failed false', 'd_locked.csv failed true'),
   'each file with its status and whether it is retried');
like($err, qr/could not load "[^"]*b_pipe\.csv".*\n.*tries it again on its next run/,
	 'WARNING for the pipe says it is tried again');
like($err, qr/c_bad_header\.csv".*\n.*content is at fault/, 'WARNING for the header says the content is at fault');

# a second run: the pipe and the locked file are tried again and warn again,
# but their ledger rows are brought up to date, not added to
my $ledger = "SELECT count(*) FROM offline_join.loads";
is($node->safe_psql('postgres', $ledger), '4', 'four ledger rows after the first run');
my $stamps = "SELECT string_agg(finished_at::text, ',' ORDER BY load_id) FROM offline_join.loads WHERE retryable";
my $before = $node->safe_psql('postgres', $stamps);
($rc, $out, $err) = timed(
	"SELECT regexp_replace(path, '^.*/', '') || ' ' || status FROM offline_join.load_dir('rmc', '$dir/*.csv') ORDER BY path");
is($out, "b_pipe.csv failed\nd_locked.csv failed", 'the second run tries the retryable failures only');
like($err, qr/b_pipe\.csv".*\n.*failed the same way before/, 'and says they failed before');
is($node->safe_psql('postgres', $ledger), '4', 'still four ledger rows');
isnt($node->safe_psql('postgres', $stamps), $before, 'the retried rows were brought up to date');
is($node->safe_psql('postgres', "SELECT count(*) FROM offline_join.loads WHERE retryable AND message LIKE '%not a regular file%'"),
   '1', 'the pipe\'s row says why');

# the fix: the file becomes readable, the pipe is replaced by a file
chmod 0644, "$dir/d_locked.csv";
unlink "$dir/b_pipe.csv";
put('b_pipe.csv', $hdr . "2026-03-02 14:05:11,CUST-2,7,c,SKU,1,2\n");
($rc, $out, $err) = timed(
	"SELECT regexp_replace(path, '^.*/', '') || ' ' || status || ' ' || rows_loaded FROM offline_join.load_dir('rmc', '$dir/*.csv') ORDER BY path");
is($out, "b_pipe.csv loaded 1\nd_locked.csv loaded 1", 'fixed files load on the next run');
is($node->safe_psql('postgres', $ledger), '6', 'with one new ledger row each');
($rc, $out, $err) = timed("SELECT count(*) FROM offline_join.load_dir('rmc', '$dir/*.csv')");
is($out, '0', 'and a further run finds nothing to do');
# a fixed header is new content: loaded
put('c_bad_header.csv', $hdr . "2026-03-02 14:05:11,CUST-3,7,c,SKU,1,2\n");
($rc, $out, $err) = timed(
	"SELECT regexp_replace(path, '^.*/', '') || ' ' || status FROM offline_join.load_dir('rmc', '$dir/*.csv')");
is($out, 'c_bad_header.csv loaded', 'a corrected header is loaded');
is($node->safe_psql('postgres', "SELECT count(*) FROM offline_join.events"), '4', 'every good row once');

# 3. Skipping an over-long record serves cancel: a 40 GB one-line sparse
#    file is cut off by statement_timeout within a second or two (0.1.1:
#    72 s).  Where the file system has no sparse files, skip.
SKIP:
{
	my $big = "$dir/huge.csv";
	put('huge.csv', $hdr . "2026-03-02 14:05:11,CUST-9,");
	skip 'no sparse files here', 3 unless truncate($big, 40 * 1024 ** 3);
	skip 'the file system allocated the blocks', 3 if (stat($big))[12] * 512 > 1024 ** 3;
	my $t0 = time;
	($rc, $out, $err) = $node->psql('postgres',
		"SET statement_timeout = '1s'; SELECT * FROM offline_join.validate_file('rmc', '$big')");
	my $took = time - $t0;
	isnt($rc, 0, 'validate_file on 40 GB is cancelled');
	like($err, qr/canceling statement due to statement timeout/, 'by the timeout');
	cmp_ok($took, '<', 6, "within seconds (${took}s)");
	unlink $big;
}

is($node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (wait_event = 'FifoOpen' OR state = 'active' AND query LIKE '%offline_join.%')"),
   '0', 'no backend left behind');
$node->stop;
done_testing();
