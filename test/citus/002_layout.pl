# offline_join.distribute() on a Citus cluster gives the same answers as one
# server.  Database "single" on the coordinator keeps the local layout (no
# citus extension there); database "postgres" is distributed.  Both get the
# same online data and the same files, one loaded before distribute() and
# the others after; then every event's match, session, visitor and snapshot,
# every reject, the ledger, attributed_events, abandoned_carts(), attribute()
# over a foreign table, inbox COPY and validate_file() are compared.  Also:
# what distribute() refuses, load() on a worker, the refusals that remain.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/citus';
use OjCitus;

my ($coord, $w1, $w2) = OjCitus::cluster();
my $dir = $coord->basedir;
sub dist   { return $coord->safe_psql('postgres', $_[0]); }
sub single { return $coord->safe_psql('single', $_[0]); }
sub both   { return (single($_[0]), dist($_[0])); }

$coord->safe_psql('postgres', 'CREATE DATABASE single');
# The online data has transaction IDs that expired before some events (and
# before today): the expiry workers would delete them on the cluster, where
# database "single" has none.  They wait until the expiry checks below.
$_->safe_psql('postgres', q{ALTER SYSTEM SET offline_join.expire_naptime = 3600; SELECT pg_reload_conf()})
  for ($coord, $w1, $w2);

# The same online data in both: sessions (some customers with two sessions
# that started at the same instant), transaction IDs with snapshots, some
# without a session, some expiring before their events.
my $online = q{
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc', '{"timezone": "Europe/Copenhagen", "lookback": "20 days"}');
SELECT offline_join.create_source('rmc_checked', 'rmc', '{"require_known_product": true}');
SELECT offline_join.create_source('adobe_tx', 'adobe');
INSERT INTO offline_join.products SELECT 'SKU-' || g, 'cat-' || (g % 50), 9.95, '{}' FROM generate_series(0, 899) g;
INSERT INTO offline_join.sessions
SELECT 's' || g, 'v' || (g % 1500),
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'CUST-' || (g % 700) END,
       timestamptz '2025-12-15 00:00+00' + ((g * 7919) % 86400) * interval '1 minute',
       CASE WHEN g % 3 = 0 THEN jsonb_build_object('cart', jsonb_build_array('SKU-' || g)) ELSE jsonb_build_object('n', g) END
  FROM generate_series(1, 4000) g;
-- ties: a second session of the same customer at the same instant
INSERT INTO offline_join.sessions
SELECT 't' || s.session_id, s.visitor_id, s.customer_id, s.started_at, '{"tie": true}'
  FROM offline_join.sessions s WHERE s.customer_id IS NOT NULL AND s.session_id LIKE 's%7';
SELECT count(*) FROM (
  SELECT offline_join.record_transaction('T-' || g, 'v' || (g % 1500),
           CASE WHEN g % 7 = 0 THEN NULL ELSE 's' || (g * 3 % 4000 + 1) END,
           jsonb_build_object('page', g), timestamptz '2026-01-01 00:00+00' + (g % 40) * interval '1 day',
           ((g % 50) + 1) * interval '1 day')
    FROM generate_series(1, 1200) g) x;
};
single($online);
dist($online);

# Files, written by the server: rmc rows (customers, unknown customers, bad
# rows), Adobe transaction-ID rows (recorded, unknown and expired IDs).
sub rmc_file
{
	my ($name, $from, $to) = @_;
	dist(qq{COPY (
  SELECT to_char(timestamp '2026-01-01' + (i * 4271 % 5000000) * interval '1 second', 'YYYY-MM-DD HH24:MI:SS')
           || CASE WHEN i % 97 = 0 THEN 'x' ELSE '' END AS "Time Stamp",
         CASE WHEN i % 11 = 0 THEN 'NOBODY-' || i ELSE 'CUST-' || (i % 700) END AS "Customer ID",
         CASE WHEN i % 4 = 0 THEN 7 ELSE 1 END AS "Event Type", 'cat-' || (i % 50) AS "Category",
         'SKU-' || (i % 1000) AS "Event Name", (i % 5) + 1 AS "Num1", 19.95 AS "Num2",
         'Aarhus' AS "Var 1", 'store-' || (i % 40) AS "Var 2"
    FROM generate_series($from, $to) AS i) TO '$dir/$name' (FORMAT csv, HEADER)});
}
sub adobe_file
{
	my ($name, $from, $to) = @_;
	dist(qq{COPY (
  SELECT to_char(timestamp '2026-01-02' + (i * 613 % 4000000) * interval '1 second', 'MM/DD/YYYY/HH24/MI/SS') AS "Date",
         'T-' || (i % 1400) AS "transactionID", 'call-center' AS "Evar 1", i % 3 AS "Orders"
    FROM generate_series($from, $to) AS i) TO '$dir/$name' (FORMAT text, HEADER)});
}
rmc_file('r1.csv', 1, 4000);
rmc_file('r2.csv', 4001, 12000);
adobe_file('a1.txt', 1, 6000);
rmc_file('r_inbox.csv', 20001, 20500);
chmod 0644, glob("$dir/*.csv"), glob("$dir/*.txt");

