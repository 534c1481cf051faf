# The browser tests' common steps (t/500 to t/502): chromium and its
# driver present, the selenium venv made, the README's location block for
# the page, and a browser script (t/web/*.py) run with its TAP relayed.
package Djass::Web;

use strict;
use warnings;
use Exporter 'import';
use Test::More;
use Djass::Build qw(repo_dir build_dir skip_or_fail relay_tap);

our @EXPORT = qw(web_venv readme_page_block run_browser);

sub _slurp { local (@ARGV, $/) = @_; my $t = <>; $t }

# the selenium venv's path, after checking chromium, chromedriver and the
# other programs named; skips the file under valgrind
sub web_venv {
    my (@more) = @_;
    for my $p ('/usr/bin/chromium', '/usr/bin/chromedriver', @more) {
        skip_or_fail("$p is missing (scripts/setup --test installs "
                     . "chromium, chromium-driver and curl)") unless -x $p;
    }
    # valgrind makes nginx about 20 times slower: the page's flows are
    # checked in the plain and ASan runs
    plan skip_all => 'the browser flow is not run under valgrind'
        if ($ENV{VALGRIND} // '') eq '1';
    my $repo = repo_dir();
    my $venv = "$repo/build/venv-web";
    system("VENV='$venv' REQ='$repo/t/web/requirements.txt' "
           . "'$repo/scripts/venv' >&2") == 0
        or skip_or_fail('the selenium venv could not be made '
                        . '(scripts/venv with t/web/requirements.txt)');
    return $venv;
}

# the README's location block for the page (the one with the CSP), as an
# operator copies it, with the path to web/ filled in
sub readme_page_block {
    my $repo = repo_dir();
    my ($block) = grep { /Content-Security-Policy/ }
                  _slurp("$repo/README.md") =~ /```nginx\n(.*?)```/gs;
    return undef unless $block;
    (my $server = $block) =~ s{/path/to/djass/web}{$repo/web}g;
    return wantarray ? ($server, $block) : $server;
}

# t/web/$script on the page at $url with the key, writing into $out (and
# the screenshots into build/web-shots/), with more environment given;
# its TAP relayed as this file's assertions.  Answers (assertions seen,
# exit status).
sub run_browser {
    my ($script, $url, $key, $out, %more) = @_;
    my $repo = repo_dir();
    my %env = (DJASS_WEB_URL => $url, DJASS_API_KEY => $key,
               DJASS_OUT => $out,
               DJASS_SHOTS => build_dir() . '/web-shots', %more);
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if ($pid == 0) {
        $ENV{$_} = $env{$_} for keys %env;
        open STDERR, '>&', \*STDOUT;
        exec "$repo/build/venv-web/bin/python", "$repo/t/web/$script"
            or die "exec python: $!";
    }
    my $seen = relay_tap($fh, sub { diag("browser: $_[0]") });
    close $fh;
    return ($seen, $?);
}

1;
