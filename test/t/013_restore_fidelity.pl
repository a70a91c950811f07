# Restore fidelity (issue #25): a database with rows in every table of the
# extension -- transaction IDs recorded across daylight saving time changes
# in four zones with retentions up to 2 years (and one at the very limit of
# the CHECK), ledger and reject rows of a role the target cluster lacks, an
# inbox, sources with options, an expiry run -- is dumped with pg_dump -Fc
# and -Fp, and restored with pg_restore --no-owner --no-privileges and with
# psql into another cluster that lacks that role, whose server TimeZone is
# Pacific/Auckland, from sessions with yet other TimeZone, DateStyle and
# IntervalStyle settings.  Every table that pg_extension_config_dump
# registers (read from extconfig, so none is forgotten) comes back with the
# same rows, compared as text in UTC; the ledger still names the missing
# role, still refuses a loaded file as `duplicate`, my_rejects() works, and
# the 2-year CHECK on transactions is still there and still refuses.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $src = PostgreSQL::Test::Cluster->new('source');
$src->init;
$src->start;
my $dir = $src->basedir;

sub put
{
	my ($name, $text) = @_;
	open(my $fh, '>', "$dir/$name") or die;
	print $fh $text;
	close $fh;
	chmod 0644, "$dir/$name";
}
my $head = "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n";
# loaded by loader_gone: a missing customer, and a Copenhagen time the
# clocks skip (a range reject)
put('gone.csv', $head
    . join('', map { "2026-03-02 14:05:1$_,CUST-$_,7,shoes,SKU-1,1,9.95\n" } 1 .. 4)
    . "2026-03-02 14:05:15,,7,shoes,SKU-1,1,9.95\n"
    . "2026-03-29 02:30:00,CUST-1,7,shoes,SKU-1,1,9.95\n");
# loaded by postgres: an ambiguous Copenhagen time, and a bad number
put('mine.csv', $head
    . "2026-10-25 02:30:00,CUST-2,7,hats,SKU-2,2,39.90\n"
    . "2026-10-26 09:00:00,CUST-3,7,hats,SKU-2,1,19.95\n"
    . "2026-10-26 09:00:01,CUST-3,7,hats,SKU-2,one,19.95\n");
# Adobe rows matched by transaction ID (their snapshots land in events)
put('leads.txt', "# Generic Data Source (Transaction ID) template\n"
    . "Date\ttransactionID\tEvar 1\tEvent 1\n"
    . "11/02/2026/10/00/00\ttx-ny-90d\tcall-center\t1\n"
    . "11/02/2026/10/00/01\ttx-syd-90d\tstore\t2\n"
    . "11/02/2026/10/00/02\ttx-unknown\tstore\t3\n");

$src->safe_psql('postgres', q{
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc',
         '{"timezone": "Europe/Copenhagen", "lookback": "45 days", "reject_limit": 10}');
SELECT offline_join.create_source('leads', 'adobe',
         '{"timezone": "America/New_York", "lookback": "1 year 6 mons", "reject_limit": 5}');
INSERT INTO offline_join.products VALUES
  ('SKU-1', 'shoes', 9.95, '{"brand": "x"}'),
  ('SKU-2', 'hats', 19.95, '{"brand": "y", "sizes": [1, 2]}');
INSERT INTO offline_join.sessions VALUES
  ('s-cph', 'V-cph', 'CUST-1', '2026-02-20 10:00+01', '{"cart": ["SKU-1"]}'),
  ('s-syd', 'V-syd', 'CUST-2', '2026-10-04 01:30+11', '{"channel": "mail"}'),
  ('s-ny',  'V-ny',  'CUST-3', '2026-11-01 01:30-05', '{}');
-- the role that the restoring cluster lacks: a loader as README's
-- Security section makes one, and an inbox writer
CREATE ROLE loader_gone LOGIN IN ROLE pg_read_server_files;
GRANT USAGE ON SCHEMA offline_join TO loader_gone;
GRANT SELECT ON offline_join.sources, offline_join.sessions, offline_join.transactions,
                offline_join.products TO loader_gone;
GRANT INSERT ON offline_join.events, offline_join.rejects TO loader_gone;
GRANT SELECT, INSERT ON offline_join.loads TO loader_gone;
SELECT offline_join.create_inbox('rmc');
GRANT INSERT ON offline_join.inbox_rmc TO loader_gone;
});

