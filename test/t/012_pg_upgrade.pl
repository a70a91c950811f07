# pg_upgrade from an older major: a database with offline_join on the old
# server (sources, products, sessions, transactions with snapshots, loaded and
# rejected rows, the ledger, an inbox, a foreign table) is upgraded with
# pg_upgrade to the server this suite runs on; every table keeps its rows,
# the worker starts, and the upgraded database still loads, matches by
# transaction ID and customer, takes inbox COPY and reads the foreign table.
#
# Needs the old server's binaries, with offline_join built for them, in the
# same file system: OJ_UPGRADE_FROM names that installation (bin/ and lib/).
# test/scripts/test_matrix.sh provides PostgreSQL 15 in each root and sets it;
# elsewhere this test is skipped.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $old_path = $ENV{OJ_UPGRADE_FROM};
plan skip_all => 'OJ_UPGRADE_FROM not set (test/scripts/test_matrix.sh sets it)'
  unless $old_path;
# libraries the old binaries need that this system no longer ships
$ENV{LD_LIBRARY_PATH} = join(':', grep { defined && length }
                             "$old_path/compat-lib", $ENV{LD_LIBRARY_PATH});

my $conf = qq{
shared_preload_libraries = 'offline_join'
offline_join.database = 'postgres'
offline_join.expire_naptime = 1
jit = off
};
my $old = PostgreSQL::Test::Cluster->new('old', install_path => $old_path);
my $new = PostgreSQL::Test::Cluster->new('new');
ok($old->pg_version < $new->pg_version,
   'old server ' . $old->pg_version . ' is older than ' . $new->pg_version);

$old->init;
$old->append_conf('postgresql.conf', $conf);
$old->start;
my $dir = $old->basedir;
mkdir "$dir/files";
sub put
{
	my ($name, $text) = @_;
	open(my $fh, '>', "$dir/files/$name") or die;
	print $fh $text;
	close $fh;
	chmod 0644, "$dir/files/$name";
}
put('sales.csv', "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n"
    . join('', map { "2026-03-02 14:05:1$_,CUST-$_,7,shoes,SKU-1,1,9.95\n" } 1 .. 5)
    . "2026-03-02 14:05:11,,7,shoes,SKU-1,1,9.95\n");
put('leads.txt', "# Generic Data Source (Transaction ID) template\n"
    . "Date\ttransactionID\tEvar 1\tEvent 1\n"
    . "03/02/2026/14/05/11\tlead_1\tcall-center\t1\n"
    . "03/02/2026/14/05/12\tlead_unknown\tcall-center\t1\n");
put('leads2.txt', "# Generic Data Source (Transaction ID) template\n"
    . "Date\ttransactionID\tEvar 1\tEvent 1\n"
    . "03/03/2026/10/00/00\tlead_2\tstore\t1\n");
put('sales2.csv', "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n"
    . "2026-03-03 14:05:10,CUST-1,7,shoes,SKU-1,1,9.95\n");

$old->safe_psql('postgres', qq{
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc', '{"timezone": "Europe/Copenhagen", "total_tolerance": 0.5}');
SELECT offline_join.create_source('leads', 'adobe', '{"timezone": "Europe/Copenhagen"}');
INSERT INTO offline_join.products VALUES ('SKU-1', 'shoes', 9.95, '{"brand": "x"}');
INSERT INTO offline_join.sessions VALUES ('s1', 'V1', 'CUST-1', '2026-03-01 10:00+00', '{"cart": ["SKU-1"]}');
SELECT offline_join.record_transaction('lead_1', 'V1', 's1', '{"channel": "search"}', '2026-03-01 10:00+00', '2 years');
SELECT offline_join.record_transaction('lead_2', 'V2', 's2', '{"channel": "email"}', '2026-03-01 11:00+00', '2 years');
SELECT offline_join.load('rmc', '$dir/files/sales.csv');
SELECT offline_join.load('leads', '$dir/files/leads.txt');
SELECT offline_join.create_inbox('rmc');
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
  FROM PROGRAM 'printf "2026-03-03 10:00:00,CUST-9,7,,SKU-1,1,9.95\\n"' (FORMAT csv);
SELECT offline_join.create_foreign_table('public.sales_file', 'rmc', '$dir/files/sales.csv');
ALTER FOREIGN TABLE public.sales_file OPTIONS (ADD on_error 'skip');
});

