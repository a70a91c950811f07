# A preloaded server: the GUCs are defined at startup, survive a restart,
# are checked when set in the configuration, and record_transaction works.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('preload');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'offline_join'
offline_join.transaction_window = '30 days'
offline_join.expire_naptime = 5
});
$node->start;

is($node->safe_psql('postgres', 'SHOW offline_join.transaction_window'),
   '30 days', 'window from postgresql.conf');
is($node->safe_psql('postgres', 'SHOW offline_join.expire_naptime'),
   '5s', 'naptime from postgresql.conf');
is($node->safe_psql('postgres', 'SHOW offline_join.database'),
   'postgres', 'database default');

$node->safe_psql('postgres', 'CREATE EXTENSION offline_join');
$node->safe_psql('postgres',
    "SELECT offline_join.record_transaction('t1', 'v1')");  # unexpired: the worker must leave it
is($node->safe_psql('postgres',
    "SELECT expires_at - recorded_at FROM offline_join.transactions WHERE transaction_id = 't1'"),
   '30 days', 'retention defaults to the configured window');

# ALTER SYSTEM checks the value with the same rule as SET
my ($ret, $stdout, $stderr) = $node->psql('postgres',
    "ALTER SYSTEM SET offline_join.transaction_window = '3 years'");
isnt($ret, 0, 'ALTER SYSTEM refuses a window over 2 years');
like($stderr, qr/invalid value for parameter "offline_join.transaction_window"/, 'error names the parameter');

$node->safe_psql('postgres', "ALTER SYSTEM SET offline_join.transaction_window = '2 years'");
$node->restart;
is($node->safe_psql('postgres', 'SHOW offline_join.transaction_window'),
   '2 years', 'ALTER SYSTEM value after restart');
is($node->safe_psql('postgres', "SELECT count(*) FROM offline_join.transactions"),
   '1', 'data survives the restart');

# a bad value in the file is reported by name and the old value stays
$node->safe_psql('postgres', 'ALTER SYSTEM RESET ALL');
$node->append_conf('postgresql.conf', "offline_join.transaction_window = 'forever'\n");
$node->reload;
ok($node->poll_query_until('postgres', 'SELECT true'), 'server still up after a bad reload');
is($node->safe_psql('postgres', 'SHOW offline_join.transaction_window'),
   '2 years', 'bad value in the file is ignored on reload');
like(slurp_file($node->logfile), qr/invalid value for parameter "offline_join.transaction_window": "forever"/,
     'bad value is logged');

$node->stop;
done_testing();
