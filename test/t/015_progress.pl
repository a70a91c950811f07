# offline_join.progress (issue #28) watched from another session: load()
# with its bytes growing, load_dir() file k of n, validate_file() (no load
# ID), a COPY into an inbox held open by a role that sees only its own
# loads; who sees which row; and no row left after a load ends, fails with
# an ERROR, is cancelled or its backend terminated.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('progress_view');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'offline_join'");
$node->start;
my $dir = $node->basedir;
my $big = "$dir/big.csv";

# a file of n rows (1 in 100 rejected), customer prefix p
sub put_file
{
	my ($path, $p, $n) = @_;
	$node->safe_psql('postgres', qq{
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
      UNION ALL
      SELECT '2026-03-02 14:05:11,$p-' || i || ',7,c,SKU,1,' || CASE WHEN i % 100 = 0 THEN 'x' ELSE '2' END
        FROM generate_series(1, $n) i) TO '$path';
});
}

$node->safe_psql('postgres', q{
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_inbox('rmc');
CREATE ROLE regress_pipe;     -- sends COPY into the inbox, reads no ledger
CREATE ROLE regress_other;    -- may use the schema, nothing more
CREATE ROLE regress_reader;   -- may read the ledger
GRANT USAGE ON SCHEMA offline_join TO regress_pipe, regress_other, regress_reader;
GRANT INSERT ON offline_join.inbox_rmc TO regress_pipe;
GRANT SELECT ON offline_join.loads TO regress_reader;
});
put_file($big, 'BIG', 1000000);
my $size = $node->safe_psql('postgres', "SELECT (pg_stat_file('$big')).size");

# what role sees of the running loads: "command|path|load_id" per row
sub seen_by
{
	my ($role) = @_;
	return $node->safe_psql('postgres', qq{
SET ROLE $role;
SELECT string_agg(command || '|' || coalesce(path, '-') || '|' || coalesce(load_id::text, '-'), ';' ORDER BY pid)
  FROM offline_join.progress;
});
}

# a lock on sessions makes a load wait once it has hashed its file, begun
# and its ledger ID is known: it takes the lock when matching starts
sub block_sessions
{
	my $blocker = $node->background_psql('postgres');
	$blocker->query_safe('BEGIN; LOCK offline_join.sessions IN ACCESS EXCLUSIVE MODE;');
	return $blocker;
}

# starts a statement in a session of its own; returns the session
sub start_statement
{
	my ($sql, %params) = @_;
	my $s = $node->background_psql('postgres', %params);
	$s->query_until(qr/started/, "\\echo started\n$sql\n");
	return $s;
}

# --- load(): the row, its fields, bytes growing, who sees it, gone after
my $blocker = block_sessions();
my $loader = start_statement("SELECT status FROM offline_join.load('rmc', '$big');");
ok($node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM offline_join.progress
 WHERE command = 'load' AND source = 'rmc' AND path = '$big' AND phase = 'loading'
   AND load_id IS NOT NULL AND bytes_total = $size AND bytes_done = 0 AND rows_done = 0 AND role = current_user
   AND file_no IS NULL AND files_total IS NULL AND started_at <= now()}),
   'load(): its row, with source, path, load ID, size, phase and role');
is(seen_by('regress_other'), '', 'a role that may not read the ledger sees nothing of it');
is(seen_by('regress_reader'), "load|$big|1", 'a role that may read the ledger sees it');
is($node->safe_psql('postgres', q{
SELECT a.pid = p.pid FROM pg_stat_activity a JOIN offline_join.progress p ON p.pid = a.pid
 WHERE a.query LIKE '%offline_join.load(%'}), 't', 'pid is the loading backend');
# the same file loaded meanwhile by another session: hashed, it waits for
# the first load's content lock to learn whether it is a duplicate
my $second = start_statement("SELECT status FROM offline_join.load('rmc', '$big');");
ok($node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM offline_join.progress
 WHERE command = 'load' AND path = '$big' AND phase = 'checking ledger' AND load_id IS NULL
   AND bytes_done = $size AND bytes_total = $size}),
   'a second load of the same content: hashed, waiting in the ledger check, no load ID');
$blocker->query_safe('COMMIT;');
$blocker->quit;
ok($node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM offline_join.progress
 WHERE rows_done > 0 AND rows_rejected > 0 AND bytes_done > 0 AND bytes_done < bytes_total}),
   'rows, rejected rows and bytes are reported while loading');
my $b1 = $node->safe_psql('postgres', "SELECT bytes_done FROM offline_join.progress WHERE phase = 'loading'");
ok($node->poll_query_until('postgres',
	"SELECT coalesce(bool_or(bytes_done > $b1), true) FROM offline_join.progress WHERE load_id IS NOT NULL"),
   'bytes_done grows');
like($loader->query('\\echo done'), qr/loaded/, 'the load ends');
$loader->quit;
like($second->query('\\echo done'), qr/duplicate/, 'the second one ends as a duplicate');
$second->quit;
is($node->safe_psql('postgres', 'SELECT count(*) FROM offline_join.progress'), '0', 'its row is gone after the load');

# --- load_dir(): file k of n, each file's load ID
put_file("$dir/d1.csv", 'D1', 300000);
put_file("$dir/d2.csv", 'D2', 300000);
put_file("$dir/d3.csv", 'D3', 300000);
$node->safe_psql('postgres', "COPY (SELECT '') TO '$dir/d2.csv.fin'");
$blocker = block_sessions();
$loader = start_statement("SELECT count(*) FROM offline_join.load_dir('rmc', '$dir/d*');");
ok($node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM offline_join.progress
 WHERE command = 'load_dir' AND path = '$dir/d1.csv' AND file_no = 1 AND files_total = 3
   AND load_id IS NOT NULL AND phase = 'loading'}),
   'load_dir(): file 1 of 3 (the .fin marker is no file), with its load ID');