my $load = q{SELECT status || ' ' || rows_total || ' ' || rows_loaded || ' ' || rows_rejected || ' ' || rows_matched
               FROM offline_join.load('%s', '%s')};
my ($s, $d) = both(sprintf($load, 'rmc', "$dir/r1.csv"));
is($d, $s, "a file loaded before distribute(): $s");

# distribute(): what it refuses first
like(OjCitus::error_of($w1, 'SELECT offline_join.distribute()'),
     qr/offline_join\.distribute\(\) runs on the coordinator/, 'distribute() on a worker: refused');
like(OjCitus::error_of($coord, 'SELECT offline_join.distribute()', 'single'),
     qr/needs the citus extension in database "single"/, 'distribute() without Citus: refused');
$coord->safe_psql('postgres', q{
CREATE ROLE lowly LOGIN;
GRANT USAGE ON SCHEMA offline_join TO lowly;});
like(OjCitus::error_of($coord, 'SET ROLE lowly; SELECT offline_join.distribute()'),
     qr/permission denied for function distribute/, 'distribute() by a role without the grant: refused');

# quiet: Citus prints a NOTICE block per table with rows, some telling the
# user to do what distribute() has done (issue #30)
my ($rc, $out, $err) = $coord->psql('postgres', 'SELECT offline_join.distribute(); SHOW client_min_messages');
is("$rc $out", "0 citus\nnotice", 'distribute(), and the caller\'s client_min_messages is as it was after it');
is($err, '', 'distribute() of tables with rows prints nothing (no NOTICE of Citus)');
is(dist(q{SELECT string_agg(logicalrelid::text || '=' || partmethod::text, ' ' ORDER BY logicalrelid::text)
            FROM pg_dist_partition}),
   'offline_join.events=h offline_join.layout=n offline_join.loads=n offline_join.products=n offline_join.rejects=h '
   . 'offline_join.sessions=h offline_join.sources=n offline_join.transactions=h',
   'the layout: reference and distributed tables');
is(dist('SELECT mode FROM offline_join.layout'), 'citus', 'the mode is recorded');
is($w2->safe_psql('postgres', 'SELECT mode FROM offline_join.layout'), 'citus', 'and seen on a worker');
like(OjCitus::error_of($coord, 'SELECT offline_join.distribute()'),
     qr/distributed already/, 'distribute() twice: refused');
is(dist(q{SELECT pg_relation_size('offline_join.events') || ' ' || (SELECT count(*) FROM offline_join.events)}),
   '0 ' . single('SELECT count(*) FROM offline_join.events'),
   'the shell is empty, the shards hold every event');

# the other files, after distribute(); these two in batches of 777 events
# (offline_join.citus_match_batch; one node ignores it), so that customers
# and transaction IDs recur across batches and a batch ends mid-file
my $small = 'SET offline_join.citus_match_batch = 777; ';
($s, $d) = both($small . sprintf($load, 'rmc', "$dir/r2.csv"));
is($d, $s, "rmc file on the cluster as on one server: $s");
($s, $d) = both($small . sprintf($load, 'adobe_tx', "$dir/a1.txt"));
is($d, $s, "Adobe transaction-ID file: $s");
($s, $d) = both(sprintf($load, 'rmc', "$dir/r2.csv"));
is($d, $s, "the same file again: $s");

# inbox COPY
my $inbox = qq{SET client_min_messages = warning;
SELECT offline_join.create_inbox('rmc_checked') IS NOT NULL;
COPY offline_join.inbox_rmc_checked (time_stamp, customer_id, event_type, category, event_name, num1, num2, var_1, var_2)
  FROM '$dir/r_inbox.csv' (FORMAT csv, HEADER);
SELECT status || ' ' || rows_loaded || ' ' || rows_rejected || ' ' || rows_matched
  FROM offline_join.loads ORDER BY load_id DESC LIMIT 1};
