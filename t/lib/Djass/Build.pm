package Djass::Build;

# Where the binaries under test live, and how to run them in the chosen
# mode: plain, SANITIZE=1 (ASan + UBSan builds under build/asan) or
# VALGRIND=1 (every program of ours under valgrind).

use strict;
use warnings;
use Exporter 'import';
use File::Basename qw(dirname);
use Cwd qw(abs_path);

our @EXPORT_OK = qw(repo_dir build_dir bin run_wrapped valgrind_on
                    sanitize_on asan_env relay_tap);

my $repo = abs_path(dirname(__FILE__) . '/../../..');

sub repo_dir { $repo }

sub sanitize_on { ($ENV{SANITIZE} // '') eq '1' }
sub valgrind_on { ($ENV{VALGRIND} // '') eq '1' }

sub build_dir {
    return $ENV{BUILD} if $ENV{BUILD};
    return sanitize_on() ? "$repo/build/asan" : "$repo/build";
}

sub bin { build_dir() . '/' . $_[0] }

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
# what", "skip - why", "# note") as this file's own assertions; other lines
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
        } elsif ($line =~ /^skip - (.*)$/) {
            SKIP: { Test::More::skip($1, 1) }
        } elsif ($line =~ /^#/) {
            Test::More::diag($line =~ s{^#\s?}{}r);
        } elsif ($line !~ /^1\.\.\d+$/) {
            $other->($line);
        }
    }
    return $seen;
}

1;
