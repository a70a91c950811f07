#!/usr/bin/env perl
# Docs that cannot drift (README, "Getting started"; doc/*.md):
#   - the README's Getting started: its ```sql blocks run, in order, in one
#     psql session against a fresh database, from the top folder of the tree
#     (its \copy reads test/data/); each block's output must be the ```text
#     block printed after it, line for line;
#   - every ```sql block of doc/*.md marked <!-- runnable --> on the line
#     before it runs in a fresh database with the extension created;
#   - with --install MAJOR: the README's installation block marked
#     <!-- install: MAJOR --> runs as printed (apt-get answering yes), in a
#     copy of the tree.
# The server is the one PGHOST/PGPORT/PGUSER name.  Prints each problem;
# exits 1 if there is any.
#
#   perl test/scripts/test_docs.pl TREE                 (Getting started, doc/)
#   perl test/scripts/test_docs.pl TREE --install 17    (installation commands)
use strict;
use warnings;
use File::Temp qw(tempdir);

my $tree = shift or die "usage: test_docs.pl TREE [--install MAJOR]\n";
my ($opt, $major) = @ARGV;
my $tmp = tempdir('/tmp/offline_join_docs.XXXXXX', CLEANUP => 1);
chmod 0755, $tmp;
my $failed = 0;
my ($n, $n_tables) = (0, 0);
sub fail { print "FAILED: @_\n"; $failed = 1 }

sub slurp { my ($f) = @_; open(my $fh, '<', $f) or die "$f: $!"; local $/; return <$fh> }
sub spew { my ($f, $t) = @_; open(my $fh, '>', $f) or die "$f: $!"; print $fh $t; close $fh }

# the fenced blocks of a markdown text: [lang, body, the line before the fence]
sub blocks
{
	my ($text) = @_;
	my @b;
	my @lines = split /\n/, $text, -1;
	for (my $i = 0; $i < @lines; $i++)
	{
		next unless $lines[$i] =~ /^```(\w*)\s*$/;
		my ($lang, $before) = ($1, $i > 0 ? $lines[$i - 1] : '');
		my @body;
		for ($i++; $i < @lines && $lines[$i] !~ /^```\s*$/; $i++) { push @body, $lines[$i] }
		push @b, [ $lang, join("\n", @body) . "\n", $before ];
	}
	return @b;
}

sub psql
{
	my ($db, $file, $out) = @_;
	return system("cd '$tree' && psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d '$db' -f '$file' >'$out' 2>'$out.err'") == 0;
}

sub fresh_db
{
	my ($db) = @_;
	system("psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS $db' -c 'CREATE DATABASE $db' >/dev/null") == 0
	  or die "could not create database $db\n";
}

my $readme = slurp("$tree/README.md");

