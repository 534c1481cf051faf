# Stopping and supervising: SIGTERM or SIGINT lets the current job finish
# and the process exit 0; --concurrency N runs N consumers under a
# supervisor that restarts one that dies and passes stop signals on.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use Djass::Test;
use Djass::Jobs;

my $f = slow_factor();
my $slow = worker_template('slow');

sub worker {
    my ($r, $art, @args) = @_;
    return start_worker(redis => $r, artifacts => $art, template => $slow,
                        args => \@args);
}

# --- SIGTERM / SIGINT during a job ------------------------------------------
for my $sig (qw(TERM INT)) {
    my $r = start_redis();
    my $art = temp_dir("art-340-$sig");
    my $w = worker($r, $art);
    my $id = enqueue_project($r, payload => { project_name => "Sig $sig",
                                              hook_sleep => '1.5' });
    my $next = enqueue_project($r, payload => { project_name => 'Next' });
    ok(wait_status($r, $id, 'generating'), "SIG$sig: a slow job is running");
    sleep 0.2;
    is(stop_process($w, $sig), 0, "SIG$sig during a job: the worker exits 0");
    is(project($r, $id)->{status}, 'ready',
       "SIG$sig: the job it was doing is finished and ready");
    is(project($r, $next)->{status}, 'queued',
       "SIG$sig: the worker took no new job after the signal");
    is(pending_jobs($r), 0, "SIG$sig: nothing is left pending");
}

# --- SIGTERM while idle -----------------------------------------------------
{
    my $r = start_redis();
    my $w = worker($r, temp_dir('art-340-idle'));
    sleep 0.5 * $f;
    my $t0 = time;
    is(stop_process($w), 0, 'SIGTERM while idle: the worker exits 0');
    cmp_ok(time - $t0, '<', 5 * $f, 'and promptly');
}

# --- --concurrency 2 ----------------------------------------------------------
my $r = start_redis();
my $art = temp_dir('art-340-sup');
my $sup = worker($r, $art, '--concurrency', 2);

sub consumers {
    my %pid;
    for (split /\n/, worker_log($sup)) {
        $pid{$1} = $2 if /consumer (\d+) started, pid (\d+)/;
    }
    return \%pid;
}

ok(wait_until(sub { keys %{ consumers() } == 2 }, 10 * $f),
   'the supervisor starts two consumers');
my @ids = map { enqueue_project($r, payload => { project_name => "Par $_",
                                                 hook_sleep => '0.5' }) }
          1 .. 4;
ok(wait_finished($r, \@ids), 'the consumers finish the jobs')
    or diag(worker_log($sup));
my %by;
$by{$_}++ for worker_log($sup) =~ /djass-worker\[(\d+)\]: project \d+: ready/g;
is(scalar keys %by, 2, 'both consumers took jobs');

my $victim = consumers()->{1};
kill 'KILL', $victim;
ok(wait_until(sub { (consumers()->{1} // $victim) != $victim }, 15 * $f),
   'a consumer killed with SIGKILL is restarted')
    or diag(worker_log($sup));
like(worker_log($sup), qr/consumer 1 \(pid $victim\) killed by signal 9/,
     'the supervisor logs the death');

my $id = enqueue_project($r, payload => { project_name => 'Last',
                                          hook_sleep => '1.5' });
ok(wait_status($r, $id, 'generating'), 'a slow job is running');
sleep 0.2;
is(stop_process($sup), 0,
   'SIGTERM to the supervisor: it stops its consumers and exits 0');
is(project($r, $id)->{status}, 'ready', 'the job in progress was finished');
for my $pid (values %{ consumers() }) {
    ok(!kill(0, $pid), "consumer $pid is gone");
}
is(pending_jobs($r), 0, 'nothing is left pending');

done_testing();
