# The worker's command line: required options, checked values, --help.
# A mistake exits 2 with a message naming the option, before any Redis
# connection is tried.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Djass::Test;
use Djass::Build qw(run_wrapped);

my $dir = temp_dir('cli-305');
my @base = ('--redis', '127.0.0.1:1', '--template', repo_dir() . '/template',
            '--artifacts', $dir);

sub run_worker {
    my (@args) = @_;
    my ($out, $err) = ("$dir/out", "$dir/err");
    my $pid = fork;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out;
        open STDERR, '>', $err;
        exec run_wrapped(bin('djass-worker'), @args) or exit 127;
    }
    waitpid($pid, 0);
    my $slurp = sub { local (@ARGV, $/) = @_; scalar(<>) // '' };
    return ($? >> 8, $slurp->($out), $slurp->($err));
}

my @cases = (
    [ 'no options', [], 2, qr/--redis, --template and --artifacts are required/ ],
    [ 'bad address', [ @base[2 .. 5], '--redis', 'x:99999' ], 2,
      qr/--redis x:99999: not host:port/ ],
    [ 'Sentinel address without a master name',
      [ @base[2 .. 5], '--redis', 'sentinel://127.0.0.1:26379' ], 2,
      qr/--redis sentinel:\/\/127.0.0.1:26379: not host:port.*sentinel:\/\/HOST:PORT/ ],
    [ 'Sentinel address with an empty Sentinel',
      [ @base[2 .. 5], '--redis', 'sentinel://a:1,/djass' ], 2,
      qr/not host:port/ ],
    [ 'Sentinel address with a bad port',
      [ @base[2 .. 5], '--redis', 'sentinel://a:0/djass' ], 2,
      qr/not host:port/ ],
    [ 'upload header on two lines',
      [ @base[0 .. 3], '--artifacts', 'http://127.0.0.1:1/',
        '--artifacts-header', "X-A: 1\nX-B: 2" ], 2,
      qr/--artifacts-header wants 'Name: value' on one line/ ],
    [ 'missing template', [ @base[0, 1, 4, 5], '--template', "$dir/none" ],
      2, qr/--template .*No such file/ ],
    [ 'concurrency 0', [ @base, '--concurrency', 0 ], 2,
      qr/--concurrency wants a number from 1 to 256/ ],
    [ 'concurrency past 64 bits',
      [ @base, '--concurrency', '99999999999999999999' ], 2,
      qr/--concurrency wants a number from 1 to 256, not "99999999999999999999"/ ],
    [ 'concurrency with trailing garbage', [ @base, '--concurrency', '4x' ],
      2, qr/--concurrency wants a number from 1 to 256, not "4x"/ ],
    [ 'hook timeout not a number', [ @base, '--hook-timeout', 'abc' ], 2,
      qr/--hook-timeout wants a number from 1 to 86400, not "abc"/ ],
    [ 'hook timeout past a day', [ @base, '--hook-timeout', 86401 ], 2,
      qr/--hook-timeout wants a number from 1 to 86400/ ],
    [ 'redis timeout empty', [ @base, '--redis-timeout', '' ], 2,
      qr/--redis-timeout wants a number from 10 to 600000, not ""/ ],
    [ 'redis wait negative', [ @base, '--redis-wait', '-1' ], 2,
      qr/--redis-wait wants a number from 0 to 64, not "-1"/ ],
    [ 'redis wait not a number', [ @base, '--redis-wait', 'x' ], 2,
      qr/--redis-wait wants a number from 0 to 64, not "x"/ ],
    [ 'redis wait past 64 replicas', [ @base, '--redis-wait', 65 ], 2,
      qr/--redis-wait wants a number from 0 to 64, not "65"/ ],
    [ 'redis wait timeout 0', [ @base, '--redis-wait-timeout', 0 ], 2,
      qr/--redis-wait-timeout wants a number from 1 to 600000, not "0"/ ],
    [ 'redis wait timeout not below the command timeout',
      [ @base, '--redis-wait', 1, '--redis-wait-timeout', 5000 ], 2,
      qr/--redis-wait-timeout 5000 must be below --redis-timeout 5000/ ],
    [ 'visibility not a number', [ @base, '--visibility-timeout', 'soon' ],
      2, qr/--visibility-timeout wants a number/ ],
    [ 'max attempts 0', [ @base, '--max-attempts', 0 ], 2,
      qr/--max-attempts wants a number/ ],
    [ 'render timeout 0', [ @base, '--render-timeout', 0 ], 2,
      qr/--render-timeout wants a number from 1 to 86400, not "0"/ ],
    [ 'render memory too small to start', [ @base, '--render-memory', 8 ],
      2, qr/--render-memory wants a number from 64 to 1048576, not "8"/ ],
    [ 'render output not a number', [ @base, '--render-output', '1G' ], 2,
      qr/--render-output wants a number from 1 to 1048576, not "1G"/ ],
    [ 'webhook concurrency 0', [ @base, '--webhook-concurrency', 0 ], 2,
      qr/--webhook-concurrency wants a number from 1 to 1000, not "0"/ ],
    [ 'webhook concurrency past 1000',
      [ @base, '--webhook-concurrency', 1001 ], 2,
      qr/--webhook-concurrency wants a number from 1 to 1000, not "1001"/ ],
    [ 'webhook per endpoint not a number',
      [ @base, '--webhook-per-endpoint', 'all' ], 2,
      qr/--webhook-per-endpoint wants a number from 1 to 1000, not "all"/ ],
    [ 'unknown option', [ @base, '--frobnicate', 1 ], 2,
      qr/unknown option --frobnicate/ ],
    [ 'option without value', [ @base, '--concurrency' ], 2,
      qr/--concurrency: wants a value/ ],
);

for my $c (@cases) {
    my ($name, $args, $rc, $msg) = @$c;
    my ($got, $out, $err) = run_worker(@$args);
    is($got, $rc, "$name: exit status $rc");
    like($err, $msg, "$name: stderr says what is wrong");
}

my ($rc, $out) = run_worker('--help');
is($rc, 0, '--help exits 0');
like($out, qr/--visibility-timeout SEC.*default 60/s,
     '--help lists the options with their defaults');
like($out, qr/--hook-timeout SEC.*\(default 120\)/s,
     '--help gives the one --hook-timeout default, 120 s');
like($out, qr/--render-timeout SEC.*\(default 300\).*--render-memory MB.*\(default 2048\).*--render-output MB.*\(default 512\)/s,
     '--help lists the render limits with their defaults');
like($out, qr/--redis-wait N .*\(default 0: off\).*--redis-wait-timeout MS .*\(default 500\)/s,
     '--help lists --redis-wait, off by default, and its timeout');
like($out, qr/--webhook-concurrency N .*\(default 16\).*--webhook-per-endpoint N .*\(default 1: each/s,
     '--help lists the webhook limits with their defaults');

# the version operators and bug reports quote: the file VERSION's
my $version = do { local (@ARGV, $/) = (repo_dir() . '/VERSION'); <> };
chomp $version;
($rc, $out) = run_worker('--version');
is($rc, 0, '--version exits 0');
is($out, "djass-worker $version\n", '--version prints the VERSION file\'s');

done_testing();