($s, $d) = both($inbox);
is($d, $s, "inbox COPY: " . (split /\n/, $s)[-1]);
# 0.2.1: the coordinator's inbox keeps nothing (access method
# offline_join_inbox) and COPY reports the rows it loaded, as on one server
my $counted = qq{SET client_min_messages = warning;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE c.oid = 'offline_join.inbox_rmc_checked'::regclass;
COPY offline_join.inbox_rmc_checked (time_stamp, customer_id, event_type, category, event_name, num1, num2, var_1, var_2)
  FROM '$dir/r_inbox.csv' (FORMAT csv, HEADER);
SELECT :ROW_COUNT = rows_loaded, rows_loaded > 0 FROM offline_join.last_load();
SELECT count(*) FROM offline_join.inbox_rmc_checked};
($s, $d) = both($counted);
is($d, "offline_join_inbox\nt|t\n0", 'inbox COPY on the cluster: no row kept, COPY reports rows_loaded');
is($d, $s, 'and as on one server');

# every event, reject and ledger row
my $events = q{SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', load_id, line_no, source, event_time,
                     customer_id, transaction_id, event_type, category, product, num1, num2, dims, attrs,
                     match, visitor_id, session_id, snapshot), E'\n' ORDER BY load_id, line_no))
                 FROM offline_join.events};
($s, $d) = both($events);
is($d, $s, "every event: the same match, session, visitor and snapshot ($s)");
my $kinds = q{SELECT string_agg(match || '=' || n, ' ' ORDER BY match)
                FROM (SELECT match, count(*) n FROM offline_join.events GROUP BY 1) m};
is(dist($kinds), single($kinds), 'matches by kind: ' . single($kinds));
like(single($kinds), qr/customer=\d+ transaction=\d+ unmatched=\d+/, 'the data exercises every kind');
is(single(q{SELECT count(*) > 0 FROM offline_join.events e JOIN offline_join.sessions s USING (session_id)
             WHERE s.attrs ? 'tie'}), 't', 'the data exercises ties between sessions');
is(dist(q{SELECT count(*) FROM offline_join.events WHERE dist_key IS DISTINCT FROM
            coalesce(session_id, '~' || load_id || '.' || line_no)}), '0',
   'every event lives beside its session (or under its stand-in key)');
my $rejects = q{SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', load_id, line_no, field, reason, message, raw),
                      E'\n' ORDER BY load_id, line_no)) FROM offline_join.rejects};
is(dist($rejects), single($rejects), 'every reject: ' . single($rejects));
my $ledger = q{SELECT string_agg(concat_ws(' ', load_id, source, status, rows_total, rows_loaded,
                     rows_rejected, rows_matched), E'\n' ORDER BY load_id) FROM offline_join.loads};
is(dist($ledger), single($ledger), 'the ledger');
is($w1->safe_psql('postgres', $ledger), single($ledger), 'the ledger read on a worker');
my $mine = q{SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', load_id, line_no, reason), ',' ORDER BY load_id, line_no))
               FROM offline_join.my_rejects()};
is($w2->safe_psql('postgres', $mine), single($mine), 'my_rejects() on a worker');
is(dist('SELECT count(DISTINCT event_id) = count(*) FROM offline_join.events'), 't', 'event IDs are unique');

# rematch(): online data that arrived late; one load, then all
my $late = q{
INSERT INTO offline_join.sessions
SELECT 'late' || g, 'lv' || g, 'NOBODY-' || (g * 11), timestamptz '2026-01-01 00:00+00' + (g % 60) * interval '1 day', '{"late": true}'
  FROM generate_series(1, 1100) g;
SELECT count(*) FROM (
  SELECT offline_join.record_transaction('T-' || g, 'lv' || g, CASE WHEN g % 2 = 0 THEN 'late' || g END,
           jsonb_build_object('late', g), timestamptz '2026-01-01 00:00+00', '400 days')
    FROM generate_series(1200, 1399) g) x;
};
single($late);
dist($late);
my $ids = q{SELECT md5(string_agg(event_id::text, ',' ORDER BY event_id)) FROM offline_join.events};
my $ids_before = dist($ids);
# in batches of 777 on the cluster too: the lookups of a batch follow the
# moves (DELETE, INSERT) of the one before in the same transaction
my $unmatched = q{SELECT count(*) FROM offline_join.events WHERE match = 'unmatched'};
cmp_ok(dist($unmatched), '>', 3 * 777, 'rematch() reads more than three batches');

