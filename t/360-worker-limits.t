# A render that runs too long, uses too much memory or writes too much is
# stopped by the worker's render limits (--render-timeout, --render-memory,
# --render-output): the project ends failed at once (no retry: it would hit
# the bound again) with a message naming the bound and no host path, its
# job is acknowledged, nothing is published or left in .tmp, and the
# worker goes on with the next job.  `djass-worker render` takes the same
# options.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Path qw(make_path);
use Time::HiRes qw(time);
use Djass::Test;
use Djass::Jobs;
use Djass::Build qw(sanitize_on valgrind_on run_wrapped);

my $f = slow_factor();
my $slow = worker_template('slow');

# a hook-free template whose project holds $n files of $size bytes each,
# copied as they are (_copy_without_render): the engine does no work, the
# worker's own reading and writing does
sub big_template {
    my ($name, $n, $size) = @_;
    my $t = temp_dir("tmpl-$name");
    make_path("$t/{{cookiecutter.project_slug}}");
    open my $j, '>', "$t/cookiecutter.json" or die $!;
    print $j '{"project_name": "Big", "project_slug": "big", '
           . '"_copy_without_render": ["*.bin"]}';
    close $j;
    for my $i (1 .. $n) {
        open my $b, '>', "$t/{{cookiecutter.project_slug}}/f$i.bin" or die $!;
        print $b 'x' x $size;
        close $b;
    }
    return $t;
}

# one worker, one project that hits a bound, then one that does not
sub bound_case {
    my (%c) = @_;
    my $redis = start_redis();
    my $art = temp_dir("art-360-$c{name}");
    my $w = start_worker(redis => $redis, artifacts => $art,
                         template => $c{template}, args => $c{args});

    my $t0 = time;
    my $id = enqueue_project($redis, profile => 3, payload => $c{payload});
    ok(wait_finished($redis, [$id], $c{within}),
       "$c{name}: the project is finished within $c{within} s")
        or diag(worker_log($w));
    my $took = time - $t0;
    my $rec = project($redis, $id);
    is($rec->{status}, 'failed', "$c{name}: the project ends failed")
        or diag(explain($rec), worker_log($w));
    is($rec->{error_message}, $c{message},
       "$c{name}: error_message names the bound");
    unlike($rec->{error_message}, qr{/}, "$c{name}: and shows no host path");
    is($rec->{attempts}, 1, "$c{name}: it is not retried");
    is(pending_jobs($redis), 0, "$c{name}: the job is acknowledged");
    is_deeply([ artifact_files($art) ], [], "$c{name}: nothing is published");
    is_deeply([ temp_files($art) ], [], "$c{name}: nothing is left in .tmp");
    like(worker_log($w), qr/project $id: failed in \d+ ms \(attempt 1\): \Q$c{message}\E/,
         "$c{name}: the worker logs the failure");

    if ($c{next}) {
        my $ok = enqueue_project($redis, profile => 3, payload => $c{next});
        ok(wait_status($redis, $ok, 'ready', 30),
           "$c{name}: the worker goes on and makes the next project ready")
            or diag(worker_log($w));
    }
    is(stop_process($w), 0, "$c{name}: the worker exits 0 on SIGTERM");
    return $took;
}

# --- time: a hook that sleeps far longer than --render-timeout -----------
my $limit = 2 * $f;
my $took = bound_case(
    name => 'time', template => $slow,
    args => [ '--render-timeout', $limit, '--hook-timeout', 600 ],
    payload => { project_name => 'Forever', hook_sleep => '600' },
    within => $limit + 10 * $f,
    message => "Generation exceeded its time limit of $limit s.",
    next => { project_name => 'Quick' });
cmp_ok($took, '<', $limit + 5 * $f,
       'time: the project fails within a few seconds of the deadline');
cmp_ok($took, '>=', $limit - 0.5,
       'time: and not before the deadline');

# --- output: three files of 1 MiB with --render-output 2 -----------------
bound_case(
    name => 'output', template => big_template('output', 3, 1 << 20),
    args => [ '--render-output', 2 ],
    payload => { project_name => 'Big' },
    within => 30,
    message => 'Generation exceeded its output limit of 2 MB.');

# --- memory: a 96 MiB file read whole with --render-memory 64 -------------
SKIP: {
    skip 'the memory bound is not enforced under AddressSanitizer', 10
        if sanitize_on();
    skip 'valgrind does not apply RLIMIT_AS to the program it runs', 10
        if valgrind_on();
    bound_case(
        name => 'memory', template => big_template('memory', 1, 96 << 20),
        args => [ '--render-memory', 64 ],
        payload => { project_name => 'Big' },
        within => 30,
        message => 'Generation exceeded its memory limit of 64 MB.');
}

# --- the render CLI -------------------------------------------------------
sub render_cli {
    my (@args) = @_;
    my $dir = temp_dir('cli-360');
    my $pid = fork;
    if ($pid == 0) {
        open STDOUT, '>', "$dir/out";
        open STDERR, '>', "$dir/err";
        exec run_wrapped(bin('djass-worker'), 'render', @args) or exit 127;
    }
    waitpid($pid, 0);
    my $rc = $? >> 8;
    local (@ARGV, $/) = ("$dir/err");
    return ($rc, scalar(<>) // '');
}

my $out = temp_dir('cli-360-out');
my $t0 = time;
my ($rc, $err) = render_cli($slow, '-o', "$out/a", '--render-timeout',
                            $limit, 'hook_sleep=600');
is($rc, 1, 'render CLI: a render past --render-timeout exits 1');
like($err, qr/Generation exceeded its time limit of $limit s\./,
     'render CLI: and says so');
cmp_ok(time - $t0, '<', $limit + 5 * $f, 'render CLI: at the deadline');

($rc, $err) = render_cli(big_template('cli', 3, 1 << 20), '-o', "$out/b",
                         '--render-output', 2);
is($rc, 1, 'render CLI: a render past --render-output exits 1');
like($err, qr/Generation exceeded its output limit of 2 MB\./,
     'render CLI: and says so');

($rc, $err) = render_cli($slow, '-o', "$out/c", '--render-memory', 1);
is($rc, 2, 'render CLI: a bad --render-memory is a usage error');
like($err, qr/--render-memory wants a number from 64/,
     'render CLI: naming the option');

done_testing();
