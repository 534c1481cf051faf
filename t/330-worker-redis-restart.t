# Redis restarts under the worker (AOF persistence on, as in production):
# while it waits for jobs and while it works on one.  The worker reconnects
# with backoff and carries on; every job ends ready, none is lost.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Djass::Test;
use Djass::Jobs;

my @aof = ('--appendonly', 'yes', '--appendfsync', 'always');
my $f = slow_factor();
my $redis = start_redis(args => \@aof);
my $port = $redis->{port};
my $art = temp_dir('art-330');

my $w = start_worker(redis => $redis, artifacts => $art,
                     template => worker_template('slow'),
                     args => ['--redis-timeout', 1000]);

sub restart_redis {
    my ($down) = @_;
    stop_process($redis);
    sleep $down;
    $redis = start_redis(port => $port, args => \@aof);
}

# --- while the worker waits -------------------------------------------------
my $first = enqueue_project($redis, payload => { project_name => 'Before' });
ok(wait_status($redis, $first, 'ready'), 'a project before the outage is ready')
    or diag(worker_log($w));

restart_redis(1.5);
my $after = enqueue_project($redis, payload => { project_name => 'After' });
ok(wait_status($redis, $after, 'ready', 30),
   'Redis restarted while the worker waited: the next project ends ready')
    or diag(worker_log($w));
like(worker_log($w), qr/connected again after \d+ ms/,
     'the worker logs that it reconnected');

# --- while the worker works ------------------------------------------------
my $busy = enqueue_project($redis, payload => { project_name => 'Busy',
                                                hook_sleep => '1.5' });
my @more = map { enqueue_project($redis,
                                 payload => { project_name => "More $_" }) }
           1 .. 3;
ok(wait_status($redis, $busy, 'generating'), 'a slow project is generating');
restart_redis(2.5);
my $later = enqueue_project($redis, payload => { project_name => 'Later' });

my @ids = ($first, $after, $busy, @more, $later);
ok(wait_finished($redis, \@ids, 60),
   'Redis restarted while the worker worked: every project finished')
    or diag(worker_log($w));
for my $id (@ids) {
    is(project($redis, $id)->{status}, 'ready', "project $id is ready");
}
is(project($redis, $busy)->{attempts}, 1,
   'the job in progress was finished, not redone');
is(pending_jobs($redis), 0, 'no job is left pending');
is_deeply([ temp_files($art) ], [], 'no stray temporary files');
my @zips = artifact_files($art);
is(scalar @zips, scalar @ids, 'one artifact per project');

is(stop_process($w), 0, 'the worker exits 0 on SIGTERM');

done_testing();
