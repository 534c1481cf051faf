# A worker killed with SIGKILL at any moment loses no job: another worker
# takes the job over after the visibility timeout and redoes it, every
# project ends ready exactly once with one artifact, and nothing is left in
# the work folder.  A job that every worker dies on ends failed after
# --max-attempts.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Djass::Test;
use Djass::Jobs;

my $slow = worker_template('slow');
my $f = slow_factor();
# heartbeats keep a live worker's job, however slow: valgrind needs only a
# little more room
my $vt = $f > 1 ? 4 : 2;

sub worker {
    my ($r, $art, @args) = @_;
    return start_worker(redis => $r, artifacts => $art, template => $slow,
                        args => ['--visibility-timeout', $vt, @args]);
}

# killed while project $id is generating (in the middle of its slow hook)
sub kill_during {
    my ($r, $w, $id) = @_;
    ok(wait_status($r, $id, 'generating'),
       "project $id starts generating") or diag(worker_log($w));
    sleep 0.3;
    stop_process($w, 'KILL');
}

# --- kill two workers in the middle of jobs, a third one finishes --------
my $redis = start_redis();
my $art = temp_dir('art-320');
my @ids = map {
    enqueue_project($redis, profile => 2,
                    payload => { project_name => "Crash $_",
                                 hook_sleep => '1.2' })
} 1 .. 6;

my @w = (worker($redis, $art));
kill_during($redis, $w[0], $ids[0]);
push @w, worker($redis, $art);
kill_during($redis, $w[1], $ids[2]);
push @w, worker($redis, $art);

ok(wait_finished($redis, \@ids, 60), 'every project is finished');
is(stop_process($w[2]), 0, 'the last worker exits 0 on SIGTERM');

my $logs = join '', map { worker_log($_) } @w;
for my $id (@ids) {
    my $rec = project($redis, $id);
    is($rec->{status}, 'ready', "project $id is ready")
        or diag(explain($rec));
    my @ready = $logs =~ /project $id: ready in/g;
    is(scalar @ready, 1, "project $id was made ready exactly once");
    is($rec->{artifact_sha256}, file_sha256("$art/$rec->{artifact}"),
       "project $id: the published ZIP is the one in the record");
}
cmp_ok(project($redis, $ids[0])->{attempts}, '>=', 2,
       'the killed jobs were redone');
like($logs, qr/project $ids[0]: ready in .*attempt 2/,
     'the redo is logged as the second attempt');

is_deeply([ artifact_files($art) ],
          [ sort map { sprintf('projects/%03d/%d.zip', $_ % 1000, $_) } @ids ],
          'one artifact per project, no duplicates');
is_deeply([ temp_files($art) ], [], 'no stray temporary files');
is(pending_jobs($redis), 0, 'no job is left pending');
is_deeply(status_sets($redis, 2)->{ready}, [ sort { $a <=> $b } @ids ],
          'all ids are in the ready set');
is_deeply([ map { @{ status_sets($redis, 2)->{$_} } }
            qw(queued generating failed) ], [],
          'and in no other status set');

# --- a job every worker dies on ------------------------------------------
my $r2 = start_redis();
my $art2 = temp_dir('art-320-b');
my $doomed = enqueue_project($r2, profile => 4,
                             payload => { project_name => 'Doomed',
                                          hook_sleep => '3' });
my @args = ('--max-attempts', 2);
my $a = worker($r2, $art2, @args);
kill_during($r2, $a, $doomed);
my $b = worker($r2, $art2, @args);
ok(wait_until(sub { (project($r2, $doomed)->{attempts} // 0) == 2 },
              20 * $f), 'a second worker takes the job over')
    or diag(worker_log($b));
kill_during($r2, $b, $doomed);
my $c = worker($r2, $art2, @args);

ok(wait_status($r2, $doomed, 'failed', 20),
   'after --max-attempts interrupted attempts the project ends failed');
my $rec = project($r2, $doomed);
like($rec->{error_message}, qr/interrupted 2 times/,
     'error_message says the attempts were interrupted');
is($rec->{attempts}, 2, 'no third attempt was made');
is(pending_jobs($r2), 0, 'the job is acknowledged');
is_deeply(status_sets($r2, 4)->{failed}, [$doomed], 'it is in the failed set');
is_deeply([ artifact_files($art2) ], [], 'no artifact was published');
is_deeply([ temp_files($art2) ], [],
          'what the killed attempts left is removed')
    or diag(map { worker_log($_) } $a, $b, $c);
is(stop_process($c), 0, 'the worker exits 0 on SIGTERM');

done_testing();