my $first_id = $node->safe_psql('postgres', 'SELECT load_id FROM offline_join.progress');
$blocker->query_safe('COMMIT;');
$blocker->quit;
ok($node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM offline_join.progress
 WHERE command = 'load_dir' AND path = '$dir/d2.csv' AND file_no = 2 AND files_total = 3
   AND load_id > $first_id}),
   'then file 2 of 3, with a load ID of its own');
ok($node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM offline_join.progress WHERE path = '$dir/d3.csv' AND file_no = 3}),
   'then file 3 of 3');
like($loader->query('\\echo done'), qr/^3/, 'load_dir() ends');
$loader->quit;
is($node->safe_psql('postgres', 'SELECT count(*) FROM offline_join.progress'), '0', 'its row is gone after load_dir()');

# --- validate_file(): a dry run, no load ID
$loader = start_statement("SELECT count(*) FROM offline_join.validate_file('rmc', '$big');");
ok($node->poll_query_until('postgres', qq{
SELECT count(*) = 1 FROM offline_join.progress
 WHERE command = 'validate_file' AND path = '$big' AND phase = 'validating' AND load_id IS NULL
   AND bytes_total = $size AND rows_done > 0}),
   'validate_file(): its row, without a load ID');
like($loader->query('\\echo done'), qr/^10000/, 'validate_file() ends');
$loader->quit;
is($node->safe_psql('postgres', 'SELECT count(*) FROM offline_join.progress'), '0', 'its row is gone after validate_file()');

# --- COPY into the inbox from a client, held open: the sender sees its own
# load, a ledger reader sees it, another role does not
my $pipe = start_statement(
	"SET ROLE regress_pipe;\nCOPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM STDIN (FORMAT csv);");
ok($node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM offline_join.progress
 WHERE command = 'inbox COPY' AND path IS NULL AND role = 'regress_pipe' AND load_id IS NOT NULL
   AND phase = 'loading' AND bytes_total IS NULL}),
   'COPY into an inbox: its row, without a path, by the role that sends it');
my $copy_id = $node->safe_psql('postgres', 'SELECT load_id FROM offline_join.progress');
is(seen_by('regress_pipe'), "inbox COPY|-|$copy_id", 'the sender sees its own load');
is(seen_by('regress_other'), '', 'another role sees nothing of it');
is(seen_by('regress_reader'), "inbox COPY|-|$copy_id", 'a ledger reader sees it');
$pipe->{stdin} .= join('', map { "2026-03-02 10:00:00,PIPE-$_,7,c,SKU,1,2\n" } 1 .. 5000);
$pipe->{run}->pump_nb() while length $pipe->{stdin};
ok($node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM offline_join.progress WHERE rows_done >= 4096 AND bytes_done > 0}),
   'its rows and bytes as they arrive');
$pipe->{stdin} .= "\\.\n";
$pipe->query('SELECT 1');
$pipe->quit;
is($node->safe_psql('postgres', 'SELECT count(*) FROM offline_join.progress'), '0', 'its row is gone after the COPY');
is($node->safe_psql('postgres', "SELECT status || ' ' || rows_loaded FROM offline_join.loads WHERE load_id = $copy_id"),
   'loaded 5000', 'the COPY loaded under the ID the view showed');

# --- a load that fails with an ERROR (a lock timeout) in a session that
# goes on, a cancelled one, a terminated one: no row left
sub waiting_load
{
	my ($name, $setup) = @_;
	my $s = start_statement("$setup\nSELECT status FROM offline_join.load('rmc', '$big', force => true);",
		on_error_stop => 0);
	ok($node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM offline_join.progress p JOIN pg_stat_activity a USING (pid)
 WHERE a.wait_event_type = 'Lock'}), "$name: the load shows while it waits");
	return ($s, $node->safe_psql('postgres', 'SELECT pid FROM offline_join.progress'));
}

$blocker = block_sessions();
my ($s, $pid) = waiting_load('error', "SET lock_timeout = '2s';");
my ($out) = $s->query("SELECT count(*) FROM offline_join.progress WHERE pid = pg_backend_pid()");
like($s->{stderr}, qr/ERROR:  canceling statement due to lock timeout/, 'error: the load fails with an ERROR');
is($out, '0', 'error: its row is gone at once, the session going on');
$s->quit;

($s, $pid) = waiting_load('cancel', '');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
($out) = $s->query("SELECT count(*) FROM offline_join.progress WHERE pid = pg_backend_pid()");
like($s->{stderr}, qr/ERROR:  canceling statement due to user request/, 'cancel: the load is cancelled');
is($out, '0', 'cancel: its row is gone');
$s->quit;

($s, $pid) = waiting_load('terminate', '');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid, 10000)");
eval { $s->quit; };    # psql has gone with its connection
is($node->safe_psql('postgres', "SELECT count(*) FROM offline_join.progress WHERE pid = $pid"), '0',
   'terminate: its row is gone with its backend');
$blocker->query_safe('COMMIT;');
$blocker->quit;
is($node->safe_psql('postgres', 'SELECT count(*) FROM offline_join.progress'), '0', 'no row left at all');

$node->stop;
done_testing();
