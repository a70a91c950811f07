#!/usr/bin/env perl
# Checks META.json against the PGXN Meta Spec v1 (https://pgxn.org/spec/):
# the required keys and their shapes, semantic versions, the licence and
# release status the spec names, prereqs by phase and relation, resources,
# and that it agrees with the tree (the control file's default_version, the
# provided file and docfile exist, a LICENSE for the licence).  Prints each
# problem; exits 1 if there is any.
#
#   perl test/scripts/check_meta.pl [META.json]
use strict;
use warnings;
use JSON::PP;
use File::Basename qw(dirname);

my $path = shift // 'META.json';
my $root = dirname($path);
my @bad;
sub bad { push @bad, "@_" }

open(my $fh, '<', $path) or die "$path: $!\n";
my $meta = eval { JSON::PP->new->utf8->decode(do { local $/; <$fh> }) };
die "$path: not JSON: $@" unless $meta;

my $semver = qr/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+)?$/;
my %licenses = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd freebsd gfdl_1_2
  gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1 openssl perl_5 postgresql qpl_1_0
  ssleay sun zlib open_source restricted unrestricted unknown);

for my $k (qw(name abstract maintainer license provides meta-spec version))
{
	bad("required key \"$k\" is missing") unless exists $meta->{$k};
}
bad('name must be 2+ characters of letters, digits, "-" or "_"')
  unless ($meta->{name} // '') =~ /^[A-Za-z][A-Za-z0-9_-]+$/;
bad('version must be a semantic version') unless ($meta->{version} // '') =~ $semver;
bad('abstract must be a non-empty string') unless ref(\($meta->{abstract} // '')) eq 'SCALAR' && length($meta->{abstract} // '');
my $maint = $meta->{maintainer};
my @maint = ref $maint eq 'ARRAY' ? @$maint : ($maint // ());
bad('maintainer must name someone') unless @maint;
for (@maint) { bad("maintainer \"$_\" has no contact (Name <email>)") unless /^[^<>]+ <[^<>@\s]+@[^<>\s]+>$/ }
my $lic = $meta->{license};
if (ref $lic eq 'HASH') { bad('license object must map names to URLs') unless %$lic }
else
{
	my @l = ref $lic eq 'ARRAY' ? @$lic : ($lic // ());
	bad('license must be given') unless @l;
	for (@l) { bad("license \"$_\" is not one the spec names") unless $licenses{$_} }
}
if (exists $meta->{release_status})
{
	bad('release_status must be stable, testing or unstable')
	  unless $meta->{release_status} =~ /^(stable|testing|unstable)$/;
}
else { bad('release_status is missing (stable, testing or unstable)') }
my $ms = $meta->{'meta-spec'} // {};
bad('meta-spec.version must be 1.0.0') unless ($ms->{version} // '') eq '1.0.0';
my $prov = $meta->{provides} // {};
bad('provides must name at least one extension') unless ref $prov eq 'HASH' && %$prov;
for my $ext (sort keys %$prov)
{
	my $p = $prov->{$ext};
	bad("provides.$ext needs file and version") unless $p->{file} && $p->{version};
	bad("provides.$ext.version must be a semantic version") unless ($p->{version} // '') =~ $semver;
	bad("provides.$ext.file $p->{file} is not in the tree") if $p->{file} && !-f "$root/$p->{file}";
	bad("provides.$ext.docfile $p->{docfile} is not in the tree") if $p->{docfile} && !-f "$root/$p->{docfile}";
	bad("provides.$ext has no docfile") unless $p->{docfile};
}
my $pre = $meta->{prereqs} // {};
for my $phase (keys %$pre)
{
	bad("prereqs phase \"$phase\" is not configure, build, test, runtime or develop")
	  unless $phase =~ /^(configure|build|test|runtime|develop)$/;
	for my $rel (keys %{ $pre->{$phase} })
	{
		bad("prereqs.$phase relation \"$rel\" is not requires, recommends, suggests or conflicts")
		  unless $rel =~ /^(requires|recommends|suggests|conflicts)$/;
		for my $dep (keys %{ $pre->{$phase}{$rel} })
		{
			my $v = $pre->{$phase}{$rel}{$dep};
			bad("prereqs.$phase.$rel.$dep: \"$v\" is not a version or a version range")
			  unless $v =~ /^(0|(?:[<>]=?|==|!=)?\s*\d+(\.\d+){0,2}(\s*,\s*(?:[<>]=?|==|!=)\s*\d+(\.\d+){0,2})*)$/;
		}
	}
}
my $res = $meta->{resources};
if (!ref $res || !%$res) { bad('resources must hold a homepage, a bugtracker or a repository') }
else
{
	for my $k (keys %$res)
	{
		bad("resources key \"$k\" is not homepage, bugtracker or repository")
		  unless $k =~ /^(homepage|bugtracker|repository|x_\w+|X_\w+)$/;
	}
	my $bt = $res->{bugtracker};
	bad('resources.bugtracker needs web or mailto') if $bt && !($bt->{web} || $bt->{mailto});
	my $repo = $res->{repository};
	bad('resources.repository needs url or web') if $repo && !($repo->{url} || $repo->{web});
}
bad('tags must be a list of strings') if exists $meta->{tags} && ref $meta->{tags} ne 'ARRAY';

# and the tree agrees
if (open(my $ctl, '<', "$root/offline_join.control"))
{
	my ($dv) = map { /^default_version\s*=\s*'([^']+)'/ ? $1 : () } <$ctl>;
	bad("version $meta->{version} is not the control file's default_version $dv")
	  unless defined $dv && $dv eq ($meta->{version} // '');
	bad("provides.offline_join.version is not $dv")
	  unless ($prov->{offline_join}{version} // '') eq ($dv // '');
}
bad('license postgresql, but no LICENSE file') if ($lic // '') eq 'postgresql' && !-f "$root/LICENSE";

if (@bad) { print "META.json: $_\n" for @bad; exit 1 }
print "META.json: valid against the PGXN Meta Spec v1 (name, version $meta->{version}, provides, resources, release_status $meta->{release_status})\n";
