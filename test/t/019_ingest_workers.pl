# CALL offline_join.ingest(source, workers => n) (issue #29): the files of
# a folder loaded side by side by background workers, each committed on its
# own, with the same outcome as one file after the other: the same ledger
# and events, a content loaded once, the caller's role and settings
# (lock_timeout); a cancel of the caller stops its workers and leaves no half file; a
# worker terminated mid-file fails that file by name and the next run loads
# it; a terminated caller takes its workers with it; what the caller's
# transaction did before is committed first; serializable callers; one
# path taken twice; long messages; a standby; more than a thousand files;
# with no free worker slot ingest() loads the files itself.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('ingest_workers');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'offline_join'\nmax_worker_processes = 8\n");
$node->start;
my $base = $node->basedir;

sub sql { my ($db, $q) = @_; return $node->safe_psql($db, $q); }

# a file of n rows (1 in 100 rejected), customer prefix p, local times of day d
sub put_file
{
	my ($path, $p, $n, $day) = @_;
	$day //= '2026-03-02';
	sql('postgres', qq{
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
      UNION ALL
      SELECT '$day ' || lpad((i % 24)::text, 2, '0') || ':05:11,$p-' || i || ',7,c,SKU,1,'
             || CASE WHEN i % 100 = 0 THEN 'x' ELSE '2' END
        FROM generate_series(1, $n) i) TO '$path';
});
}

# a database with the extension, source "shop" on folder $base/<db>, and the docs' loader role
sub setup_db
{
	my ($db) = @_;
	mkdir "$base/$db" or die "mkdir: $!";
	sql('postgres', "CREATE DATABASE $db");
	sql($db, qq{
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('shop', 'rmc', '{"pattern": "$base/$db/*.csv"}');
GRANT USAGE ON SCHEMA offline_join TO regress_loader;
GRANT SELECT ON offline_join.sources, offline_join.sessions, offline_join.transactions TO regress_loader;
GRANT INSERT ON offline_join.events, offline_join.rejects TO regress_loader;
GRANT SELECT, INSERT, UPDATE ON offline_join.loads TO regress_loader;
});
}
sql('postgres', 'CREATE ROLE regress_loader LOGIN IN ROLE pg_read_server_files');

