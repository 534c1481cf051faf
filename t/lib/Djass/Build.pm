package Djass::Build;

# Where the binaries under test live, and how to run them in the chosen
# mode: plain, SANITIZE=1 (ASan + UBSan builds under build/asan) or
# VALGRIND=1 (every program of ours under valgrind).
#
# The nginx under test: Debian's /usr/sbin/nginx, or DJASS_NGINX (the path
# of another nginx binary, e.g. build/matrix/1.31.4/objs/nginx from `make
# matrix`).  The module it loads: DJASS_MODULE when set; else, with
# DJASS_NGINX, the ngx_http_djass_module.so beside that binary when there
# is one (where `make matrix` leaves it); else the build's own
# (build/ngx_http_djass_module.so, built for Debian's nginx).

use strict;
use warnings;
use Exporter 'import';
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use File::Spec;

our @EXPORT_OK = qw(repo_dir build_dir bin run_wrapped valgrind_on
                    sanitize_on asan_env relay_tap nginx_bin module_so
                    other_nginx skip_or_fail);

my $repo = abs_path(dirname(__FILE__) . '/../../..');

sub repo_dir { $repo }

sub sanitize_on { ($ENV{SANITIZE} // '') eq '1' }
sub valgrind_on { ($ENV{VALGRIND} // '') eq '1' }

sub build_dir {
    return $ENV{BUILD} if $ENV{BUILD};
    return sanitize_on() ? "$repo/build/asan" : "$repo/build";
}

sub bin { build_dir() . '/' . $_[0] }

sub other_nginx { ($ENV{DJASS_NGINX} // '') ne '' }

# absolute: nginx reads a relative load_module path from its prefix
sub nginx_bin {
    other_nginx() ? File::Spec->rel2abs($ENV{DJASS_NGINX}) : '/usr/sbin/nginx'
}

sub module_so {
    return File::Spec->rel2abs($ENV{DJASS_MODULE})
        if ($ENV{DJASS_MODULE} // '') ne '';
    if (other_nginx()) {
        my $beside = dirname(nginx_bin()) . '/ngx_http_djass_module.so';
        return $beside if -e $beside;
    }
    return bin('ngx_http_djass_module.so');
}

# A file or a part that cannot run here (a tool or a virtualenv is
# missing): skipped on a developer's partial machine, but under CI=true a
# failure, so that a broken install step cannot turn into a green run.
#   skip_or_fail($why)          the whole file (plan skip_all)
#   skip_or_fail($why, $n)      inside a SKIP: block, its $n assertions
# Skips that are the mode's and not the machine's (valgrind, ASan, root)
# use plain skip and skip_all: t/README.md lists them.
sub skip_or_fail {
    my ($why, $n) = @_;
    my $ci = ($ENV{CI} // '') eq 'true';
    if (!defined $n) {
        Test::More::plan(skip_all => $why) unless $ci;
        Test::More::plan(tests => 1);
        Test::More::ok(0, "CI=true: this file may not be skipped: $why");
        exit 1;
    }
    Test::More::ok(0, "CI=true: this part may not be skipped: $why") if $ci;
    no warnings 'exiting';
    Test::More::skip($why, $n);
}

# Sanitizer settings: abort on the first report so that a test sees it.
sub asan_env {
    return (
        ASAN_OPTIONS  => 'abort_on_error=1:detect_leaks=1:'
                         . 'log_path=' . build_dir() . '/asan.log',
        UBSAN_OPTIONS => 'print_stacktrace=1:halt_on_error=1:'
                         . 'log_path=' . build_dir() . '/asan.log',
        LSAN_OPTIONS  => 'suppressions=' . "$repo/t/lsan.supp",
    );
}

# valgrind: any error or definite leak makes the program exit 99.
sub valgrind_cmd {
    return ('valgrind', '-q', '--error-exitcode=99', '--leak-check=full',
            '--errors-for-leak-kinds=definite', '--show-leak-kinds=definite',
            '--track-fds=no', "--suppressions=$repo/t/valgrind.supp");
}

sub run_wrapped {
    my @cmd = @_;
    if (sanitize_on()) {
        my %e = asan_env();
        $ENV{$_} = $e{$_} for keys %e;
    }
    return valgrind_on() ? (valgrind_cmd(), @cmd) : @cmd;
}

# Relays the TAP lines another program prints ("ok N - what", "not ok -
# what", "skip - why", "# note") as this file's own assertions ("skip -"
# through skip_or_fail, "skip (optional) - why" as a plain skip); other lines
# go to $other (default: diag). Returns how many assertions it saw.
sub relay_tap {
    my ($fh, $other) = @_;
    $other //= sub { Test::More::diag($_[0]) };
    my $seen = 0;
    while (my $line = <$fh>) {
        chomp $line;
        if ($line =~ /^(not )?ok(?: \d+)? - (.*)$/) {
            Test::More::ok(!defined $1, $2);
            $seen++;
        } elsif ($line =~ /^skip \(optional\) - (.*)$/) {
            SKIP: { Test::More::skip($1, 1) }
        } elsif ($line =~ /^skip - (.*)$/) {
            my $why = $1;
            SKIP: { skip_or_fail($why, 1) }
        } elsif ($line =~ /^#/) {
            Test::More::diag($line =~ s{^#\s?}{}r);
        } elsif ($line !~ /^1\.\.\d+$/) {
            $other->($line);
        }
    }
    return $seen;
}

1;
