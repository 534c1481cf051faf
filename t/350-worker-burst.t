# A burst of 200 projects with --concurrency 2: every one ends ready, with
# its own artifact, and the queue ends empty.  Then 200 creates through the
# API (nginx, the shipped template and its post-generation hook, through
# the workers' hook servers): all end ready, the job stream is empty and
# nothing is pending.  (Throughput is measured by scripts/bench-worker
# --api, not asserted here.)
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Djass::Test;
use Djass::Jobs;

my $n = 200;
my $redis = start_redis();
my $art = temp_dir('art-350');
my $w = start_worker(redis => $redis, artifacts => $art,
                     template => worker_template('slow'),
                     args => ['--concurrency', 2]);

my @ids = map { enqueue_project($redis, profile => 9,
                                payload => { project_name => "Burst $_" }) }
          1 .. $n;

ok(wait_finished($redis, \@ids, 120), "all $n projects are finished")
    or diag(worker_log($w));
my $sets = status_sets($redis, 9);
is(scalar @{ $sets->{ready} }, $n, "all $n are in the ready set");
is_deeply([ map { @{ $sets->{$_} } } qw(queued generating failed) ], [],
          'none is in another status set');
my @zips = artifact_files($art);
is(scalar @zips, $n, "$n artifacts are published");
is(pending_jobs($redis), 0, 'no job is left pending');
is(stream_length($redis), 0, 'the stream is empty');
is_deeply([ temp_files($art) ], [], 'no stray temporary files');
is(stop_process($w), 0, 'the supervisor exits 0 on SIGTERM');

# --- 200 creates through the API --------------------------------------------
my $art2 = temp_dir('art-350-api');
my $nginx = start_nginx(redis => $redis, artifacts => $art2, workers => 2);
my $key = make_key($redis, legacy => 1, quota => 1000);
$w = start_worker(redis => $redis, artifacts => $art2,
                  args => ['--concurrency', 2]);
my @made;
for my $i (1 .. $n) {
    my $r = api(POST => '/projects', key => $key->{key},
                json => { project_name => "Api Burst $i" });
    push @made, $r->{json}{project}{id} if $r->{status} == 201;
}
is(scalar @made, $n, "$n creates answered 201");
ok(wait_finished($redis, \@made, 300), "all $n created projects are finished")
    or diag(worker_log($w));
$sets = status_sets($redis, $key->{profile});
is(scalar @{ $sets->{ready} }, $n, "all $n created are ready");
is_deeply([ map { @{ $sets->{$_} } } qw(queued generating failed) ], [],
          'none is in another status set');
is(scalar(() = artifact_files($art2)), $n, "$n artifacts are published");
is(stream_length($redis), 0, 'the job stream is empty afterwards (XLEN)');
is(pending_jobs($redis), 0, 'and nothing is pending (XPENDING)');
is(stop_process($w), 0, 'the supervisor exits 0 on SIGTERM');

done_testing();