# ingest(workers => 2) in database db, its two workers stopped once each has
# begun a file (a lock on sessions, which matching takes); returns the
# blocking session, the caller's session and its pid
sub stalled_ingest
{
	my ($db, $tail) = @_;
	my $blocker = $node->background_psql($db);
	$blocker->query_safe('BEGIN; LOCK offline_join.sessions IN ACCESS EXCLUSIVE MODE;');
	my $caller = $node->background_psql($db, on_error_stop => 0);
	my $pid = $caller->query_safe('SELECT pg_backend_pid()');
	$caller->query_until(qr/started/, "\\echo started\nCALL offline_join.ingest('shop', workers => 2);\n" . ($tail // ''));
	ok($node->poll_query_until($db, q{
SELECT count(*) = 2 FROM offline_join.progress p JOIN pg_stat_activity a USING (pid)
 WHERE a.backend_type = 'offline_join ingest' AND p.load_id IS NOT NULL}),
	   'two workers have each begun a file');
	return ($blocker, $caller, $pid);
}

# no worker of ingest() left
sub workers_gone
{
	my ($db, $name) = @_;
	ok($node->poll_query_until($db, q{
SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'offline_join ingest'}), $name);
}

# the ledger and events of a database, comparable across databases
my $ledger_q = q{SELECT string_agg(substr(path, length(path) - 6) || ' ' || status || ' ' || rows_loaded || '/' || rows_rejected
                                   || ' ' || coalesce(loaded_by, '-'), ', ' ORDER BY path) FROM offline_join.loads};
my $events_q = q{SELECT count(*) || ' ' || md5(string_agg(customer_id || event_time::text, ',' ORDER BY customer_id))
                   FROM offline_join.events};

# --- the same folder, loaded one file after the other and by three workers
for my $db ('seq', 'par')
{
	setup_db($db);
	put_file("$base/$db/f$_.csv", "F$_", 20000) for 1 .. 5;
	sql('postgres', qq{COPY (SELECT 'Time Stamp,Customer ID' UNION ALL SELECT '2026-03-02 10:00:00,C') TO '$base/$db/f6.csv'});
}
my ($rc, $out, $err) = $node->psql('seq', "CALL offline_join.ingest('shop')",
	extra_params => ['-U', 'regress_loader']);
like($err, qr/1 of 6 files failed: \S+f6\.csv/, 'one after the other: the bad file is named');
($rc, $out, $err) = $node->psql('par', "CALL offline_join.ingest('shop', workers => 3)",
	extra_params => ['-U', 'regress_loader']);
like($err, qr/offline_join\.ingest\('shop'\): 1 of 6 files failed: \S+f6\.csv \(load \d+: invalid header/,
	'three workers: the same ERROR names the bad file');
is(sql('par', $ledger_q), sql('seq', $ledger_q), 'the same ledger, loaded by the calling role');
like(sql('par', $ledger_q), qr/f1\.csv loaded 19800\/200 regress_loader/, '(which loaded the files)');
is(sql('par', $events_q), sql('seq', $events_q), 'the same events');
like(sql('postgres', q{SELECT string_agg(DISTINCT backend_type, ',') FROM pg_stat_activity}), qr/^((?!ingest).)*$/,
	'no worker is left');

# --- a content loaded once: two files of the same content, two workers
put_file("$base/par/g1.csv", 'G', 20000);
system('cp', "$base/par/g1.csv", "$base/par/g2.csv") == 0 or die 'cp';
($rc, $out, $err) = $node->psql('par', "CALL offline_join.ingest('shop', '$base/par/g*.csv', workers => 2)");
is($rc, 0, 'two files of one content: no error');
is(sql('par', q{SELECT string_agg(status, ' ' ORDER BY status) FROM offline_join.loads WHERE path LIKE '%/g_.csv'}),
   'duplicate loaded', 'one is loaded, the other is its duplicate');
is(sql('par', q{SELECT count(*) FROM offline_join.events WHERE customer_id LIKE 'G-%'}), '19800', 'its rows are in once');

# --- the caller's settings: its lock_timeout ends a worker's wait for a lock
setup_db('settings');
put_file("$base/settings/t$_.csv", "T$_", 1000) for 1 .. 2;
my $blocker = $node->background_psql('settings');
# a load waits on this lock once it has begun (matching reads sessions)
$blocker->query_safe('BEGIN; LOCK offline_join.sessions IN ACCESS EXCLUSIVE MODE;');
($rc, $out, $err) = $node->psql('settings', "SET lock_timeout = '200ms'; CALL offline_join.ingest('shop', workers => 2)",
	timeout => 60);
like($err, qr/2 of 2 files failed: .*lock timeout.*lock timeout/,
	"the workers gave up waiting for the lock after the caller's lock_timeout");
$blocker->query_safe('COMMIT;');
$blocker->quit;
sql('settings', q{CALL offline_join.ingest('shop', workers => 2)});
is(sql('settings', q{SELECT count(*) FROM offline_join.events}), '1980', 'the next run loads both files');

# --- a cancel of the caller: its workers stop, no half file, the next run loads them
setup_db('cancel');
put_file("$base/cancel/c$_.csv", "C$_", 200000) for 1 .. 3;
my ($caller, $caller_pid);
($blocker, $caller, $caller_pid) = stalled_ingest('cancel');
sql('cancel', "SELECT pg_cancel_backend($caller_pid)");
ok(pump_until($caller->{run}, $caller->{timeout}, \$caller->{stderr}, qr/canceling statement due to user request/),
   'the caller ends with the cancel as its error');
$caller->quit;
workers_gone('cancel', 'its workers are gone');
$blocker->query_safe('COMMIT;');
$blocker->quit;
is(sql('cancel', q{SELECT count(*) FROM offline_join.loads}) . ' ' . sql('cancel', q{SELECT count(*) FROM offline_join.events}),
   '0 0', 'no ledger row, no event: the files being loaded were rolled back whole');
is(sql('cancel', q{SELECT string_agg(state, ' ') FROM offline_join.source_files('shop')}), 'waiting waiting waiting',
   'all three files still wait');
sql('cancel', q{CALL offline_join.ingest('shop', workers => 2)});
is(sql('cancel', q{SELECT count(*) FROM offline_join.events}), '594000', 'the next run loads them all');

# --- a worker terminated mid-file: that file fails by name, the others load, the next run loads it
setup_db('term');
put_file("$base/term/k$_.csv", "K$_", 200000) for 1 .. 3;
($blocker, $caller) = stalled_ingest('term');
my $victim = sql('term', q{SELECT p.path FROM offline_join.progress p JOIN pg_stat_activity a USING (pid)
                           WHERE a.backend_type = 'offline_join ingest' ORDER BY p.path LIMIT 1});
sql('term', qq{SELECT pg_terminate_backend(pid) FROM offline_join.progress WHERE path = '$victim'});
$blocker->query_safe('COMMIT;');
$blocker->quit;
pump_until($caller->{run}, $caller->{timeout}, \$caller->{stderr}, qr/files failed/);
like($caller->{stderr}, qr/1 of 3 files failed: \Q$victim\E \(load none: the worker loading it stopped before the file was in/,
	'the ERROR names the file whose worker stopped');
$caller->quit;
is(sql('term', qq{SELECT count(*) FROM offline_join.loads WHERE path = '$victim'}), '0', 'it has no ledger row');
is(sql('term', q{SELECT count(*) FROM offline_join.events}), '396000', 'the two other files are in');
sql('term', q{CALL offline_join.ingest('shop', workers => 2)});
is(sql('term', qq{SELECT status FROM offline_join.loads WHERE path = '$victim'}), 'loaded', 'the next run loads it');
is(sql('term', q{SELECT count(*) FROM offline_join.events}), '594000', 'every row once');

# --- the caller terminated: its workers stop too, no half file
setup_db('kill');
put_file("$base/kill/k$_.csv", "K$_", 100000) for 1 .. 3;
($blocker, $caller, $caller_pid) = stalled_ingest('kill');
sql('kill', "SELECT pg_terminate_backend($caller_pid)");
workers_gone('kill', 'the caller terminated: its workers are gone too');
$blocker->query_safe('COMMIT;');
$blocker->quit;
eval { $caller->quit };    # its psql has lost its connection
is(sql('kill', q{SELECT count(*) FROM offline_join.loads}), '0', 'nothing was loaded after the caller was gone');

# --- what the caller's transaction did before: ingest() commits it first,
# so the workers see a source made in it and do not wait for its locks
setup_db('before');
put_file("$base/before/b$_.csv", "B$_", 1000) for 1 .. 4;
($rc, $out, $err) = $node->psql('before', qq{
DO \$\$ BEGIN
  PERFORM offline_join.create_source('late', 'rmc', '{"pattern": "$base/before/*.csv"}');
  PERFORM * FROM offline_join.load_dir('shop', '$base/before/none*.csv');
  CALL offline_join.ingest('late', workers => 2);
END \$\$}, timeout => 60);
is($rc, 0, 'a source made and a folder lock taken earlier in the same transaction: no error, no wait');
is(sql('before', q{SELECT count(*) || ' ' || sum(rows_loaded) FROM offline_join.loads WHERE source = 'late' AND status = 'loaded'}),
   '4 3960', 'the four files of the new source are loaded');
like(($node->psql('before', qq{
DO \$\$ BEGIN
  PERFORM offline_join.create_source('later', 'rmc');
  PERFORM * FROM offline_join.ingest_files('shop', ARRAY['$base/before/b1.csv'], 2);
END \$\$}))[2], qr/cannot run in a transaction that has written or locked something/,
     'ingest_files() itself refuses a transaction that wrote');

# --- the caller's default_transaction_isolation = serializable: the workers
# do not fail each other (their own transactions are read committed)
setup_db('ser');
put_file("$base/ser/s$_.csv", "S$_", 2000) for 10 .. 21;
($rc, $out, $err) = $node->psql('ser', "SET default_transaction_isolation = 'serializable'; CALL offline_join.ingest('shop', workers => 3)");
is($rc, 0, 'serializable by default: no file failed') or diag($err);
is(sql('ser', q{SELECT count(*) FROM offline_join.loads WHERE status = 'loaded'}), '12', 'all twelve files are loaded');

# --- one path taken by several workers at once: one ledger row
setup_db('same');
sql('postgres', qq{COPY (SELECT 'Time Stamp,Customer ID' UNION ALL SELECT '2026-03-02 10:00:00,C') TO '$base/same/bad.csv'});
is(sql('same', qq{SELECT string_agg(DISTINCT coalesce(status, '-'), ',') FROM offline_join.ingest_files('shop',
                    ARRAY['$base/same/bad.csv', '$base/same/bad.csv', '$base/same/bad.csv', '$base/same/bad.csv'], 4)}),
   'failed,skipped', 'four workers on one bad file: one failed, the others pass it over');
is(sql('same', q{SELECT count(*) FROM offline_join.loads}), '1', 'one failed ledger row');

# --- a long message cut at a character boundary (a client in LATIN1 reads
# it): two folders one byte apart, so that one of the cuts falls inside a
# two-byte character
setup_db('mb');
for my $k (1, 2)
{
	my $long = "$base/mb/" . ('é' x 120) . '/' . ('x' x $k) . ('é' x 120);
	system('mkdir', '-p', $long) == 0 or die 'mkdir';
	sql('mb', qq{SELECT offline_join.create_source('deep$k', 'rmc', '{"pattern": "$long/*.csv"}')});
	put_file("$long/u.csv", 'U', 10);
	chmod 0000, "$long/u.csv" or die 'chmod';
	local $ENV{PGCLIENTENCODING} = 'LATIN1';
	($rc, $out, $err) = $node->psql('mb', qq{SELECT octet_length(message) > 500, message FROM offline_join.ingest_files('deep$k',
	                                          ARRAY['$long/u.csv'], 2)});
	like($out, qr/^t\|could not open file/, "an unreadable file under a long non-ASCII path ($k): its message, cut, reaches a LATIN1 client")
	  or diag($err);
	chmod 0644, "$long/u.csv";
}

# --- a standby: refused at once, not a wait for workers that cannot start
$node->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('ingest_standby');
$standby->init_from_backup($node, 'b', has_streaming => 1);
$standby->start;
($rc, $out, $err) = $standby->psql('par', q{SELECT * FROM offline_join.ingest_files('shop', '{/x.csv}', 2)}, timeout => 30);
like($err, qr/cannot run during recovery/, 'on a standby ingest_files() is refused');
$standby->stop;

# --- more than a thousand files: taken a thousand at a time
setup_db('many');
for my $i (1 .. 1001)
{
	open(my $fh, '>', sprintf("$base/many/m%04d.csv", $i)) or die;
	print $fh "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n2026-03-02 14:05:11,M$i,7,c,SKU,1,2\n";
	close $fh;
}
($rc, $out, $err) = $node->psql('many', "CALL offline_join.ingest('shop', workers => 2)");
is($rc, 0, '1,001 files: no error') or diag($err);
is(sql('many', q{SELECT count(*) FROM offline_join.loads WHERE status = 'loaded'}), '1001', 'every file is loaded once');

# --- a lock request queued behind the caller while it waits (VACUUM FULL of
# the sources): the caller holds no lock on a table, so nothing hangs
setup_db('vac');
put_file("$base/vac/v$_.csv", "V$_", 20000) for 10 .. 29;
$caller = $node->background_psql('vac', on_error_stop => 0);
$caller->query_until(qr/started/, "\\echo started\nCALL offline_join.ingest('shop', workers => 2);\n\\echo finished\n");
ok($node->poll_query_until('vac', q{SELECT count(*) > 0 FROM offline_join.loads}), 'the workers are loading');
($rc, $out, $err) = $node->psql('vac', "SET lock_timeout = '20s'; VACUUM FULL offline_join.sources");
is($rc, 0, 'VACUUM FULL of the sources gets its lock while ingest() runs') or diag($err);
ok(pump_until($caller->{run}, $caller->{timeout}, \$caller->{stdout}, qr/finished/), 'and ingest() ends');
$caller->quit;
is(sql('vac', q{SELECT count(*) FROM offline_join.loads WHERE status = 'loaded'}), '20', 'every file is loaded');

# --- a file deleted after the listing: passed over, as one file after the other would
setup_db('gone');
put_file("$base/gone/g$_.csv", "G$_", 1000) for 1 .. 4;
($blocker, $caller) = stalled_ingest('gone', "\\echo finished\n");
unlink("$base/gone/g4.csv") or die 'unlink';
$blocker->query_safe('COMMIT;');
$blocker->quit;
ok(pump_until($caller->{run}, $caller->{timeout}, \$caller->{stdout}, qr/finished/), 'ingest() ends');
unlike($caller->{stderr}, qr/ERROR/, 'without an error');
$caller->quit;
is(sql('gone', q{SELECT string_agg(substr(path, length(path) - 5) || ' ' || status, ', ' ORDER BY path) FROM offline_join.loads}),
   'g1.csv loaded, g2.csv loaded, g3.csv loaded', 'the three files that are there are loaded; the gone one has no row');

# --- a worker and a load_dir() of the same bad file at once: one ledger row
setup_db('race');
sql('postgres', qq{COPY (SELECT 'Time Stamp,Customer ID' UNION ALL SELECT '2026-03-02 10:00:00,C') TO '$base/race/bad.csv'});
sql('race', q{
CREATE FUNCTION slow_failure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.status = 'failed' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$;
CREATE TRIGGER slow BEFORE INSERT ON offline_join.loads FOR EACH ROW EXECUTE FUNCTION slow_failure();
});
$caller = $node->background_psql('race', on_error_stop => 0);
$caller->query_until(qr/started/,
	"\\echo started\nSELECT status FROM offline_join.ingest_files('shop', ARRAY['$base/race/bad.csv'], 2);\n\\echo finished\n");
ok($node->poll_query_until('race', q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'offline_join ingest'
                                      AND wait_event = 'PgSleep'}), 'the worker is writing its failure row');
sql('race', qq{SELECT count(*) FROM offline_join.load_dir('shop', '$base/race/bad.csv')});
ok(pump_until($caller->{run}, $caller->{timeout}, \$caller->{stdout}, qr/finished/), 'the worker\'s call ends');
$caller->quit;
is(sql('race', q{SELECT count(*) FROM offline_join.loads}), '1', 'load_dir() waited for the worker and wrote no second row');

# --- the client gone while the caller waits: the workers stop
setup_db('lost');
put_file("$base/lost/l$_.csv", "L$_", 1000) for 1 .. 3;
($blocker, $caller) = stalled_ingest('lost');
$caller->{run}->kill_kill;
workers_gone('lost', 'the client killed: the workers are gone');
$blocker->query_safe('COMMIT;');
$blocker->quit;
is(sql('lost', q{SELECT count(*) FROM offline_join.loads}), '0', 'nothing was loaded');

# --- no free worker slot: the caller loads the files itself, and says so
$node->append_conf('postgresql.conf', "max_worker_processes = 2\n");
$node->restart;
setup_db('slots');
put_file("$base/slots/s$_.csv", "S$_", 1000) for 1 .. 3;
($rc, $out, $err) = $node->psql('slots', "CALL offline_join.ingest('shop', workers => 2)");
is($rc, 0, 'ingest() with no free worker slot succeeds');
like($err, qr/started 0 of 2 workers/, 'a NOTICE says no worker started');
is(sql('slots', q{SELECT count(*) || ' ' || sum(rows_loaded) FROM offline_join.loads WHERE status = 'loaded'}), '3 2970',
   'every file is loaded, by the caller');

$node->stop;
done_testing();