# every link between the README, doc/ and the files beside them leads to a
# file that exists and, with #anchor, to a heading of it (GitHub's anchors)
sub anchors
{
	my ($text) = @_;
	my %a;
	for (split /\n/, $text)
	{
		next unless /^#{1,6} (.*)$/;
		(my $h = lc $1) =~ s/[^\w\- ]//g;
		$h =~ s/ /-/g;
		$a{$h} = 1;
	}
	return \%a;
}
unless (($opt // '') eq '--install')
{
	my $links = 0;
	for my $file ("$tree/README.md", sort glob("$tree/doc/*.md"))
	{
		my $text = slurp($file);
		(my $dir = $file) =~ s{/[^/]+$}{};
		$text =~ s/^```.*?^```//msg;    # not inside code
		while ($text =~ /\]\(([^)\s]+)\)/g)
		{
			my $l = $1;
			next if $l =~ /^(https?|mailto):/;
			my ($path, $anchor) = $l =~ /^([^#]*)(?:#(.*))?$/;
			my $target = $path eq '' ? $file : "$dir/$path";
			$links++;
			if (!-e $target) { fail("$file: link $l: no such file"); next }
			next unless defined $anchor && $target =~ /\.md$/;
			fail("$file: link $l: no such heading") unless anchors(slurp($target))->{$anchor};
		}
	}
	print "docs: $links links between the README and doc/ lead somewhere\n";
}

if (($opt // '') eq '--install')
{
	my @install = grep { $_->[2] =~ /^<!-- install: \Q$major\E -->$/ } blocks($readme);
	@install == 1 or do { fail("README has no installation block for PostgreSQL $major"); exit 1 };
	my $copy = "$tmp/tree";
	system("cp -a '$tree' '$copy'") == 0 or die "copy: $!";
	spew("$tmp/apt.conf", "APT::Get::Assume-Yes \"true\";\n");
	my $commands = $install[0][1];
	# a run against a private copy of the server tree (OJ_PG_BIN) installs there
	$commands =~ s{/usr/lib/postgresql/\Q$major\E/bin}{$ENV{OJ_PG_BIN}}g if $ENV{OJ_PG_BIN};
	spew("$tmp/install.sh", "set -ex\n" . $commands);
	if (system("cd '$copy' && APT_CONFIG='$tmp/apt.conf' DEBIAN_FRONTEND=noninteractive bash '$tmp/install.sh' >'$tmp/install.log' 2>&1") != 0)
	{
		system("tail -n 30 '$tmp/install.log'");
		fail("the README's installation commands for PostgreSQL $major");
	}
	elsif (!-f "/usr/share/postgresql/$major/extension/offline_join.control")
	{
		fail("after the README's installation commands, PostgreSQL $major has no offline_join");
	}
	else { print "docs: the README's installation commands for PostgreSQL $major install offline_join\n" }
	exit $failed;
}

# Getting started: the section between its heading and the next one
my ($gs) = $readme =~ /^## Getting started\n(.*?)^## /ms or die "README has no Getting started\n";
my @b = grep { $_->[0] eq 'sql' || $_->[0] eq 'text' } blocks($gs);
my (@sql, @want);
for (my $i = 0; $i < @b; $i++)
{
	next unless $b[$i][0] eq 'sql';
	push @sql, $b[$i][1];
	push @want, ($i + 1 < @b && $b[$i + 1][0] eq 'text') ? $b[$i + 1][1] : undef;
}
@sql or fail('Getting started has no sql block');
my $script = '';
for my $n (0 .. $#sql) { $script .= "\\echo '\@\@block $n\@\@'\n" . $sql[$n] }
$script .= "\\echo '\@\@end\@\@'\n";
spew("$tmp/gs.sql", $script);
fresh_db('oj_docs_getting_started');
if (!psql('oj_docs_getting_started', "$tmp/gs.sql", "$tmp/gs.out"))
{
	fail("README Getting started: psql stopped:\n" . slurp("$tmp/gs.out.err"));
}
else
{
	my $out = slurp("$tmp/gs.out");
	my @got = split /^\@\@block \d+\@\@\n/m, $out;
	shift @got;
	$got[-1] =~ s/^\@\@end\@\@\n//m if @got;
	for my $n (0 .. $#sql)
	{
		next unless defined $want[$n];
		my $g = $got[$n] // '';
		$g =~ s/^\@\@end\@\@\n//m;
		my $norm = sub { my $t = shift; $t =~ s/[ \t]+$//mg; $t =~ s/\n+\z/\n/; return $t };
		if ($norm->($g) ne $norm->($want[$n]))
		{
			fail("README Getting started, block " . ($n + 1) . ": psql printed\n$g\n--- where the README shows\n$want[$n]");
		}
	}
	print "docs: README Getting started, " . scalar(@sql) . " blocks run as printed, their output as shown\n" unless $failed;
}
system("psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS oj_docs_getting_started' >/dev/null");

# doc/: every format table marked <!-- format_columns: NAME --> is what the
# format's descriptor says (offline_join.format_columns(NAME)), row for row
fresh_db('oj_docs_example');
for my $page (sort glob("$tree/doc/*.md"))
{
	my $text = slurp($page);
	while ($text =~ /^<!-- format_columns: (\w+) -->\n\|[^\n]*\n\|[-| ]*\n((?:\|[^\n]*\n)*)/mg)
	{
		my ($format, $rows) = ($1, $2);
		spew("$tmp/fc.sql", "SET client_min_messages = warning;\nCREATE EXTENSION IF NOT EXISTS offline_join;\n"
			 . "SELECT format('| %s | %s | %s | %s |', coalesce(column_number::text, '—'), column_name, rule,"
			 . " CASE WHEN field IN ('dims', 'attrs') THEN format('`%s`: `%s`', field, key) ELSE format('`%s`', field) END)"
			 . " FROM offline_join.format_columns('$format');\n");
		if (system("psql -X -q -A -t -d oj_docs_example -f '$tmp/fc.sql' >'$tmp/fc.out' 2>'$tmp/fc.err'") != 0)
		{
			fail("$page, format table of $format: " . slurp("$tmp/fc.err"));
			next;
		}
		my $want = slurp("$tmp/fc.out");
		$want =~ s/\n+\z/\n/;
		fail("$page, format table of $format differs from offline_join.format_columns('$format'):\n$want--- where the page shows\n$rows")
		  if $want ne $rows;
		$n_tables++;
	}
}
print "docs: $n_tables format tables in doc/ are their descriptors'\n" unless $failed;

# doc/: every block marked runnable, each in a fresh database
$n = 0;
for my $page (sort glob("$tree/doc/*.md"))
{
	my $k = 0;
	for my $blk (blocks(slurp($page)))
	{
		next unless $blk->[0] eq 'sql' && $blk->[2] =~ /^<!-- runnable -->$/;
		$k++;
		$n++;
		fresh_db('oj_docs_example');
		spew("$tmp/ex.sql", "SET client_min_messages = warning;\nCREATE EXTENSION offline_join;\nRESET client_min_messages;\n" . $blk->[1]);
		psql('oj_docs_example', "$tmp/ex.sql", "$tmp/ex.out")
		  or fail("$page, runnable example $k:\n$blk->[1]\n" . slurp("$tmp/ex.out.err"));
	}
}
system("psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS oj_docs_example' >/dev/null");
print "docs: $n runnable examples in doc/ ran\n" unless $failed;
exit $failed;