# transaction IDs recorded in sessions of four zones, local times read in
# each, so that recorded_at + retention crosses a change of offset
my %recorded = (
	'America/New_York' => [
		[ 'tx-ny-2y',    '2026-03-07 12:00', '2 years' ],     # EST, DST from Mar 8
		[ 'tx-ny-2y-b',  '2026-03-10 12:00', '2 years' ],     # EDT
		[ 'tx-ny-730d',  '2026-10-31 12:00', '730 days' ],    # DST ends Nov 1
		[ 'tx-ny-90d',   '2026-10-30 12:00', '90 days' ] ],
	'Europe/Copenhagen' => [
		[ 'tx-cph-2y',   '2026-10-20 12:00', '2 years' ],     # DST ends Oct 25
		[ 'tx-cph-730d', '2026-03-28 12:00', '730 days' ],    # DST from Mar 29
		[ 'tx-cph-90d',  '2026-10-24 12:00', '90 days' ] ],
	'Australia/Sydney' => [
		[ 'tx-syd-2y',   '2026-04-04 12:00', '2 years' ],     # DST ends Apr 5
		[ 'tx-syd-730d', '2026-04-05 02:30', '730 days' ],    # ambiguous time
		[ 'tx-syd-90d',  '2026-10-03 12:00', '90 days' ] ],   # DST from Oct 4
	'Asia/Kolkata' => [
		[ 'tx-kol-2y',   '2024-12-31 23:30', '2 years' ],     # +05:30, other UTC day
		[ 'tx-kol-730d', '2025-06-01 05:30', '730 days' ],
		[ 'tx-kol-90d',  '2026-11-15 12:00', '90 days' ] ]);
for my $zone (sort keys %recorded)
{
	my $calls = join('', map {
		my ($id, $at, $keep) = @$_;
		"SELECT offline_join.record_transaction('$id', 'V-$id', NULL,"
		  . " '{\"zone\": \"$zone\", \"retention\": \"$keep\"}', '$at', '$keep');\n"
	} @{ $recorded{$zone} });
	$src->safe_psql('postgres', "SET TimeZone = '$zone';\n$calls");
}

$src->safe_psql('postgres', q{
-- plain INSERTs: two without expires_at (the trigger fills it from the
-- window), one at the very limit of the CHECK, one already expired
SET TimeZone = 'America/Sao_Paulo';
SET offline_join.transaction_window = '2 years';
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, snapshot) VALUES
  ('tx-direct-1', 'V-d1', '2026-11-01 01:30 America/New_York', '{"retention": "2 years"}'),
  ('tx-direct-2', 'V-d2', '2026-12-01 00:00+00', '{"retention": "2 years"}');
INSERT INTO offline_join.transactions (transaction_id, visitor_id, session_id, recorded_at, expires_at)
SELECT 'tx-edge', 'V-edge', 's-cph', r,
       (r AT TIME ZONE 'UTC' + interval '2 years 3 hours') AT TIME ZONE 'UTC'
  FROM (SELECT timestamptz '2026-03-29 00:30+00' AS r) x;
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at) VALUES
  ('tx-expired', 'V-x', '2024-01-10 00:00+00', '2024-04-09 00:00+00');
});
is($src->safe_psql('postgres', 'SELECT offline_join.expire()'), '1', 'expire() purges the expired ID');

# the loads: two by loader_gone (a file and an inbox COPY), two by postgres
$src->safe_psql('postgres', qq{
SET ROLE loader_gone;
SELECT offline_join.load('rmc', '$dir/gone.csv');
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
  FROM STDIN (FORMAT csv);
2026-03-03 10:00:00,CUST-9,7,,SKU-1,1,9.95
2026-03-03 10:00:01,CUST-9,seven,,SKU-1,1,9.95
\\.
RESET ROLE;
SELECT offline_join.load('rmc', '$dir/mine.csv');
SELECT offline_join.load('leads', '$dir/leads.txt');
});
is($src->safe_psql('postgres', q{
SELECT string_agg(loaded_by || ':' || status || ':' || rows_loaded || '/' || rows_rejected, ' ' ORDER BY load_id)
  FROM offline_join.loads}),
   'loader_gone:loaded:4/2 loader_gone:loaded:1/1 postgres:loaded:2/1 postgres:loaded:3/0',
   'ledger: two loads by loader_gone, two by postgres');
