# A Citus cluster for the TAP tests in test/citus: a coordinator and two
# workers, PostgreSQL::Test::Cluster nodes on unix sockets (Citus reaches a
# node by its socket directory and port), every node with
# shared_preload_libraries = 'citus,pg_cron,offline_join' and the citus
# extension created; the coordinator knows both workers.
package OjCitus;
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

sub node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'citus,pg_cron,offline_join'
cron.database_name = 'postgres'
offline_join.database = 'postgres'
offline_join.expire_naptime = 1
max_prepared_transactions = 20
max_worker_processes = 32
citus.shard_count = 4
});
	# pg_cron connects to its own server: here on the node's socket
	$node->append_conf('postgresql.conf', "cron.host = '" . $node->host . "'");
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION citus');
	return $node;
}

# (coordinator, worker 1, worker 2)
sub cluster
{
	my $coord = node('coordinator');
	my @workers = (node('worker1'), node('worker2'));
	$coord->safe_psql('postgres', sprintf(q{SELECT citus_set_coordinator_host('%s', %d)},
	                                      $coord->host, $coord->port));
	$coord->safe_psql('postgres', sprintf(q{SELECT citus_add_node('%s', %d)}, $_->host, $_->port))
	  for @workers;
	return ($coord, @workers);
}

# the error of a statement expected to fail ('' when it succeeded)
sub error_of
{
	my ($node, $sql, $db) = @_;
	my ($rc, $out, $err) = $node->psql($db // 'postgres', $sql);
	return $rc == 0 ? '' : $err;
}

1;
