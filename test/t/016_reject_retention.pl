# Retention of rejects (spec section 9): the expiry worker deletes the
# rejects of loads that finished more than offline_join.reject_retention ago,
# in batches of offline_join.expire_batch_size, with one row per pass in
# offline_join.expiry_runs (what = 'rejects'); recent rejects stay; the
# ledger still refuses the loaded file as a duplicate afterwards; a reload
# with a shorter retention purges more, 'off' purges nothing; a new library
# purges nothing on the schema of 0.2.0 until ALTER EXTENSION UPDATE, which
# says what will be deleted.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('retention');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'offline_join'
offline_join.expire_naptime = 1
offline_join.expire_batch_size = 100
});
$node->start;
my $dir = $node->basedir;

sub sql { return $node->safe_psql('postgres', $_[0]); }
# writes NAME.csv: n rows, every bad-th one rejected (a num2 of 'x')
sub write_file
{
	my ($name, $n, $bad) = @_;
	sql(qq{COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
	             UNION ALL
	             SELECT '2026-03-02 14:05:11,CUST-' || i || ',7,c,SKU,1,' || CASE WHEN i % $bad = 0 THEN 'x' ELSE '2' END
	               FROM generate_series(1, $n) i) TO '$dir/$name.csv'});
}
sub load { return sql("SELECT load_id || ' ' || status || ' ' || rows_rejected FROM offline_join.load('rmc', '$dir/$_[0].csv')"); }
sub kept { return sql("SELECT count(*) FROM offline_join.rejects WHERE load_id = $_[0]"); }
sub finished_ago { sql("UPDATE offline_join.loads SET finished_at = now() - interval '$_[1]' WHERE load_id = $_[0]"); }
sub reload_with
{
	my ($setting) = @_;
	sql("ALTER SYSTEM SET offline_join.reject_retention = '$setting'");
	sql('SELECT pg_reload_conf()');
}
sub runs { return sql("SELECT count(*) FROM offline_join.expiry_runs WHERE what = 'rejects'"); }

# --- 0.2.0's schema: the library purges no reject before the update
write_file('a', 5000, 2);    # 2500 rejects
write_file('b', 300, 3);     # 100
write_file('c', 110, 10);    # 11
sql(q{CREATE EXTENSION offline_join VERSION '0.2.0'; SELECT offline_join.create_source('rmc', 'rmc')});
is(load('a'), '1 loaded 2500', 'file a: 2500 rejects');
is(load('b'), '2 loaded 100', 'file b: 100 rejects');
is(load('c'), '3 loaded 11', 'file c: 11 rejects');
finished_ago(1, '100 days');
finished_ago(2, '10 days');
sleep 3;
is(kept(1), '2500', 'on the schema of 0.2.0 the worker deletes no reject (three naptimes)');

# ALTER EXTENSION UPDATE says what the worker will delete
my ($rc, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION offline_join UPDATE');
is($rc, 0, 'the update to 0.2.1 runs');
like($err, qr/WARNING:  the expiry worker will delete 2500 rejects of 1 loads that finished more than 90 days ago/,
	 'and says what the worker will delete');

# --- after it, the rejects of the load that finished 100 days ago go, in
# batches of 100; the others stay
ok($node->poll_query_until('postgres', 'SELECT count(*) = 0 FROM offline_join.rejects WHERE load_id = 1'),
   'the worker deletes the rejects of the load that finished 100 days ago');
is(kept(2) . ' ' . kept(3), '100 11', 'the rejects of recent loads stay');
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM offline_join.expiry_runs
	WHERE what = 'rejects' AND finished_at IS NOT NULL}), 'its pass has finished');
is(sql(q{SELECT who, deleted, batches, error IS NULL FROM offline_join.expiry_runs WHERE what = 'rejects'}),
   'worker|2500|25|t', 'one row in expiry_runs: 2500 rejects in 25 batches of 100');

