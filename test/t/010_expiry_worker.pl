# The expiry background worker: starts with a preloaded server, waits quietly
# without the extension, purges expired transaction IDs and nothing else,
# follows a configuration reload, gives way to running statements (rests
# between batches, still finishes), comes back after SIGTERM and after an
# immediate shutdown in the middle of a purge (the interrupted run is marked
# failed, no unexpired row is lost, purging resumes), survives DROP and
# CREATE EXTENSION during a purge, and moves when offline_join.database
# changes; a database that does not exist is said once, and the worker starts
# there once it is created.  Without preloading, expire() works and says why no worker runs.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('expiry');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'offline_join'
offline_join.expire_naptime = 1
offline_join.expire_batch_size = 1000
});
$node->start;

my $worker = "FROM pg_stat_activity WHERE backend_type = 'offline_join expiry'";

sub sql { return $node->safe_psql($_[1] // 'postgres', $_[0]); }
sub worker_pid { return sql("SELECT pid $worker"); }
# server log lines written since offset that come from a failing worker
sub worker_errors
{
	my ($offset) = @_;
	my $log = slurp_file($node->logfile, $offset);
	return join('', grep { /ERROR|WARNING|FATAL|PANIC/ } split /^/m, $log);
}
# adds n transactions 'prefix-1'...; expired ones ended a day ago
sub add
{
	my ($prefix, $n, $expired, $db) = @_;
	my $at = $expired ? "now() - interval '1 day'" : "now() + interval '1 day'";
	sql(qq{INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
	     SELECT '$prefix-' || i, 'v', now() - interval '30 days', $at + i * interval '1 millisecond'
	       FROM generate_series(1, $n) i}, $db);
}
sub left { return sql("SELECT count(*) FROM offline_join.transactions WHERE transaction_id LIKE '$_[0]-%'", $_[1]); }

# --- starts with the server; waits quietly while the extension is missing
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 $worker AND datname = 'postgres'"),
   'worker starts with the server, connected to offline_join.database');
my $log_offset = -s $node->logfile;
sleep 2;
is(sql("SELECT query $worker"),
   'offline_join expiry: waiting for CREATE EXTENSION offline_join, naptime 1 s',
   'without the extension the worker says what it waits for');
is(worker_errors(0), '', 'and logs no error while it waits');

# --- purges within a few naptimes, and only what has expired
sql('CREATE EXTENSION offline_join');
add('old', 5000, 1);
add('new', 5000, 0);
my $t0 = time;
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM offline_join.transactions WHERE transaction_id LIKE 'old-%'"),
   'expired rows purged');
my $took = time - $t0;
cmp_ok($took, '<', 5, sprintf('within a few naptimes (%.1f s)', $took));
is(left('new'), '5000', 'unexpired rows all kept');
is(sql("SELECT who, deleted, batches, finished_at IS NOT NULL, error IS NULL FROM offline_join.expiry_runs"),
   'worker|5000|5|t|t', 'one ledger row: 5000 deleted in 5 batches of 1000');

# --- a reload changes naptime and batch size
sql("ALTER SYSTEM SET offline_join.expire_naptime = 3600");
sql('SELECT pg_reload_conf()');
ok($node->poll_query_until('postgres', "SELECT query = 'offline_join expiry: sleeping, naptime 3600 s' $worker"),
   'reload: the worker sleeps with the new naptime');
add('nap', 100, 1);
sleep 2;
is(left('nap'), '100', 'nothing purged while the worker sleeps an hour');
sql("ALTER SYSTEM SET offline_join.expire_naptime = 1");
sql("ALTER SYSTEM SET offline_join.expire_batch_size = 10");
sql('SELECT pg_reload_conf()');
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM offline_join.transactions WHERE transaction_id LIKE 'nap-%'"),
   'reload back to 1 s wakes it and it purges');
is(sql("SELECT deleted, batches FROM offline_join.expiry_runs ORDER BY run_id DESC LIMIT 1"),
   '100|10', 'with the new batch size');

# --- a trigger on transactions that runs another role's function: the
# worker (a superuser) would run that role's code; it waits, with one
# WARNING naming the trigger, and purges once the function is the owner's.
# Then the rows the trigger keeps (more than a batch of 10, the oldest) do
# not stop the pass (0.1.4 ended a pass at a batch that deleted nothing).
sql('CREATE ROLE regress_oj_intruder');
sql(q{CREATE FUNCTION public.keep_some() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN IF OLD.visitor_id = 'KEEP' THEN RETURN NULL; END IF; RETURN OLD; END $$});
sql('ALTER FUNCTION public.keep_some() OWNER TO regress_oj_intruder');
sql('CREATE TRIGGER keep_some BEFORE DELETE ON offline_join.transactions FOR EACH ROW EXECUTE FUNCTION public.keep_some()');
$log_offset = -s $node->logfile;
add('trg', 60, 1);
sql(q{UPDATE offline_join.transactions SET visitor_id = 'KEEP'
       WHERE transaction_id IN (SELECT 'trg-' || i FROM generate_series(1, 25) i)});
