# `djass-worker render --zip`: a ZIP that Python's zipfile and `unzip -t`
# read, holding exactly the rendered tree under one top-level folder, in
# sorted order, with the tree's modes -- and the same bytes every time.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use Djass::Render qw(run_render slurp templates_dir tree_of);
use Djass::Build qw(skip_or_fail);

my $t = templates_dir();
my $tmpl = "$t/basic";

sub render_zip {
    my (%env) = @_;
    my $out_dir = tempdir(CLEANUP => 1);
    local @ENV{keys %env} = values %env;
    my ($rc, $out, $err) = run_render($tmpl, '-o', $out_dir, '--zip',
                                      "$out_dir/p.zip");
    chomp $out;
    return ($rc, $out, $err, "$out_dir/p.zip", $out_dir);
}

my ($rc, $project, $err, $zip, $out_dir) = render_zip();
is($rc, 0, '--zip renders and zips') or diag($err);
ok(-s $zip, 'the ZIP exists and is not empty');
opendir(my $dh, $out_dir) or die;
is_deeply([sort grep { !/^\.\.?$/ } readdir $dh],
          ['creme_brulee_unicode_project', 'p.zip'],
          'no temporary file is left beside the ZIP');

SKIP: {
    skip_or_fail('no unzip', 1)
        unless system('which unzip >/dev/null 2>&1') == 0;
    my $test = `unzip -t '$zip' 2>&1`;
    like($test, qr/No errors detected/, 'unzip -t finds no errors');
}

# Python's view: names in order, modes, deflate, contents
my $py = <<'PY';
import sys, zipfile, json
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
out = []
for i in z.infolist():
    out.append([i.filename, (i.external_attr >> 16) & 0o7777,
                i.compress_type, i.date_time[0], z.read(i).hex()])
print(json.dumps(out))
PY
my $pyfile = tempdir(CLEANUP => 1) . '/readzip.py';
open my $pf, '>', $pyfile or die;
print $pf $py;
close $pf;
my $json = `python3 '$pyfile' '$zip'`;
is($?, 0, "Python's zipfile reads the ZIP and every CRC checks");
my $entries = eval { require JSON::PP; JSON::PP->new->decode($json) } || [];

my @names = map { $_->[0] } @$entries;
is_deeply(\@names, [sort @names], 'entries are sorted by name');
my %tops = map { (split m{/}, $_)[0] => 1 } @names;
is_deeply([keys %tops], ['creme_brulee_unicode_project'],
          'the project folder is the single top-level folder');

my $tree = tree_of($out_dir);
delete $tree->{'p.zip'};
my %zip_tree;
for my $e (@$entries) {
    my ($name, $mode, $method, $year, $data) = @$e;
    utf8::encode($name);
    my $dir = $name =~ s{/$}{};
    $zip_tree{$name} = $dir ? sprintf('d %04o', $mode)
                            : sprintf('f %04o ', $mode) . pack('H*', $data);
}
is_deeply(\%zip_tree, $tree,
          'the ZIP holds exactly the rendered tree: names, modes, bytes');
ok(!grep({ $_->[2] != 8 && $_->[0] !~ m{/$} && length $_->[4] } @$entries),
   'file entries are deflated');
ok(!grep({ $_->[3] != 2000 } @$entries), 'every entry has the fixed time');

# determinism: a second render, in another time zone
my ($rc2, $p2, $e2, $zip2) = render_zip(TZ => 'America/New_York');
is($rc2, 0, 'a second render succeeds');
ok(slurp($zip) eq slurp($zip2),
   'the same inputs give a byte-identical ZIP (also in another time zone)');

done_testing();