# Each shard is asked once per batch, for its own keys only: a load's
# transaction-ID lookups and rematch()'s DELETEs, seen in Citus's log of
# the commands it sends (one batch, rolled back).  Keys grouped by the wrong
# shard would still be found (Citus prunes by the keys themselves), but a
# statement would go to several shards: Citus says so with a notice
# (citus.multi_task_query_log_level) whose context, which psql shows for
# notices when told to, is our statement; and a shard could be named twice.
sub shards_asked
{
	my ($sql, $stmt, $sent) = @_;
	my ($rc, $out, $err) = $coord->psql('postgres', qq{\\set SHOW_CONTEXT always
BEGIN;
SET LOCAL citus.log_remote_commands = on; SET LOCAL citus.multi_task_query_log_level = notice;
SET LOCAL offline_join.citus_match_batch = 100000;
$sql;
ROLLBACK;});
	is($rc, 0, "$stmt: ran") or diag($err);
	my @multi = grep { /multi-task query about to be executed/ }
	  split /^(?=(?:psql:\S+ )?(?:NOTICE|WARNING|LOG|ERROR):)/m, $err;
	is(scalar(grep { /\Q$stmt\E/ } @multi), 0, "$stmt: never sent to more than one shard");
	my @shards = $err =~ /(?:issuing|executing the command locally:) \Q$sent\E[^\n]*?offline_join\.\w+_(\d+) /g;
	my %seen;
	$seen{$_}++ for @shards;
	is(join(' ', grep { $seen{$_} > 1 } sort keys %seen), '', "$stmt: no shard asked twice");
	return (scalar @shards, scalar @multi);
}
is((shards_asked("SELECT status FROM offline_join.load('adobe_tx', '$dir/a1.txt', force => true)",
                 'SELECT t.transaction_id, t.expires_at', 'SELECT transaction_id, expires_at'))[0],
   dist(q{SELECT count(DISTINCT get_shard_id_for_distribution_column('offline_join.transactions', 'T-' || (i % 1400)))
            FROM generate_series(1, 6000) i}),
   "a transaction-ID file's lookups: one per shard that holds its IDs");
my ($deletes, $multi) = shards_asked('SELECT offline_join.rematch()', 'DELETE FROM offline_join.events e', 'DELETE FROM');
cmp_ok($deletes, '>', 1, "rematch()'s DELETEs: one per shard");
cmp_ok($multi, '>', 0, 'and the notice is seen: rematch() reads every unmatched event from every shard');
($s, $d) = both($small . q{SELECT offline_join.rematch(3)});
is($d, $s, "rematch(load_id): $s matched");
($s, $d) = both($small . q{SELECT offline_join.rematch()});
is($d, $s, "rematch(): $s matched");
cmp_ok($s, '>', 0, 'rematch() found late matches');
($s, $d) = both($events);
is($d, $s, "every event after rematch(): the same ($s)");
is(dist($ids), $ids_before, 'rematch() keeps every event_id');
is(dist(q{SELECT count(*) FROM offline_join.events WHERE dist_key IS DISTINCT FROM
            coalesce(session_id, '~' || load_id || '.' || line_no)}), '0',
   'a rematched event moved beside its session');
is(dist(q{SELECT offline_join.rematch()}), '0', 'rematch() again: nothing left to match');

# the analyst layer
my $attributed = q{SELECT count(*) || ' ' || count(session_started_at) || ' ' ||
                     md5(string_agg(concat_ws('|', load_id, line_no, session_started_at, session_customer_id,
                         session_attrs, state), E'\n' ORDER BY load_id, line_no))
                     FROM offline_join.attributed_events};
($s, $d) = both($attributed);
is($d, $s, "attributed_events ($s)");
is($w1->safe_psql('postgres', $attributed), $s, 'attributed_events on a worker');
# the analyst layer reads with the caller's rights on every node (issue #31)
for my $node ($coord, $w1, $w2)
{
	is($node->safe_psql('postgres', q{SELECT reloptions FROM pg_class WHERE oid = 'offline_join.attributed_events'::regclass}),
	   '{security_invoker=true}', $node->name . ': attributed_events is security_invoker');
}
# abandoned_carts() reads transaction IDs, which the cluster's expiry
# workers delete as they expire (database "single" has no worker): expire
# both first
both(q{SELECT offline_join.expire()});
my $carts = q{SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', session_id, visitor_id, customer_id,
                started_at, cart), E'\n' ORDER BY started_at, session_id))
                FROM offline_join.abandoned_carts('2025-12-01', '36 hours')};