ok($node->wait_for_log(qr/offline_join expiry worker waits: trigger "keep_some" on table "offline_join.transactions" runs function public.keep_some\(\), which role "regress_oj_intruder" owns/, $log_offset),
   'a trigger running another role\'s function: the worker says so');
sleep 2;
is(left('trg'), '60', 'and deletes nothing meanwhile');
sql('ALTER FUNCTION public.keep_some() OWNER TO CURRENT_USER');
ok($node->poll_query_until('postgres', "SELECT count(*) = 25 FROM offline_join.transactions WHERE transaction_id LIKE 'trg-%'"),
   'the owner\'s function: purged, past the 25 oldest rows the trigger keeps');
is(sql(q{SELECT min(transaction_id COLLATE "C") || ' ' || max(transaction_id COLLATE "C") FROM offline_join.transactions
          WHERE transaction_id LIKE 'trg-%'}), 'trg-1 trg-9', 'the kept rows are the trigger\'s');
sql('DROP TRIGGER keep_some ON offline_join.transactions');
sql('DROP FUNCTION public.keep_some()');
sql('DROP ROLE regress_oj_intruder');
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM offline_join.transactions WHERE transaction_id LIKE 'trg-%'"),
   'without the trigger they go too');

# --- another role's table referencing transactions ON DELETE CASCADE (a
# second adversarial run): the worker's delete would run that table's AFTER
# triggers as a superuser; it waits, with one WARNING naming the foreign key
sql('CREATE ROLE regress_oj_referrer');
sql('CREATE TABLE public.ref_tx (tid text REFERENCES offline_join.transactions ON DELETE CASCADE)');
sql('ALTER TABLE public.ref_tx OWNER TO regress_oj_referrer');
$log_offset = -s $node->logfile;
add('fk', 10, 1);
ok($node->wait_for_log(qr/offline_join expiry worker waits: table "public.ref_tx" is owned by role "regress_oj_referrer"/, $log_offset),
   'another role\'s foreign key to transactions: the worker says so');
sleep 2;
is(left('fk'), '10', 'and deletes nothing meanwhile');
# the owner's own table, but another role may add triggers to it (a third
# adversarial run): the cascade would run them as the worker
sql('ALTER TABLE public.ref_tx OWNER TO CURRENT_USER');
sql('GRANT TRIGGER ON public.ref_tx TO regress_oj_referrer');
$log_offset = -s $node->logfile;
ok($node->wait_for_log(qr/offline_join expiry worker waits: role "regress_oj_referrer" holds TRIGGER on table "public.ref_tx"/, $log_offset),
   'a cascade into a table another role may add triggers to: the worker says so');
is(left('fk'), '10', 'and deletes nothing meanwhile');
sql('DROP TABLE public.ref_tx');
sql('DROP ROLE regress_oj_referrer');
# a rule on transactions runs in the worker's DELETE, as a superuser
sql('CREATE TABLE public.deleted_tx (tid text)');
sql('CREATE RULE keep_log AS ON DELETE TO offline_join.transactions DO ALSO INSERT INTO public.deleted_tx VALUES (OLD.transaction_id)');
$log_offset = -s $node->logfile;
ok($node->wait_for_log(qr/offline_join expiry worker waits: table "offline_join.transactions" has a rule/, $log_offset),
   'a rule on transactions: the worker says so');
is(left('fk'), '10', 'and deletes nothing meanwhile');
sql('DROP RULE keep_log ON offline_join.transactions');
sql('DROP TABLE public.deleted_tx');
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM offline_join.transactions WHERE transaction_id LIKE 'fk-%'"),
   'purged once they are gone');

# --- gives way to running statements: rests between batches while a client
# runs one, still finishes the pass; at full speed again afterwards
my $busy = $node->background_psql('postgres');
$busy->query_until(qr/sleeping/, "\\echo sleeping\nSELECT pg_sleep(120);\n");
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(120);' AND state = 'active'"),
   'a client statement is running');
add('busy', 20000, 1);
ok($node->poll_query_until('postgres', "SELECT query = 'offline_join expiry: giving way to running statements' $worker"),
   'the worker rests between batches while it runs');
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM offline_join.transactions WHERE transaction_id LIKE 'busy-%'"),
   'and still purges every expired row');