# the ledger keeps what exactly-once needs
is(sql('SELECT status || rows_rejected FROM offline_join.loads WHERE load_id = 1'), 'loaded2500',
   'the ledger row keeps its counts');
is(load('a'), '4 duplicate 0', 'the file is still refused as a duplicate');
is(sql('SELECT count(*) FROM offline_join.my_rejects WHERE load_id = 1'), '0', 'my_rejects shows none of it');

# --- a shorter retention, after a reload: the load of 10 days ago goes too
reload_with('5 days');
ok($node->poll_query_until('postgres', 'SELECT count(*) = 0 FROM offline_join.rejects WHERE load_id = 2'),
   "after a reload with '5 days' the load of 10 days ago is purged");
is(kept(3), '11', 'the load of today still keeps its rejects');
ok($node->poll_query_until('postgres', q{SELECT count(*) = 2 FROM offline_join.expiry_runs
	WHERE what = 'rejects' AND finished_at IS NOT NULL}), 'a second pass recorded');
is(sql(q{SELECT deleted || ' ' || batches FROM offline_join.expiry_runs WHERE what = 'rejects' ORDER BY run_id DESC LIMIT 1}),
   '100 1', 'of 100 rejects in one batch');

# --- 'off': nothing is deleted
reload_with('off');
sleep 1;
finished_ago(3, '100 days');
sleep 3;
is(kept(3), '11', "with 'off' the worker deletes no reject (three naptimes)");
is(runs(), '2', 'and records no pass');

# --- an invalid value in the configuration is refused; the last good one stays
reload_with('2 days') ;
ok($node->poll_query_until('postgres', 'SELECT count(*) = 0 FROM offline_join.rejects WHERE load_id = 3'),
   "back to '2 days': the rest is purged");
($rc, $out, $err) = $node->psql('postgres', "ALTER SYSTEM SET offline_join.reject_retention = '1 mon -40 days'");
like($err, qr/invalid value for parameter "offline_join.reject_retention".*\n.*mixes positive and negative parts/,
	 'ALTER SYSTEM refuses mixed signs');

# the worker runs as a superuser: while another role could make rejects run
# its code (here TRIGGER granted to it), it deletes no reject, and says so
# once; transaction IDs are not held up by it
sql(q{CREATE ROLE regress_ret_trigger; GRANT TRIGGER ON offline_join.rejects TO regress_ret_trigger});
my $offset = -s $node->logfile;
is(sql("SELECT load_id || ' ' || rows_rejected FROM offline_join.load('rmc', '$dir/c.csv', true)"), '5 11', 'file c loaded again');
finished_ago(5, '100 days');
sleep 3;
is(kept(5), '11', 'with TRIGGER on rejects granted to another role the worker deletes no reject');
my @waits = slurp_file($node->logfile, $offset) =~ /(offline_join expiry worker waits: [^\n]*)/g;
is(scalar(@waits), 1, 'one WARNING in three naptimes');
like($waits[0] // '', qr/role "regress_ret_trigger" holds TRIGGER on table "offline_join.rejects"/, 'naming the role and the table');
sql(q{REVOKE TRIGGER ON offline_join.rejects FROM regress_ret_trigger});
ok($node->poll_query_until('postgres', 'SELECT count(*) = 0 FROM offline_join.rejects WHERE load_id = 5'),
   'once it is revoked they are purged');

# transaction IDs still expire beside it, each pass with its own row
sql(q{INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
      SELECT 'old-' || i, 'v', now() - interval '30 days', now() - interval '1 day' FROM generate_series(1, 150) i});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM offline_join.expiry_runs
	WHERE what = 'transactions' AND deleted = 150 AND finished_at IS NOT NULL}),
   "transaction IDs are purged too, recorded as what = 'transactions'");

my $log = slurp_file($node->logfile);
unlike($log, qr/offline_join expiry pass failed/, 'no pass failed');

$node->stop;
done_testing();
