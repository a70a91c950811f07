#!/usr/bin/env perl
# check_structure.pl ROOT: the structure rules of the C sources (issue #27).
#
#   (a) no function in src/*.c is longer than 150 lines, counted from the
#       line of its opening '{' to its closing '}' at column 0;
#   (b) the files do not depend on each other in a circle: A depends on B
#       when A's object has an undefined symbol that B's object defines
#       (nm on src/*.o, so build first);
#   (c) one header per module: a src/*.h declares only functions (and
#       variables) defined in one module, apart from the umbrella headers
#       listed below.  A module is a .c file, with the files named after it
#       (format.c with format_rmc.c, format_adobe.c, ...: a registry and
#       its members).
#
# Prints what it finds (and the dependency graph) and exits 1 when any rule
# is broken.  OJ_MAX_LINES=N lists functions over N lines instead.  Core Perl
# only.  A step of make test-all (after the build).
use strict;
use warnings;

# Headers that may still declare several modules' functions (to shrink).
my @UMBRELLAS = qw(pg_compat.h);

my $MAX_LINES = $ENV{OJ_MAX_LINES} // 150;

my $root = shift // '.';
my $src = "$root/src";
die "usage: $0 ROOT (no $src)\n" unless -d $src;
my $failed = 0;

my @c_files = sort glob("$src/*.c");
my @h_files = sort glob("$src/*.h");
sub base { my ($p) = @_; $p =~ s{.*/}{}; return $p; }

# (a) long functions -------------------------------------------------------
my @long;
for my $file (@c_files) {
    open(my $fh, '<', $file) or die "$file: $!\n";
    my @lines = <$fh>;
    close $fh;
    for (my $i = 0; $i < @lines; $i++) {
        next unless $lines[$i] =~ /^\{/;
        # the function's head: back over the indented lines of its parameters
        my $h = $i - 1;
        $h-- while $h > 0 && $lines[$h] =~ /^\s/;
        next if $h < 0;
        my $head = join('', @lines[$h .. $i - 1]);
        next unless $head =~ /^(?:[\w\s\*]*?\b)?(\w+)\s*\(/ && $head !~ /=/;
        my $name = $1;
        my $j = $i + 1;
        $j++ while $j < @lines && $lines[$j] !~ /^\}/;
        my $len = $j - $i + 1;
        push @long, sprintf("%s:%d: %s is %d lines", base($file), $i + 1, $name, $len)
          if $len > $MAX_LINES;
        $i = $j;
    }
}
if (@long) {
    print "functions over $MAX_LINES lines: ", scalar(@long), "\n";
    print "  $_\n" for @long;
    $failed = 1;
} else {
    print "functions over $MAX_LINES lines: none\n";
}

# (b) the dependency graph of the objects ----------------------------------
my (%defines, %needs);    # symbol -> file; file -> {symbol}
my @missing = grep { !-f $_ } map { (my $o = $_) =~ s/\.c$/.o/; $o } @c_files;
if (@missing) {
    print "dependency cycles: cannot tell, not built: ", join(' ', map { base($_) } @missing), "\n";
    $failed = 1;
} else {
    for my $c (@c_files) {
        (my $o = $c) =~ s/\.c$/.o/;
        my $file = base($c);
        open(my $nm, '-|', 'nm', $o) or die "nm $o: $!\n";
        while (<$nm>) {
            if (/^\s*U\s+(\S+)/) {
                $needs{$file}{$1} = 1;
            } elsif (/^[0-9a-fA-F]+\s+[A-TV-Z]\s+(\S+)/) {
                $defines{$1} = $file;
            }
        }
        close $nm or die "nm $o failed\n";
    }
    my %edges;
    for my $file (keys %needs) {
        for my $sym (keys %{ $needs{$file} }) {
            my $to = $defines{$sym};
            $edges{$file}{$to} = 1 if defined $to && $to ne $file;
        }
    }
    my @nodes = map { base($_) } @c_files;
    my %index = map { $nodes[$_] => $_ } 0 .. $#nodes;

    # elementary cycles, each from its smallest file (in name order)
    my @cycles;
    my $cap = 200;
    for my $s (@nodes) {
        my @path = ($s);
        my %on = ($s => 1);
        my $walk;
        $walk = sub {
            my ($v) = @_;
            for my $w (sort keys %{ $edges{$v} || {} }) {
                return if @cycles >= $cap;
                if ($w eq $s) {
                    push @cycles, join(' -> ', @path, $s);
                } elsif ($index{$w} > $index{$s} && !$on{$w}) {
                    push @path, $w;
                    $on{$w} = 1;
                    $walk->($w);
                    pop @path;
                    delete $on{$w};
                }
            }
        };
        $walk->($s);
        undef $walk;
    }
    if (@cycles) {
        print "dependency cycles: ", scalar(@cycles), (@cycles >= $cap ? " (stopped at $cap)" : ""), "\n";
        print "  $_\n" for @cycles;
        $failed = 1;
    } else {
        print "dependency cycles: none\n";
    }
    print "dependencies:\n";
    print "  $_ -> ", join(', ', sort keys %{ $edges{$_} }), "\n"
      for grep { $edges{$_} } @nodes;
}

# (c) one header per module ------------------------------------------------
# The module of a .c file: X for X_Y.c when X.c or X.h exists (citus.h is
# the one interface of citus_*.c), else the file.
sub module_of {
    my ($f) = @_;
    return "$1.c" if $f =~ /^(\w+?)_\w+\.c$/ && (-f "$src/$1.c" || -f "$src/$1.h");
    return $f;
}
my %umbrella = map { $_ => 1 } @UMBRELLAS;
my @mixed;
for my $hfile (@h_files) {
    my $h = base($hfile);
    open(my $fh, '<', $hfile) or die "$hfile: $!\n";
    local $/;
    my $text = <$fh>;
    close $fh;
    $text =~ s{/\*.*?\*/}{ }gs;            # comments
    $text =~ s{//[^\n]*}{}g;
    $text =~ s{^\s*#(?:[^\n]*\\\n)*[^\n]*}{}mg;    # preprocessor lines
    my %from;                              # .c file -> [names]
    while ($text =~ /\bextern\b([^;]*);/g) {
        my $decl = $1;
        next if $decl =~ /^\s*"C"/;
        my $name;
        if ($decl =~ /^[^(]*?(\w+)\s*\(/ && $decl !~ /^[^(]*\(\s*\*/) {
            $name = $1;                     # a function
        } elsif ($decl =~ /(\w+)\s*(?:\[[^\]]*\]\s*)*$/) {
            $name = $1;                     # a variable
        }
        next unless defined $name && defined $defines{$name};
        push @{ $from{ $defines{$name} } }, $name;
    }
    my %by_module;
    for my $f (keys %from) { push @{ $by_module{ module_of($f) } }, @{ $from{$f} } }
    %from = %by_module;
    my @files = sort keys %from;
    next if @files <= 1;
    if ($umbrella{$h}) {
        print "umbrella $h declares ", scalar(@files), " modules: ", join(' ', @files), "\n";
    } else {
        push @mixed, "$h declares " . join('; ', map { "$_: " . join(' ', sort @{ $from{$_} }) } @files);
    }
}
if (@mixed) {
    print "headers of more than one module: ", scalar(@mixed), "\n";
    print "  $_\n" for @mixed;
    $failed = 1;
} else {
    print "headers of more than one module: none (umbrellas allowed: @UMBRELLAS)\n";
}

print $failed ? "check_structure: FAILED\n" : "check_structure: ok\n";
exit $failed;
