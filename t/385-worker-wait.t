# djass-worker --redis-wait 1 against a real master and replica: each record
# is confirmed by the replica (WAIT) before the worker counts it done.  The
# replica stopped (SIGSTOP) while a job finishes, and while one starts: the
# worker says why it waits, keeps the job and writes the record again until
# the replica is back; then every project ends ready with one attempt, its
# record on the replica, and one webhook message each (no result counted
# twice, none taken for another worker's).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Djass::Test;
use Djass::Jobs;

my @repl = ('--repl-diskless-sync-delay', 0);
my $master = start_redis(args => \@repl);
my $replica = start_redis(args => [@repl, '--replicaof', '127.0.0.1',
                                   $master->{port}]);
ok(wait_replica($master, $replica), 'the replica follows the master');

# a stopped replica must not outlive a failed assertion
my $stopped = 0;
sub replica_stop { kill 'STOP', $replica->{pid}; $stopped = 1 }
sub replica_cont { kill 'CONT', $replica->{pid}; $stopped = 0 }
END { kill 'CONT', $replica->{pid} if $stopped }

# an endpoint of profile 1 for project.ready: one message per ready record
# (its deliveries fail, far apart: only the count matters here)
redis_cli($master, 'HSET', 'djass:webhook:ep_385', 'id', 'ep_385',
          'profile', 1, 'url', 'http://127.0.0.1:9/hook',
          'events', 'project.ready', 'secret', 'whsec_x', 'allow_private', 1,
          'disabled', 0);
redis_cli($master, 'SADD', 'djass:profile:1:webhooks', 'ep_385');
sub messages { redis_cli($master, 'GET', 'djass:seq:webhook-msg') // 0 }

my $art = temp_dir('art-385');
my $w = start_worker(redis => $master, artifacts => $art,
                     template => worker_template('slow'),
                     args => ['--redis-wait', 1, '--redis-wait-timeout', 200,
                              '--redis-timeout', 2000,
                              '--webhook-schedule-scale', 100]);

my $unconfirmed = qr/script (record_\w+): 0 of 1 replica\(s\) confirmed it within 200 ms \(WAIT\); the job is kept/;

# --- the replica answers: nothing to wait for ------------------------------
my $first = enqueue_project($master, payload => { project_name => 'First' });
ok(wait_status($master, $first, 'ready'), 'with the replica up, a project ends ready')
    or diag(worker_log($w));
like(worker_log($w), qr/records wait for 1 replica\(s\) to confirm them \(WAIT, 200 ms\)/,
     'the worker says at start that records wait for a replica');
unlike(worker_log($w), $unconfirmed, 'no record was unconfirmed');
is(project($replica, $first)->{status}, 'ready', 'the replica has the ready record');
is(messages(), 1, 'one webhook message for the ready project');

# --- the replica stops while a job finishes --------------------------------
my $slow = enqueue_project($master, payload => { project_name => 'Slow',
                                                 hook_sleep => '1' });
ok(wait_status($master, $slow, 'generating'), 'a slow project is generating');
replica_stop();
my $next = enqueue_project($master, payload => { project_name => 'Next' });

ok(wait_until(sub { worker_log($w) =~ $unconfirmed }, 15),
   'the worker logs that the replica did not confirm the record')
    or diag(worker_log($w));
my ($script) = worker_log($w) =~ $unconfirmed;
is($script, 'record_finish', 'the log names the record that waits');
sleep 2;    # the record is written again a few times meanwhile
my $p = project($master, $slow);
is($p->{status}, 'ready', 'the master has the result (WAIT cannot take it back)');
is($p->{attempts}, 1, 'written again, it counts no attempt');
unlike(worker_log($w), qr/project $slow: ready in/,
       'the worker does not call it done before the replica confirms');
is(project($master, $next)->{status}, 'queued',
   'meanwhile the worker keeps the job in hand and takes no other');
is(messages(), 2, 'the webhook message is queued once, not at each write');

replica_cont();
ok(wait_status($master, $next, 'ready', 30),
   'the replica back, the worker carries on') or diag(worker_log($w));
like(worker_log($w), qr/project $slow: ready in \d+ ms \(attempt 1,/,
     'the finished project is logged ready once confirmed');
like(worker_log($w), qr/replicas confirm records again after \d+ ms/,
     'the worker logs that replicas confirm again');
$p = project($replica, $slow);
is($p->{status}, 'ready', 'the replica has the ready record');
is($p->{attempts}, 1, 'with one attempt');
is(messages(), 3, 'one webhook message per ready project, no more');

# --- the replica stops before a job starts ---------------------------------
my $log_before = length worker_log($w);
replica_stop();
my $late = enqueue_project($master, payload => { project_name => 'Late' });
ok(wait_until(sub { substr(worker_log($w), $log_before) =~ $unconfirmed }, 15),
   'a start the replica did not confirm is logged') or diag(worker_log($w));
($script) = substr(worker_log($w), $log_before) =~ $unconfirmed;
is($script, 'record_start', 'the log names the start record');
sleep 2;
$p = project($master, $late);
is($p->{status}, 'generating', 'the project is generating on the master');
is($p->{attempts}, 1, 'its start, written again, counts one attempt');
is(pending_jobs($master), 1, 'its job stays pending: not lost');
replica_cont();
ok(wait_status($master, $late, 'ready', 30),
   'the replica back, the project ends ready') or diag(worker_log($w));
is(project($master, $late)->{attempts}, 1, 'after one attempt');
is(project($replica, $late)->{status}, 'ready', 'the replica has it ready');

my $log = worker_log($w);
is(scalar(() = $log =~ /$unconfirmed/g), 2,
   'one log line per streak of unconfirmed records, not one per write');
unlike($log, qr/superseded|another worker/,
       'no record written again was taken for another worker\'s');
is(pending_jobs($master), 0, 'no job is left pending');
is(messages(), 4, 'four ready projects, four webhook messages');

is(stop_process($w), 0, 'the worker exits 0 on SIGTERM');

done_testing();