is($src->safe_psql('postgres', q{
SET TimeZone = 'UTC';
SELECT count(*) FILTER (WHERE expires_at <> ((recorded_at AT TIME ZONE 'UTC')
                                           + (snapshot->>'retention')::interval) AT TIME ZONE 'UTC')
       || ' of ' || count(*)
  FROM offline_join.transactions WHERE snapshot ? 'retention'}),
   '0 of 15', 'every window added in UTC\'s calendar');

# a rematch run, so that rematch_runs (0.2.1) holds a row to dump
$src->safe_psql('postgres', 'SELECT offline_join.rematch()');

# Every table and sequence pg_dump keeps for the extension, and a summary of
# each: its row count and an md5 of its rows' text in a fixed order, written
# in UTC with ISO dates (a sequence: where it stands).
my $config = q{
SELECT c.relkind::text || ' ' || c.relname
  FROM pg_extension e, unnest(e.extconfig) AS x(oid)
  JOIN pg_class c ON c.oid = x.oid
 WHERE e.extname = 'offline_join'
 ORDER BY c.relkind DESC, c.relname};
my @config = split /\n/, $src->safe_psql('postgres', $config);
my @tables = map { /^r (\S+)$/ ? $1 : () } @config;
my @seqs   = map { /^S (\S+)$/ ? $1 : () } @config;
is(join(' ', @tables),
   'events expiry_runs inboxes loads products rejects rematch_runs sessions sources transactions',
   'extconfig lists every table of the extension');
my $summary = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';\n"
  . "SET extra_float_digits = 1;\n"
  . join("\nUNION ALL\n",
	map { "SELECT '$_ ' || count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE \"C\"), ''))"
		  . " FROM offline_join.$_ t" } @tables)
  . join('', map { "\nUNION ALL\nSELECT '$_ ' || last_value || ' ' || is_called FROM offline_join.$_" } @seqs);
my $before = $src->safe_psql('postgres', $summary);
note($before);
my @empty = grep { / 0 [0-9a-f]{32}$/ } split /\n/, $before;
is(scalar(@empty), 0, 'every table holds rows before the dump') or diag(join("\n", @empty));

$src->command_ok(['pg_dump', '-Fc', '-f', "$dir/db.dump", '-d', $src->connstr('postgres')],
                 'pg_dump -Fc');
$src->command_ok(['pg_dump', '-Fp', '--no-owner', '--no-privileges', '-f', "$dir/db.sql",
                  '-d', $src->connstr('postgres')], 'pg_dump -Fp --no-owner --no-privileges');

# the target: another server TimeZone and output styles, no loader_gone
my $dst = PostgreSQL::Test::Cluster->new('target');
$dst->init;
$dst->append_conf('postgresql.conf', q{
timezone = 'Pacific/Auckland'
datestyle = 'German, DMY'
intervalstyle = 'iso_8601'
});
$dst->start;
is($dst->safe_psql('postgres', q{SELECT count(*) FROM pg_roles WHERE rolname = 'loader_gone'}),
   '0', 'the target lacks loader_gone');
$dst->safe_psql('postgres', 'CREATE DATABASE from_custom; CREATE DATABASE from_plain;');
# what a client session of the restores gets (libpq reads PGOPTIONS, PGTZ, PGDATESTYLE)
my @settings = ('psql', '-XAtc', q{SELECT current_setting('TimeZone') || ' ' || current_setting('IntervalStyle')
                                   || ' ' || current_setting('DateStyle')}, '-d', $dst->connstr('postgres'));