is(sql("SELECT deleted, batches, error IS NULL FROM offline_join.expiry_runs ORDER BY run_id DESC LIMIT 1"),
   '20000|2000|t', 'in one pass of batches of 10');
sql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(120);'");
eval { $busy->quit; };	# psql stops at the cancelled statement (ON_ERROR_STOP)
add('idle', 20000, 1);
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM offline_join.transactions WHERE transaction_id LIKE 'idle-%'"),
   'without running statements it purges too');
my ($rested, $alone) = split /\|/, sql(
	"SELECT (SELECT finished_at - started_at FROM offline_join.expiry_runs WHERE deleted = 20000 ORDER BY run_id LIMIT 1) >
	        (SELECT finished_at - started_at FROM offline_join.expiry_runs WHERE deleted = 20000 ORDER BY run_id DESC LIMIT 1) * 2,
	        (SELECT count(*) FROM offline_join.expiry_runs WHERE deleted = 20000)");
is("$rested|$alone", 't|2', 'a pass beside a running statement takes over twice as long as one alone');

# --- SIGTERM: exit code 1, back within bgw_restart_time (5 s)
my $pid = worker_pid();
$log_offset = -s $node->logfile;
sql("SELECT pg_terminate_backend($pid)");
$t0 = time;
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 $worker AND pid <> $pid"),
   'worker restarted after SIGTERM');
$took = time - $t0;
cmp_ok($took, '<', 10, sprintf('within bgw_restart_time (%.1f s)', $took));
my $log = slurp_file($node->logfile, $log_offset);
like($log, qr/background worker "offline_join expiry" \(PID $pid\) exited with exit code 1/,
     'it exited with code 1');
unlike($log, qr/terminating any other active server processes/, 'no crash restart of the server');

# A pass held in the middle: from the second batch of a pass on (its
# expiry_runs row is committed), a statement trigger on the table waits for
# advisory lock 4242 while the test holds it.
sql(q{CREATE FUNCTION public.hold_purge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM offline_join.expiry_runs WHERE finished_at IS NULL) THEN
    PERFORM pg_advisory_xact_lock_shared(4242);
  END IF;
  RETURN NULL;
END $$});
sub hold_purges
{
	my $holder = $node->background_psql('postgres');
	$holder->query_safe('SELECT pg_advisory_lock(4242)');
	sql('CREATE TRIGGER hold_purge AFTER DELETE ON offline_join.transactions
	     FOR EACH STATEMENT EXECUTE FUNCTION public.hold_purge()');
	return $holder;
}
sub purge_held
{
	ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 $worker AND wait_event_type = 'Lock' AND wait_event = 'advisory'"), $_[0]);
}

# --- immediate shutdown in the middle of a purge
sql("ALTER SYSTEM SET offline_join.expire_batch_size = 200");
sql('SELECT pg_reload_conf()');
add('keep', 1000, 0);
my $kept = sql("SELECT md5(string_agg(transaction_id || expires_at, ',' ORDER BY transaction_id)) FROM offline_join.transactions");
my $holder = hold_purges();
add('big', 20000, 1);
purge_held('a purge is under way, held in its second batch');
is(sql("SELECT deleted FROM offline_join.expiry_runs WHERE finished_at IS NULL"), '200',
   'its first batch is committed');
$node->stop('immediate');
eval { $holder->quit };
$node->start;
sql('DROP TRIGGER hold_purge ON offline_join.transactions');
is(sql("SELECT md5(string_agg(transaction_id || expires_at, ',' ORDER BY transaction_id)) FROM offline_join.transactions WHERE transaction_id NOT LIKE 'big-%'"),
   $kept, 'after the crash every unexpired row is still there, unchanged');
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 FROM offline_join.expiry_runs WHERE error = 'interrupted' AND finished_at IS NOT NULL AND deleted = 200"),
   'the interrupted run is marked failed');
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM offline_join.transactions WHERE transaction_id LIKE 'big-%'"),
   'purging resumes and finishes');
is(sql("SELECT sum(deleted) FROM offline_join.expiry_runs WHERE run_id >= (SELECT run_id FROM offline_join.expiry_runs WHERE error = 'interrupted')"),
   '20000', 'the ledger accounts for every purged row');
is(sql("SELECT count(*) FROM offline_join.transactions"), '6000', 'unexpired rows kept');

# --- DROP EXTENSION during a purge waits for the batch in flight, then the
# worker waits quietly; CREATE EXTENSION: the same worker purges again
$holder = hold_purges();
add('big', 20000, 1);
purge_held('another purge under way, held in its second batch');
$pid = worker_pid();
$log_offset = -s $node->logfile;
my $dropper = $node->background_psql('postgres');
$dropper->query_until(qr/dropping/, "\\echo dropping\nDROP EXTENSION offline_join;\n");
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE 'DROP EXTENSION offline_join%' AND wait_event_type = 'Lock'"),
   'DROP EXTENSION waits for the batch in flight');