# every table's rows, in full, and what identifies the install
my $state = q{
SELECT string_agg(t || ': ' || n, E'\n' ORDER BY t) FROM (
  SELECT 'sessions' AS t, count(*) || ' ' || md5(string_agg(x::text, ',' ORDER BY x::text)) AS n FROM offline_join.sessions x
  UNION ALL SELECT 'transactions', count(*) || ' ' || md5(string_agg(x::text, ',' ORDER BY x::text)) FROM offline_join.transactions x
  UNION ALL SELECT 'sources', count(*) || ' ' || md5(string_agg(x::text, ',' ORDER BY x::text)) FROM offline_join.sources x
  UNION ALL SELECT 'products', count(*) || ' ' || md5(string_agg(x::text, ',' ORDER BY x::text)) FROM offline_join.products x
  UNION ALL SELECT 'events', count(*) || ' ' || md5(string_agg(x::text, ',' ORDER BY x::text)) FROM offline_join.events x
  UNION ALL SELECT 'rejects', count(*) || ' ' || md5(string_agg(x::text, ',' ORDER BY x::text)) FROM offline_join.rejects x
  UNION ALL SELECT 'loads', count(*) || ' ' || md5(string_agg(x::text, ',' ORDER BY x::text)) FROM offline_join.loads x
  UNION ALL SELECT 'version', extversion FROM pg_extension WHERE extname = 'offline_join'
  UNION ALL SELECT 'matches', string_agg(coalesce(transaction_id, customer_id, '-') || '=' || match, ' ' ORDER BY event_id)
    FROM offline_join.events) s};
my $before = $old->safe_psql('postgres', $state);
like($before, qr/^events: 8 .*\nloads: 3 .*\nmatches: CUST-1=customer .* lead_1=transaction lead_unknown=unmatched .*\nproducts: 1 .*\nrejects: 1 .*\nsessions: 1 .*\nsources: 2 .*\ntransactions: 2 .*\nversion: \S+$/s,
     'old server: rows loaded, matched and rejected')
  or diag($before);

# Debian's 15.20 and 17.12 stamp every column of every table with an
# attribute option, pg_attver (their own pg_dump leaves it out); 18.6 does not
# know it, its pg_dump copies it and the restore fails, for any database.
# When the old server stamps and the new one refuses the option, pg_upgrade
# cannot work here: the test shows that it fails for that reason alone, and
# moves the database the other supported way, the old pg_dump and the new
# pg_restore.
$old->safe_psql('postgres', 'CREATE TABLE public.plain (a int)');
my $stamped = $old->safe_psql('postgres', q{
SELECT count(*) > 0 FROM pg_attribute
 WHERE attrelid = 'public.plain'::regclass AND array_to_string(attoptions, ',') LIKE '%pg_attver=%'});
my $probe = PostgreSQL::Test::Cluster->new('probe');
$probe->init;
$probe->start;
my ($rc, $out, $err) = $probe->psql('postgres',
    'CREATE TEMP TABLE t (a int); ALTER TABLE t ALTER a SET (pg_attver = 1)');
$probe->stop;
my $unknown = $err =~ /unrecognized parameter "pg_attver"/;
my $route = ($stamped eq 't' && $unknown) ? 'dump' : 'pg_upgrade';
note("old server stamps pg_attver: $stamped; new server refuses it: "
     . ($unknown ? 'yes' : 'no') . "; route: $route");
$old->stop;