{
	local $ENV{PGOPTIONS} = '-c TimeZone=America/Los_Angeles -c IntervalStyle=sql_standard -c DateStyle=SQL,DMY';
	$dst->command_like([ @settings ],
	                   qr/^America\/Los_Angeles sql_standard SQL, DMY$/, 'the restore session\'s settings');
	$dst->command_ok(['pg_restore', '--no-owner', '--no-privileges', '--exit-on-error',
	                  '-d', $dst->connstr('from_custom'), "$dir/db.dump"],
	                 'pg_restore --no-owner --no-privileges under America/Los_Angeles');
}
{
	local $ENV{PGTZ} = 'Asia/Kathmandu';
	local $ENV{PGDATESTYLE} = 'Postgres, MDY';
	local $ENV{PGOPTIONS} = '-c IntervalStyle=postgres_verbose';
	$dst->command_like([ @settings ],
	                   qr/^Asia\/Kathmandu postgres_verbose Postgres, MDY$/, 'the plain restore session\'s settings');
	$dst->command_ok(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', "$dir/db.sql",
	                  '-d', $dst->connstr('from_plain')],
	                 'plain dump restored with psql under Asia/Kathmandu');
}

for my $db ('from_custom', 'from_plain')
{
	is(join(' ', split /\n/, $dst->safe_psql($db, $config)), join(' ', @config),
	   "$db: the same tables and sequences are the extension's");
	is($dst->safe_psql($db, $summary), $before, "$db: every row of every table came back");
	is($dst->safe_psql($db, q{
SELECT string_agg(DISTINCT loaded_by, ' ' ORDER BY loaded_by) FROM offline_join.loads}),
	   'loader_gone postgres', "$db: the ledger still names loader_gone");

	# the ledger still knows every file loaded, whoever loaded it
	my $events = $dst->safe_psql($db, 'SELECT count(*) FROM offline_join.events');
	is($dst->safe_psql($db, qq{
SELECT string_agg((offline_join.load(s, p)).status, ' ' ORDER BY p)
  FROM (VALUES ('rmc', '$dir/gone.csv'), ('rmc', '$dir/mine.csv'), ('leads', '$dir/leads.txt')) v(s, p)}),
	   'duplicate duplicate duplicate', "$db: the loaded files are refused as duplicate");
	is($dst->safe_psql($db, 'SELECT count(*) FROM offline_join.events'), $events,
	   "$db: and add no event");

	# rejects of loader_gone's loads are no one's here; postgres's are its own
	my ($ret, $out, $err) = $dst->psql($db,
		'SELECT count(*) || \' \' || string_agg(reason, \',\' ORDER BY load_id, line_no) FROM offline_join.my_rejects()');
	is($ret, 0, "$db: my_rejects() works") or diag($err);
	is($out, '1 format', "$db: my_rejects() gives postgres's own rejects");

	# the 2-year CHECK (made by CREATE EXTENSION, not by the dump) is there
	# and validated, and decides as on the source: not dropped, not loosened
	is($dst->safe_psql($db, q{
SELECT convalidated FROM pg_constraint
 WHERE conrelid = 'offline_join.transactions'::regclass
   AND conname = 'transactions_expires_within_2_years'}), 't', "$db: the 2-year CHECK is there");
	is($dst->safe_psql($db, q{
BEGIN;
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
SELECT 'tx-at-limit', 'V', r, (r AT TIME ZONE 'UTC' + interval '2 years 3 hours') AT TIME ZONE 'UTC'
  FROM (SELECT timestamptz '2026-03-10 16:00+00' AS r) x
RETURNING transaction_id;
ROLLBACK;}), 'tx-at-limit', "$db: an ID kept 2 years + 3 hours is accepted");
	($ret, $out, $err) = $dst->psql($db, q{
\set VERBOSITY verbose
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
SELECT 'tx-too-long', 'V', r, (r AT TIME ZONE 'UTC' + interval '2 years 3 hours 1 second') AT TIME ZONE 'UTC'
  FROM (SELECT timestamptz '2026-03-10 16:00+00' AS r) x;});
	isnt($ret, 0, "$db: an ID kept 2 years + 3 hours + 1 second is refused");
	like($err, qr/ERROR:  23514: .*"transactions_expires_within_2_years"/,
	     "$db: as a check_violation of the 2-year CHECK");
}

$src->stop;
$dst->stop;
done_testing();