$holder->query_safe('SELECT pg_advisory_unlock(4242)');
$holder->quit;
$dropper->query('\\echo dropped');
my $drop_err = $dropper->{stderr};
$dropper->quit;
is($drop_err, '', 'then it completes, no deadlock');
is(sql("SELECT count(*) FROM pg_extension WHERE extname = 'offline_join'"), '0', 'the extension is gone');
ok($node->poll_query_until('postgres', "SELECT query LIKE '%waiting for CREATE EXTENSION%' $worker"),
   'the worker waits for the extension again');
sleep 2;
is(worker_pid(), $pid, 'same worker process');
is(worker_errors($log_offset), '', 'no error logged');
sql('CREATE EXTENSION offline_join');
add('again', 500, 1);
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM offline_join.transactions WHERE transaction_id LIKE 'again-%'"),
   'after CREATE EXTENSION it purges the new table');
is(worker_pid(), $pid, 'still the same worker process');

# --- a new offline_join.database: the worker exits (1) and starts there
sql('CREATE DATABASE other');
sql('CREATE EXTENSION offline_join', 'other');
add('elsewhere', 300, 1, 'other');
$log_offset = -s $node->logfile;
sql("ALTER SYSTEM SET offline_join.database = 'other'");
sql('SELECT pg_reload_conf()');
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 $worker AND datname = 'other'"),
   'worker reconnected to the new database');
ok($node->poll_query_until('other', "SELECT count(*) = 0 FROM offline_join.transactions"),
   'and purges there');
like(slurp_file($node->logfile, $log_offset),
     qr/offline_join expiry worker restarting: offline_join.database changed from "postgres" to "other"/,
     'the restart is logged');

# --- a database that does not exist: said once, not every 5 s (0.1.1 logged
# FATAL every 5 s forever); the worker starts there once it is created
my $launcher = "FROM pg_stat_activity WHERE backend_type = 'offline_join launcher'";
is(sql("SELECT count(*), bool_and(datname IS NULL) $launcher"), '1|t', 'one launcher, connected to no database');
$log_offset = -s $node->logfile;
sql("ALTER SYSTEM SET offline_join.database = 'nosuchdb'");
sql('SELECT pg_reload_conf()');
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 $worker"), 'the worker leaves the old database');
ok($node->poll_query_until('postgres', qq{SELECT query = 'offline_join launcher: waiting for database "nosuchdb"' $launcher}),
   'the launcher says what it waits for');
sleep 12;	# over two retry periods
$log = slurp_file($node->logfile, $log_offset);
my @said = ($log =~ /WARNING:  database "nosuchdb" named by offline_join.database does not exist/g);
is(scalar(@said), 1, 'the missing database is logged once');
unlike($log, qr/FATAL/, 'and nothing fails in a loop');
is(sql("SELECT count(*) $worker"), '0', 'no worker meanwhile');
sql('CREATE DATABASE nosuchdb');
sql('CREATE EXTENSION offline_join', 'nosuchdb');
add('created', 50, 1, 'nosuchdb');
ok($node->poll_query_until('nosuchdb', "SELECT count(*) = 0 FROM offline_join.transactions"),
   'once created, the worker starts there and purges');
is(sql("SELECT datname $worker"), 'nosuchdb', 'in that database');

# --- the launcher stopped: its worker goes with it, and the new launcher
# starts exactly one worker
my $lpid = sql("SELECT pid $launcher");
$pid = worker_pid();
sql("SELECT pg_terminate_backend($lpid)");
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 $launcher AND pid <> $lpid"), 'the launcher comes back');
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 $worker AND pid <> $pid"), 'with a new worker');
sleep 6;
is(sql("SELECT count(*) $worker"), '1', 'and only one');
$node->stop;

# --- without preloading: no worker; expire() works and says why
my $plain = PostgreSQL::Test::Cluster->new('expiry_no_preload');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', 'CREATE EXTENSION offline_join');
$plain->safe_psql('postgres', q{
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
SELECT 't' || i, 'v', '2020-01-01', '2020-02-01' FROM generate_series(1, 10) i});
my ($ret, $out, $err) = $plain->psql('postgres', 'SELECT offline_join.expire()');
is($out, '10', 'expire() works without preloading');
like($err, qr/NOTICE:  offline_join is not in shared_preload_libraries: no expiry worker runs/,
     'and hints that no worker runs');
is($plain->safe_psql('postgres', "SELECT count(*) $worker"), '0', 'no worker');
$plain->stop;

done_testing();