# 18's initdb turns data checksums on; pg_upgrade needs both clusters alike
$new->init(extra => $new->pg_version >= 18 ? ['--no-data-checksums'] : []);
$new->append_conf('postgresql.conf', $conf);
my @upgrade = ('pg_upgrade', '--no-sync',
    '-d', $old->data_dir, '-D', $new->data_dir,
    '-b', $old->config_data('--bindir'), '-B', $new->config_data('--bindir'),
    '-s', $new->host, '-p', $old->port, '-P', $new->port);
# pg_upgrade writes its logs into the current directory on old majors
chdir $new->basedir;
$new->command_ok([@upgrade, '--check'], 'pg_upgrade --check passes');
if ($route eq 'pg_upgrade')
{
	$new->command_ok(\@upgrade, 'pg_upgrade');
	$new->start;
}
else
{
	my ($stdout, $stderr);
	IPC::Run::run(\@upgrade, '>', \$stdout, '2>', \$stderr);
	my $logs = join('', map { slurp_file($_) }
	                glob($new->data_dir . '/pg_upgrade_output.d/*/log/pg_upgrade_dump_*.log'));
	like($logs, qr/ERROR:  unrecognized parameter "pg_attver"/,
	     'pg_upgrade fails on the servers\' pg_attver alone');

	# the old server's pg_dump, which knows the stamp, and the new pg_restore
	$old->start;
	my $old_bin = $old->config_data('--bindir');
	$old->command_ok(["$old_bin/pg_dump", '-Fc', '-f', "$dir/db.dump", '-d', $old->connstr('postgres')],
	                 'old pg_dump');
	$old->stop;
	$new = PostgreSQL::Test::Cluster->new('restored');
	$new->init;
	$new->append_conf('postgresql.conf', $conf);
	$new->start;
	$new->command_ok(['pg_restore', '--exit-on-error', '-d', $new->connstr('postgres'), "$dir/db.dump"],
	                 'new pg_restore');
}

is($new->safe_psql('postgres', $state), $before,
   'new server: every table holds the same rows; the same version is installed');
ok($new->poll_query_until('postgres',
       q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'offline_join expiry'}),
   'the expiry worker runs on the upgraded server');

# still loads, matches by transaction ID and by customer, takes COPY, reads files
is($new->safe_psql('postgres', qq{
SELECT status || ' ' || rows_loaded || ' ' || rows_matched FROM offline_join.load('leads', '$dir/files/leads2.txt')}),
   'loaded 1 1', 'a new file loads and matches a transaction recorded before the upgrade');
is($new->safe_psql('postgres', q{
SELECT e.match || ' ' || e.session_id || ' ' || (e.snapshot->>'channel') FROM offline_join.events e WHERE transaction_id = 'lead_2'}),
   'transaction s2 email', 'with its session and snapshot');
is($new->safe_psql('postgres', qq{
SELECT status || ' ' || rows_loaded || ' ' || rows_matched FROM offline_join.load('rmc', '$dir/files/sales2.csv')}),
   'loaded 1 1', 'matching by customer');
is($new->safe_psql('postgres', qq{SELECT status FROM offline_join.load('rmc', '$dir/files/sales.csv')}),
   'duplicate', 'the ledger still knows the files loaded before');
$new->safe_psql('postgres', q{
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
  FROM PROGRAM 'printf "2026-03-04 10:00:00,CUST-8,7,,SKU-1,1,9.95\n2026-03-04 10:00:00,CUST-8,7,,SKU-1,x,9.95\n"' (FORMAT csv)});
is($new->safe_psql('postgres', q{
SELECT (SELECT count(*) FROM offline_join.events WHERE customer_id = 'CUST-8') || ' ' ||
       (SELECT count(*) FROM offline_join.rejects)}),
   '1 2', 'inbox COPY keeps the good row and records the bad one');
is($new->safe_psql('postgres', 'SELECT count(*) FROM public.sales_file'), '5',
   'the foreign table reads its file');
is($new->safe_psql('postgres', q{SELECT count(*) FROM offline_join.attribute('2026-03-02 10:00+00', 'CUST-1', NULL)}),
   '1', 'attribute() answers');

$new->stop;
done_testing();