($s, $d) = both($carts);
is($d, $s, "abandoned_carts() ($s)");
unlike($s, qr/^0 /, 'abandoned_carts() finds carts');

# attribute() over a foreign table (LATERAL), and validate_file()
my $fdw = qq{SET client_min_messages = warning;
SELECT offline_join.create_foreign_table('public.r2_file', 'rmc', '$dir/r2.csv');
ALTER FOREIGN TABLE public.r2_file OPTIONS (ADD on_error 'skip');
SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', f.event_time, a.match, a.visitor_id, a.session_id, a.snapshot),
         E'\\n' ORDER BY f.event_time, f.customer_id, a.session_id))
  FROM public.r2_file f, LATERAL offline_join.attribute(f.event_time, f.customer_id, f.transaction_id, '20 days') a};
($s, $d) = both($fdw);
is((split /\n/, $d)[-1], (split /\n/, $s)[-1], 'attribute() LATERAL over the foreign table: ' . (split /\n/, $s)[-1]);
my $validate = qq{SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', line_no, field, reason), E'\\n' ORDER BY line_no))
                    FROM offline_join.validate_file('rmc_checked', '$dir/r1.csv')};
($s, $d) = both($validate);
is($d, $s, "validate_file() with product checks: $s");
# the one documented difference (README, Citus): attribute() on the cluster
# sees a write made earlier in its own statement, one server does not
my $same_statement = q{BEGIN;
SELECT CASE WHEN g = 1
         THEN offline_join.record_transaction('NEWT-1', 'vn', NULL, '{"n": 1}', now(), '10 days')::text
         ELSE (SELECT a.match FROM offline_join.attribute(now(), NULL, 'NEWT-1') a) END
  FROM generate_series(1, 2) g;
ROLLBACK;};
($s, $d) = both($same_statement);
is((split /\n/, $s)[-1] . ' / ' . (split /\n/, $d)[-1], 'unmatched / transaction',
   'attribute() after a write in its own statement: unmatched on one server, matched on Citus (documented)');

# expiry: expire() through Citus in the caller's transaction; the worker of
# each node over its own shards, in batches (expire_batch_size = 100 here)
is(dist(q{BEGIN;
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
SELECT 'old-' || g, 'v', now() - interval '10 days', now() - interval '1 day' + g * interval '1 second'
  FROM generate_series(1, 2500) g;
SELECT offline_join.expire(1000);
SELECT (SELECT count(*) FROM offline_join.transactions WHERE transaction_id LIKE 'old-%')
       || ' ' || (SELECT deleted || ' ' || batches FROM offline_join.expiry_runs WHERE who = 'expire()' ORDER BY run_id DESC LIMIT 1);
ROLLBACK;}), "2500\n0 2500 3", 'expire() on the Citus layout: every expired ID, in batches of 1000');
my $unexpired = dist(q{SELECT count(*) FROM offline_join.transactions WHERE expires_at >= now()});
# the workers may have begun on the IDs recorded above that expired already
my $expired_before = dist(q{SELECT count(*) FROM offline_join.transactions WHERE expires_at < now()})
  + dist(q{SELECT 0});
$expired_before += $_->safe_psql('postgres', q{SELECT coalesce(sum(deleted), 0) FROM offline_join.expiry_runs WHERE who = 'worker'})
  for ($w1, $w2);
$_->safe_psql('postgres', q{ALTER SYSTEM SET offline_join.expire_batch_size = 100;
                             ALTER SYSTEM SET offline_join.expire_naptime = 1; SELECT pg_reload_conf()})
  for ($w1, $w2);
dist(q{INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
SELECT 'old-' || g, 'v', now() - interval '10 days', now() - interval '1 day' + g * interval '1 second'
  FROM generate_series(1, 2500) g});
ok($coord->poll_query_until('postgres',
     q{SELECT count(*) = 0 FROM offline_join.transactions WHERE expires_at < now()}),
   'the expiry workers of the nodes delete every expired ID');
is(dist(q{SELECT count(*) FROM offline_join.transactions WHERE expires_at >= now()}), $unexpired,
   'and nothing unexpired');
