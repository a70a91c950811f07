# A worker down on the Citus layout (issue #30).  Every writer (load(),
# load_dir(), ingest(), COPY or INSERT into an inbox, whose sender needs no
# connection to the workers) fails at once with one ERROR naming the node
# and saying what to do, before it reads the file: no WARNING of Citus per
# connection, nothing written (the events would go to every worker and the
# ledger row to every node, offline_join.loads being a reference table).
# What reads only the coordinator's placements goes on: source_status,
# validate_file(), the ledger.  Once the worker is back, load_dir() loads
# what it could not.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use lib 'test/citus';
use OjCitus;

my ($coord, $w1, $w2) = OjCitus::cluster();
my $dir = $coord->basedir . '/in';
mkdir $dir or die;
sub coord { return $coord->safe_psql('postgres', $_[0]); }
sub write_file
{
	my ($name, $from, $n) = @_;
	open(my $fh, '>', "$dir/$name") or die;
	print $fh "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n";
	print $fh "2026-03-02 14:05:11,CUST-$_,7,c,SKU,1,2\n" for $from .. $from + $n - 1;
	close $fh;
}
write_file('a.csv', 1, 500);

coord(qq{
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc', '{"pattern": "$dir/*.csv"}');
SELECT offline_join.create_inbox('rmc');
SELECT offline_join.distribute();
});
is(coord("SELECT status || ' ' || rows_loaded FROM offline_join.load('rmc', '$dir/a.csv')"), 'loaded 500',
   'a file loads while every node is up');
# An inbox's sender needs no connection to the workers: the inbox writes
# as its owner, and the node check runs as the owner too.  Here the workers
# refuse the sender's role outright.
my $row = q{INSERT INTO offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
            VALUES ('2026-03-02 14:05:11', 'CUST-X9', '7', 'c', 'SKU', '1', '2')};
coord(q{CREATE ROLE pipeline LOGIN; GRANT USAGE ON SCHEMA offline_join TO pipeline;
        GRANT INSERT ON offline_join.inbox_rmc TO pipeline});
for my $w ($w1, $w2)
{
	my $hba = $w->data_dir . '/pg_hba.conf';
	my $text = slurp_file($hba);
	open(my $fh, '>', $hba) or die;
	print $fh "local all pipeline reject\n$text";
	close $fh;
	$w->reload;
	# (a reload takes effect a moment later)
	for my $try (1 .. 100)
	{
		my ($rc, $out, $err) = $w->psql('postgres', 'SELECT 1', extra_params => [ '-U', 'pipeline' ]);
		last if $err =~ /rejects connection/;
		select(undef, undef, undef, 0.1);
	}
	like(($w->psql('postgres', 'SELECT 1', extra_params => [ '-U', 'pipeline' ]))[2], qr/rejects connection/,
		 $w->name . ' refuses role pipeline');
}
is(OjCitus::error_of($coord, "SET ROLE pipeline; $row"), '',
   'every node up: a sender the workers refuse sends a row to the inbox');
is(coord(q{SELECT count(*) FROM offline_join.events WHERE customer_id = 'CUST-X9'}), '1', 'and the row is an event');
write_file('b.csv', 1001, 300);
write_file('c.csv', 2001, 200);
my $ledger = q{SELECT string_agg(regexp_replace(path, '.*/', '') || '=' || status, ' ' ORDER BY load_id)
                 FROM offline_join.loads WHERE path ~ '[.]csv$'};

$w2->stop('fast');
my $node = sprintf('"%s:%d"', $w2->host, $w2->port);

# one ERROR, no WARNING, and fast
sub fails_once
{
	my ($sql, $what, $hint) = @_;
	my $t0 = time;
	my ($rc, $out, $err) = $coord->psql('postgres', $sql);
	my $secs = time - $t0;
	isnt($rc, 0, "$what fails while a worker is down");
	like($err, qr/ERROR:  \Q$what\E cannot run: Citus node \Q$node\E did not answer/, "$what: the error names the node");
	like($err, qr/HINT:  \Q$hint\E/, "$what: and says what to do");
	my @lines = ($err =~ /^(?:psql:[^\n]*)?(WARNING|ERROR):/mg);
	is("@lines", 'ERROR', "$what: one ERROR, no WARNING") or diag($err);
	cmp_ok($secs, '<', 5, "$what: fails within seconds ($secs s)");
}
my $again = 'Start the node, then load the file again: it has no ledger row, so load_dir() and ingest() '
  . 'load a file of their source\'s folder on their next run.';
fails_once("SELECT * FROM offline_join.load('rmc', '$dir/b.csv')", 'offline_join.load()', $again);
fails_once("SELECT * FROM offline_join.load_dir('rmc')", 'offline_join.load_dir()', $again);
fails_once("CALL offline_join.ingest('rmc')", 'offline_join.load_dir()', $again);
fails_once("CALL offline_join.ingest('rmc', workers => 2)", 'offline_join.ingest()', $again);
my $resend = 'Start the node, then send the rows again: nothing of this statement was kept.';
fails_once("COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
            FROM '$dir/b.csv' (FORMAT csv, HEADER)", 'COPY into an inbox', $resend);
fails_once("SET ROLE pipeline; $row", 'COPY into an inbox', $resend);
like(slurp_file($coord->logfile), qr/WARNING:  connection to the remote node .*\Q${\ $w2->port}\E/,
     'the server log has Citus\'s reason');
is(coord($ledger), 'a.csv=loaded', 'nothing was written: the ledger has the first file only');
is(coord(q{SELECT count(*) FROM offline_join.loads}), '2', 'and the inbox row\'s load');

# what goes on while the worker is down
is(coord(q{SELECT last_status || ' ' || waiting_files FROM offline_join.source_status WHERE source = 'rmc'}),
   'loaded 2', 'source_status: the last load, and the two files waiting');
is(coord("SELECT count(*) FROM offline_join.validate_file('rmc', '$dir/b.csv')"), '0',
   'validate_file() checks a file');
is(coord(q{SELECT rows_loaded FROM offline_join.loads WHERE path ~ 'a[.]csv$'}), '500', 'the ledger reads');

# back up: the next run loads what could not load
$w2->start;
is(coord(q{SELECT string_agg(regexp_replace(path, '.*/', '') || '=' || status || ' ' || rows_loaded, ', ' ORDER BY path)
             FROM offline_join.load_dir('rmc')}),
   'b.csv=loaded 300, c.csv=loaded 200', 'the worker back: load_dir() loads the files that waited');
is(coord(q{SELECT count(*) FROM offline_join.events}), '1001', 'every event, on the shards');
is(coord($ledger), 'a.csv=loaded b.csv=loaded c.csv=loaded', 'one ledger row a file');

# ingest()'s workers on the layout: each file through the coordinator, once
write_file('d.csv', 3001, 400);
write_file('e.csv', 4001, 100);
$coord->safe_psql('postgres', q{CALL offline_join.ingest('rmc', workers => 2)});
is(coord(q{SELECT string_agg(regexp_replace(path, '.*/', '') || '=' || status || ' ' || rows_loaded, ', ' ORDER BY path)
             FROM offline_join.loads WHERE path ~ '[de][.]csv$'}),
   'd.csv=loaded 400, e.csv=loaded 100', 'ingest(workers => 2) loads two files side by side');
is(coord(q{SELECT count(*) FROM offline_join.events}), '1501', 'and their events are on the shards');

done_testing();
