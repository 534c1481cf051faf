# make matrix's logic (scripts/matrix) on stand-in nginx tarballs, in a
# second: each version's line (built, or not and the first error line and
# the log), the pinned configure line, the exit code, and that a second
# run configures nothing again unless the tarball changed.  The real
# versions take about 40 s each to build: make test runs make matrix after
# the suite, then the files that start nginx on the newest.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Djass::Build qw(repo_dir build_dir);

my $repo = repo_dir();
make_path(build_dir() . '/t');
my $tmp = tempdir('matrix-XXXXXX', DIR => build_dir() . '/t',
                  CLEANUP => !$ENV{DJASS_KEEP});
my ($tarballs, $out, $calls) = ("$tmp/tarballs", "$tmp/out", "$tmp/calls");
make_path($tarballs, $out);
my $shown = $out =~ s{^\Q$repo\E/}{}r;    # as the lines print it

sub spew { my ($f, $t, $mode) = @_; open my $fh, '>', $f or die "$f: $!";
           print $fh $t; close $fh; chmod $mode, $f if $mode }

# a stand-in nginx source tree: auto/configure records its arguments and
# writes a Makefile whose default target makes objs/nginx and the module
sub tarball {
    my ($v, %o) = @_;
    my $src = "$tmp/src/nginx-$v";
    make_path("$src/auto");
    my $configure = $o{configure_fails}
        ? "echo 'checking for PCRE library ... not found'\n"
          . "echo 'auto/configure: error: the HTTP rewrite module requires "
          . "the PCRE library.' >&2\nexit 1\n"
        : '';
    my $make = $o{make_fails}
        ? "\techo 'cc -c -Werror src/core/nginx.c'\n"
          . "\t\@echo 'src/core/nginx.c:1:2: error: #error boom' >&2; exit 1\n"
        : "\tmkdir -p objs && printf '#!/bin/sh\\n' > objs/nginx"
          . " && chmod +x objs/nginx"
          . " && touch objs/ngx_http_djass_module.so\n";
    spew("$src/Makefile.in", "default:\n$make");
    spew("$src/auto/configure", <<"SH" . $configure, 0755);
#!/bin/sh
echo "$v \$*" >> '$calls'
mkdir -p objs
cp Makefile.in Makefile
SH
    system('tar', '-czf', "$tarballs/nginx-$v.tar.gz", '-C', "$tmp/src",
           "nginx-$v") == 0 or die 'tar failed';
}

tarball('1.9.10');
tarball('1.9.9', make_fails => 1);
tarball('1.9.2', configure_fails => 1);
spew("$tarballs/nginx-tests.tar.gz", 'not an nginx source');

sub matrix {
    my $o = `NGINX_TARBALLS_DIR='$tarballs' MATRIX_DIR='$out' MATRIX_JOBS=1 \\
             '$repo/scripts/matrix' @_ 2>&1`;
    return ($? >> 8, $o);
}
sub calls { open my $fh, '<', $calls or return (); map { chomp; $_ } <$fh> }

my ($rc, $o) = matrix();
is($rc, 1, 'make matrix exits 1 when a version did not build') or diag($o);
my @lines = split /\n/, $o;
is(scalar @lines, 3, 'one line per version, nothing else') or diag($o);
like($lines[0] // '', qr{^matrix: nginx 1\.9\.2: NOT built: configure failed: auto/configure: error: the HTTP rewrite module requires the PCRE library\. \(\Q$shown\E/1\.9\.2/configure\.log\)$},
     'a configure failure: its error line and its log');
like($lines[1] // '', qr{^matrix: nginx 1\.9\.9: NOT built: make failed: src/core/nginx\.c:1:2: error: #error boom \(\Q$shown\E/1\.9\.9/make\.log\)$},
     'a build failure: the first error line (not the command with '
     . '-Werror) and its log');
is($lines[2] // '', "matrix: nginx 1.9.10: built: $shown/1.9.10/objs/nginx "
   . "$shown/1.9.10/objs/ngx_http_djass_module.so",
   'a version that builds: where nginx and the module are (versions in '
   . 'version order, nginx-tests.tar.gz left out)');
my $args = '--with-compat --with-http_ssl_module --with-http_v2_module '
         . "--with-http_dav_module --add-dynamic-module=$repo";
is_deeply([ calls() ], [ map { "$_ $args" } qw(1.9.2 1.9.9 1.9.10) ],
          'each version configured once, with the README\'s configure line');

($rc, $o) = matrix('1.9.10');
is($rc, 0, 'a version that builds exits 0') or diag($o);
like($o, qr/^matrix: nginx 1\.9\.10: built/, 'and says built');
is(scalar(calls()), 3, 'nothing changed: not configured again');

utime(time + 5, time + 5, "$tarballs/nginx-1.9.10.tar.gz");
($rc, $o) = matrix('--newest');
is($rc, 0, '--newest builds the newest only') or diag($o);
is((calls())[-1], "1.9.10 $args", 'a changed tarball: unpacked and '
   . 'configured again');
is(scalar(calls()), 4, 'and only that one');

($rc, $o) = matrix('--which-newest');
is($o, "1.9.10\n", '--which-newest names the newest version');

$o = `NGINX_TARBALLS_DIR='$tmp/none' '$repo/scripts/matrix' 2>&1`;
isnt($? >> 8, 0, 'no tarball folder: make matrix fails');
like($o, qr/NGINX_TARBALLS_DIR/, 'and says which variable names it');

done_testing();