my $runs = q{SELECT coalesce(sum(deleted), 0) || ' ' || coalesce(max(batches), 0) FROM offline_join.expiry_runs WHERE who = 'worker'};
my ($r1, $r2) = ($w1->safe_psql('postgres', $runs), $w2->safe_psql('postgres', $runs));
my ($d1, $b1) = split / /, $r1;
my ($d2, $b2) = split / /, $r2;
is($d1 + $d2, 2500 + $expired_before, "each node's worker deleted its own shards' rows ($d1 + $d2), recorded on that node");
ok($d1 > 0 && $d2 > 0 && $b1 > 1 && $b2 > 1, "in short batches on both workers ($b1 and $b2 batches)");
is(dist($runs), '0 0', 'the coordinator holds no shard and deleted nothing');

# retention of rejects: expire_rejects() is refused on the coordinator; the
# worker of each node deletes the old rejects of its own shards of rejects,
# reading its placement of the ledger (offline_join.reject_retention is
# '90 days' by default); the rest stay
like(OjCitus::error_of($coord, 'SELECT offline_join.expire_rejects()'),
     qr/offline_join\.expire_rejects\(\) does not run on the Citus layout/, 'expire_rejects() on the Citus layout: refused');
my @with_rejects = split /,/, dist(q{SELECT string_agg(load_id::text, ',' ORDER BY load_id)
                                       FROM (SELECT DISTINCT load_id FROM offline_join.rejects) r});
cmp_ok(scalar(@with_rejects), '>=', 2, 'loads with rejects: ' . join(' ', @with_rejects));
my @aged = @with_rejects[0 .. $#with_rejects - 1];
my $aged = join(',', @aged);
my $rest = $with_rejects[-1];
my $rest_rejects = dist("SELECT count(*) FROM offline_join.rejects WHERE load_id = $rest");
my $aged_rejects = dist("SELECT count(*) FROM offline_join.rejects WHERE load_id IN ($aged)");
dist("UPDATE offline_join.loads SET finished_at = now() - interval '100 days' WHERE load_id IN ($aged)");
ok($coord->poll_query_until('postgres', "SELECT count(*) = 0 FROM offline_join.rejects WHERE load_id IN ($aged)"),
   "the workers delete the rejects of the loads that finished 100 days ago ($aged_rejects)");
is(dist("SELECT count(*) FROM offline_join.rejects WHERE load_id = $rest"), $rest_rejects,
   "the recent load keeps its $rest_rejects rejects");
my $reject_runs = q{SELECT coalesce(sum(deleted), 0) FROM offline_join.expiry_runs WHERE what = 'rejects' AND who = 'worker'};
ok($w1->poll_query_until('postgres', "SELECT count(*) = 0 FROM offline_join.expiry_runs WHERE finished_at IS NULL")
   && $w2->poll_query_until('postgres', "SELECT count(*) = 0 FROM offline_join.expiry_runs WHERE finished_at IS NULL"),
   'their passes finished');
is($w1->safe_psql('postgres', $reject_runs) + $w2->safe_psql('postgres', $reject_runs), $aged_rejects,
   "each node's worker recorded what it deleted from its shards in its own expiry_runs");
is(dist($reject_runs), '0', 'the coordinator holds no shard of rejects and deleted nothing');
my ($aged_source, $aged_path) = split /\|/, dist("SELECT source || '|' || path FROM offline_join.loads WHERE load_id = $aged[0]");
like(dist(sprintf($load, $aged_source, $aged_path)), qr/^duplicate /,
     "the file of load $aged[0] is still refused as a duplicate");

# what stays on the coordinator, and what is refused
like(OjCitus::error_of($w1, sprintf($load, 'rmc', "$dir/r1.csv")),
     qr/offline_join\.load\(\) runs on the Citus coordinator, not on a worker node/, 'load() on a worker: refused');
is($w1->safe_psql('postgres', q{SELECT match FROM offline_join.attribute('2026-01-20 10:00+00', 'CUST-1', NULL)}),
   single(q{SELECT match FROM offline_join.attribute('2026-01-20 10:00+00', 'CUST-1', NULL)}),
   'attribute() on a worker');
is(dist(q{SELECT pg_relation_size('offline_join.events') || ' ' || pg_relation_size('offline_join.rejects')}), '0 0',
   'nothing was ever written to the shells');

done_testing();
