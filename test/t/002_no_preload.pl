# Without shared_preload_libraries: the library loads on first use in any
# backend, CREATE EXTENSION and everything but the worker work, and the
# parameters exist once it is loaded; offline_join.progress says it needs
# preloading.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('no_preload');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION offline_join');
is($node->safe_psql('postgres',
    "SELECT offline_join.record_transaction('t1', 'v1')"), 't', 'record_transaction works');
is($node->safe_psql('postgres',
    "LOAD 'offline_join'; SHOW offline_join.database"), 'postgres', 'parameters defined on load');
is($node->safe_psql('postgres',
    "LOAD 'offline_join'; SHOW offline_join.transaction_window"), '90 days', 'window default');

my $dir = $node->basedir;
open(my $fh, '>', "$dir/sample.csv") or die;
print $fh "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n";
print $fh "2026-03-02 14:05:11,CUST-1,7,shoes,SKU-1,1,9.95\n";
close $fh;
chmod 0644, "$dir/sample.csv";
$node->safe_psql('postgres', "SELECT offline_join.create_source('rmc', 'rmc')");
is($node->safe_psql('postgres',
    "SELECT status || ' ' || rows_loaded FROM offline_join.load('rmc', '$dir/sample.csv')"),
   'loaded 1', 'load works without preloading');
is($node->safe_psql('postgres',
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'offline_join expiry'"),
   '0', 'no worker without preloading');

# offline_join.progress lives in shared memory, which only a preloaded
# library has: the view says so (and loads run without it, as above)
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT * FROM offline_join.progress');
isnt($ret, 0, 'progress: an error without preloading');
like($err, qr/ERROR:  offline_join.progress needs offline_join in shared_preload_libraries/,
     'progress: the error says what it needs');
like($err, qr/HINT:  Add offline_join to shared_preload_libraries and restart the server/,
     'progress: and how to get it');

$node->stop;
done_testing();
