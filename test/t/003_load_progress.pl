# A long load() shows in pg_stat_progress_copy (bytes, tuples, rejected rows
# as excluded) and ends with one NOTICE summary.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('progress');
$node->init;
$node->start;
my $dir = $node->basedir;
my $file = "$dir/big.csv";

$node->safe_psql('postgres', qq{
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
      UNION ALL
      SELECT '2026-03-02 14:05:11,CUST-' || i || ',7,c,SKU,1,' || CASE WHEN i % 100 = 0 THEN 'x' ELSE '2' END
        FROM generate_series(1, 1000000) i) TO '$file';
});

# a lock held elsewhere makes the load wait in the middle: it takes the
# lock on sessions only when matching starts, after progress has begun
my $blocker = $node->background_psql('postgres');
$blocker->query_safe('BEGIN; LOCK offline_join.sessions IN ACCESS EXCLUSIVE MODE;');

my $loader = $node->background_psql('postgres');
$loader->query_until(qr/started/, qq{
\\echo started
SELECT status || ' ' || rows_loaded || ' ' || rows_rejected FROM offline_join.load('rmc', '$file');
});

ok($node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM pg_stat_progress_copy
 WHERE relid = 'offline_join.events'::regclass AND command = 'COPY FROM' AND type = 'FILE'
   AND bytes_total = (pg_stat_file('$file')).size}), 'load shows in pg_stat_progress_copy');
$blocker->query_safe('COMMIT;');
$blocker->quit;

# progress moves while the rows stream in (several seconds for 1M rows;
# the view is polled every 0.1 s and updated every 4096 rows)
ok($node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM pg_stat_progress_copy
 WHERE tuples_processed > 0 AND tuples_excluded > 0 AND bytes_processed > 0
   AND bytes_processed < bytes_total}), 'tuples, rejected rows and bytes are reported while loading');

# waits for the load to finish; the NOTICE arrives on stderr
my ($out) = $loader->query('\\echo done');
my $notices = $loader->{stderr};
$loader->quit;
like($out, qr/loaded 990000 10000/, 'load result');
like($notices,
     qr/NOTICE:  load 1 of "\Q$file\E" \(source "rmc"\): 1000000 rows, 990000 loaded, 10000 rejected, 0 matched/,
     'one NOTICE summary');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_stat_progress_copy'), '0',
   'progress row gone after the load');

# A file changed while it is loaded (found by an adversarial run: the
# ledger's bytes and sha256 described the file as it was hashed, its rows
# were read to the new end, and load_dir() then loaded it again).  The load
# waits on sessions after it has hashed the file and started reading; the
# file is changed meanwhile.  It fails, naming the file, and keeps nothing.
# changed_while_loading(NAME, CHANGE[, KEPT]): the load's stderr; CHANGE gets
# the path; KEPT: the rows the load keeps (0 when the change fails it)
sub changed_while_loading
{
	my ($name, $change, $kept) = @_;
	$kept //= 0;
	my $path = "$dir/$name.csv";
	$node->safe_psql('postgres', qq{
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
      UNION ALL SELECT '2026-03-02 14:05:11,$name-' || i || ',7,c,SKU,1,2' FROM generate_series(1, 300000) i) TO '$path';
});
	my $blocker = $node->background_psql('postgres');
	$blocker->query_safe('BEGIN; LOCK offline_join.sessions IN ACCESS EXCLUSIVE MODE;');
	my $loader = $node->background_psql('postgres', on_error_stop => 0);
	$loader->query_until(qr/started/, qq{
\\echo started
SELECT status FROM offline_join.load('rmc', '$path');
});
	ok($node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%$name.csv%'}),
	   "$name: the load waits for sessions, the file hashed");
	$change->($path);
	$blocker->query_safe('COMMIT;');
	$blocker->quit;
	$loader->query('\\echo done');
	my $err = $loader->{stderr};
	$loader->quit;
	is($node->safe_psql('postgres', qq{SELECT count(*) FROM offline_join.events WHERE customer_id LIKE '$name-%'}), $kept,
	   $kept ? "$name: every row of it kept" : "$name: no row of it kept");
	return ($path, $err);
}

my ($grow, $err) = changed_while_loading('grow', sub {
	open(my $fh, '>>', $_[0]) or die "open $_[0]: $!";
	print $fh "2026-03-02 14:05:11,grow-late,7,c,SKU,1,2\n";
	close($fh);
});
like($err, qr/ERROR:  file "\Q$grow\E" changed while it was loaded/, 'a file that grew while loaded: an ERROR naming it');
like($err, qr/DETAIL:  Its size changed: \d+ bytes when its SHA-256 was computed, \d+ bytes read for its rows, \d+ bytes now; nothing of it was kept/,
     'saying what changed');
is($node->safe_psql('postgres', qq{SELECT status || ' ' || rows_loaded FROM offline_join.load('rmc', '$grow')}),
   'loaded 300001', 'loaded once complete, every row');

# rewritten in place to the same length (the review): the byte count cannot
# tell, and a modification time set back (touch -r) cannot either; the
# bytes read for the rows are hashed as they are parsed, and the hash can
my $same;
($same, $err) = changed_while_loading('same', sub {
	my @st = stat($_[0]);
	open(my $fh, '+<', $_[0]) or die "open $_[0]: $!";
	seek($fh, -4, 2);
	print $fh "9,2\n";    # the last row's Num1 1 -> 9: same length
	close($fh);
	utime($st[8], $st[9], $_[0]) or die "utime: $!";
});
like($err, qr/ERROR:  file "\Q$same\E" changed while it was loaded\nDETAIL:  Its content changed: the bytes read for its rows have SHA-256 [0-9a-f]{64}, not the [0-9a-f]{64} computed first/,
     'a file rewritten in place to the same length, its time set back: the same ERROR, saying what changed');

# metadata is no change (0.1.4 threw a 600,000-row load away on a chmod):
# a chmod, a chown and a backup tool's hard link during the load
my $meta;
($meta, $err) = changed_while_loading('meta', sub {
	sleep 1.1;    # a change time the hash's cannot share
	chmod(0600, $_[0]) or die "chmod: $!";
	chmod(0644, $_[0]) or die "chmod: $!";
	my @st = stat($_[0]);
	chown($st[4], $st[5], $_[0]) or die "chown: $!";
	link($_[0], "$_[0].bak") or die "link: $!";
}, 300000);
unlike($err, qr/ERROR|WARNING/, 'a chmod, a chown and a hard link during a load: no error');
like($err, qr/NOTICE:  load \d+ of "\Q$meta\E" \(source "rmc"\): 300000 rows, 300000 loaded/, 'but its summary');
is($node->safe_psql('postgres', qq{SELECT status || ' ' || rows_loaded FROM offline_join.loads WHERE path = '$meta'}),
   'loaded 300000', 'the ledger says loaded, with every row');

$node->stop;
done_testing();
