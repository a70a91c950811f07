# Hostile files: random bytes, truncated files, gigantic lines, 10,000
# columns, long runs of quotes, mixed line endings, invalid UTF-8 at the
# reader's buffer boundaries.  Each loads (or fails with a clean error, never
# a crash) with rows_total = rows_loaded + rows_rejected, and the backend's
# memory stays bounded (records over 1 MiB are too_long).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('hostile');
$node->init;
$node->start;
my $dir = $node->basedir . '/files';
mkdir $dir;
chmod 0755, $dir;
srand(20261122);

my $hdr = "Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n";
my $row = "2026-03-02 14:05:11,CUST-1,7,c,SKU,1,2\n";
my %files;
$files{random} = join('', map { chr(int(rand(256))) } 1 .. 2_000_000);
$files{random_lines} = join('', map { join('', map { chr(32 + int(rand(95))) } 1 .. int(rand(200))) . ("\n", "\r\n", "\r", '"', ',')[int(rand(5))] } 1 .. 20000);
my $good = $hdr . ($row x 1000) . qq{2026-03-02 14:05:11,CUST-2,7,"quoted\nfield",SKU,1,2\n} . ($row x 1000);
$files{truncated_mid_quote} = substr($good, 0, index($good, 'quoted') + 3);
$files{truncated_mid_row} = substr($good, 0, length($good) - 7);
$files{giant_line} = $hdr . $row . ('x' x 30_000_000) . "\n" . $row;
$files{giant_quoted_field} = $hdr . $row . '2026-03-02 14:05:11,CUST-1,7,"' . ("y\n" x 15_000_000) . "\",SKU,1,2\n" . $row;
$files{giant_unterminated_quote} = $hdr . $row . '"' . ('z' x 20_000_000);
$files{ten_thousand_columns} = join(',', ('c') x 10000) . "\n" . join(',', ('2026-03-02 14:05:11', 'C', 7, 'c', 'P', 1, 2, ('v') x 9993)) . "\n" . $row;
$files{nested_quotes} = $hdr . ('"' x 100_001) . "\n" . ('"' x 100_000) . "\n" . $row . '""""a""""' . "\n" . $row;
$files{mixed_line_endings} = $hdr . join('', map { my $e = ("\n", "\r\n", "\r")[$_ % 3]; "2026-03-02 14:05:11,CUST-$_,7,c,SKU,1,2$e" } 1 .. 3000);
# invalid and split UTF-8 right at the 64 KiB read boundary
for my $at (65534 .. 65538)
{
	my $f = $hdr;
	$f .= $row while length($f) < $at - 100;
	my $pad = $at - length($f) - length('2026-03-02 14:05:11,C,7,');
	$files{"utf8_bad_$at"} = $f . '2026-03-02 14:05:11,C,7,' . ('a' x $pad) . "\xff\xfe,SKU,1,2\n" . ($row x 10);
	$files{"utf8_split_$at"} = $f . '2026-03-02 14:05:11,C,7,' . ('a' x ($pad - 1)) . "\xc3\xa9\xe2\x82\xac,SKU,1,2\n" . ($row x 10);
}
$files{nul_bytes} = $hdr . $row . "2026-03-02 14:05:11,C\0D,7,c,SKU,1,2\n" . ("\0" x 100) . "\n" . $row;

for my $name (sort keys %files)
{
	open(my $fh, '>:raw', "$dir/$name.csv") or die;
	print $fh $files{$name};
	close $fh;
	# the same bytes as an Adobe file
	open($fh, '>:raw', "$dir/$name.txt") or die;
	(my $tsv = $files{$name}) =~ s/,/\t/g;
	$tsv =~ s/^Time Stamp\tCustomer ID\tEvent Type\tCategory\tEvent Name\tNum1\tNum2/Date\tVisitorID\tEvar 1\tCategory\tProduct\tQuantity\tPrice/;
	print $fh $tsv;
	close $fh;
}
system("chmod -R a+r $dir");

$node->safe_psql('postgres', q{
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_source('adobe', 'adobe');
});

# Loads one file with psql while sampling that backend's anonymous memory;
# returns (status or "ERROR message", total, loaded, rejected, peak kB).
sub load_sampled
{
	my ($source, $path) = @_;
	my ($out, $err) = ('', '');
	local $ENV{PGAPPNAME} = 'hostile_load';
	my $h = IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c',
		  "SELECT status || ' ' || rows_total || ' ' || rows_loaded || ' ' || rows_rejected "
		  . "FROM offline_join.load('$source', '$path')" ],
		'>', \$out, '2>', \$err);
	my ($pid, $peak) = (0, 0);
	while ($h->pumpable)
	{
		$pid ||= $node->safe_psql('postgres',
			"SELECT pid FROM pg_stat_activity WHERE application_name = 'hostile_load'") || 0;
		if ($pid && open(my $st, '<', "/proc/$pid/status"))
		{
			while (<$st>) { $peak = $1 if /^RssAnon:\s+(\d+)/ && $1 > $peak; }
			close $st;
		}
		$h->pump_nb;
		select(undef, undef, undef, 0.02);
	}
	$h->finish;
	return ("ERROR $1", 0, 0, 0, $peak) if $err =~ /ERROR:\s+(.*)/;
	my ($status, $t, $l, $r) = $out =~ /^(\w+) (\d+) (\d+) (\d+)/ or die "no result: $out / $err";
	return ($status, $t, $l, $r, $peak);
}

my $max_peak = 0;
for my $name (sort keys %files)
{
	for my $kind (['rmc', 'csv'], ['adobe', 'txt'])
	{
		my ($source, $ext) = @$kind;
		my ($status, $t, $l, $r, $peak) = load_sampled($source, "$dir/$name.$ext");
		$max_peak = $peak if $peak > $max_peak;
		if ($status =~ /^ERROR/)
		{
			# a file-level error (an unusable header) is fine; a crash is not
			like($status, qr/invalid header|cannot read the header/, "$source $name: clean file-level error");
			next;
		}
		is($status, 'loaded', "$source $name: loaded");
		is($t, $l + $r, "$source $name: rows_total = rows_loaded + rows_rejected ($t = $l + $r)");
	}
}
is($node->safe_psql('postgres', q{
SELECT count(*) FROM offline_join.loads l
 WHERE rows_loaded <> (SELECT count(*) FROM offline_join.events e WHERE e.load_id = l.load_id)
    OR rows_rejected <> (SELECT count(*) FROM offline_join.rejects r WHERE r.load_id = l.load_id)}),
   '0', 'the ledger counts are the rows in the tables');
is($node->safe_psql('postgres', q{
SELECT string_agg(DISTINCT r.reason, ',' ORDER BY r.reason) FROM offline_join.rejects r
  JOIN offline_join.loads l USING (load_id) WHERE l.path LIKE '%giant%' AND l.source = 'rmc'}),
   'too_long', 'giant records are too_long, the unterminated quote too (its first MiB is well-formed)');
is($node->safe_psql('postgres', q{
SELECT count(*) FROM offline_join.events e JOIN offline_join.loads l USING (load_id)
 WHERE l.path LIKE '%utf8_split%' AND l.source = 'rmc' AND e.category LIKE 'a%é€'}),
   '5', 'UTF-8 split across the read boundary is read whole');
ok($max_peak < 64 * 1024, "backend anonymous memory stayed under 64 MB (peak $max_peak kB) with 30 MB lines");
ok(slurp_file($node->logfile) !~ /terminated by signal|server process .* was terminated/, 'no backend crashed');

$node->stop;
done_testing();
