# djass-worker --retention DURATION: a finished project (ready or failed)
# is deleted exactly as by DELETE -- record, list entry, artifact, quota
# place -- once its finished_at is older than DURATION, and its expires_at
# says when.  Two workers sweep at once and each project is deleted once
# (one lease in Redis, atomic batches); the scrape counts the deletes by
# reason and shows the sweeper's lag.  Bad durations are refused.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Jobs;
use Djass::Build qw(run_wrapped);

my $f = slow_factor();
my $tpl = worker_template('slow');

# --- the flag's values ---------------------------------------------------------
{
    my $dir = temp_dir('cli-390');
    my @base = ('--redis', '127.0.0.1:1', '--template', $tpl,
                '--artifacts', $dir);
    for my $bad ('0s', '10', '5x', 's', '-1h', '3651d', '99999999999999s',
                 '1.5h', '') {
        my $pid = fork;
        if ($pid == 0) {
            open STDIN, '<', '/dev/null';
            open STDOUT, '>', '/dev/null';
            open STDERR, '>', "$dir/err";
            exec run_wrapped(bin('djass-worker'), @base, '--retention', $bad)
                or exit 127;
        }
        waitpid($pid, 0);
        my $err = do { local (@ARGV, $/) = ("$dir/err"); scalar <> } // '';
        is($? >> 8, 2, "--retention '$bad' is refused (exit 2)");
        like($err, qr/--retention wants a duration such as 90s/,
             "--retention '$bad': the message says what it wants");
    }
}

my $redis = start_redis();
my $art = temp_dir('art-390');
my $nginx = start_nginx(redis => $redis, artifacts => $art, template => $tpl,
                        http => 'djass_quota 100000;',
                        server => 'location = /metrics { djass_metrics; }');
my $owner = make_key($redis, legacy => 1);
my $K = $owner->{key};

sub scrape {
    return http_request(GET => "http://127.0.0.1:$nginx->{port}/metrics")
        ->{content} // '';
}

sub metric {
    my ($name) = @_;
    my ($v) = scrape() =~ /^\Q$name\E (\S+)$/m;
    return $v;
}

sub rfc3339 { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $_[0]) }

# --- a worker without --retention: expires_at stays null ------------------------
my $keep = start_worker(redis => $redis, artifacts => $art, template => $tpl);
my $kept = api(POST => '/projects', key => $K,
               json => { project_name => 'Kept' })->{json}{project}{id};
ok(wait_status($redis, $kept, 'ready'), 'a project without retention: ready');
my $g = api(GET => "/projects/$kept", key => $K)->{json};
ok(exists $g->{expires_at} && !defined $g->{expires_at},
   'expires_at is null while retention is off');
stop_process($keep);

# --- two workers with --retention 2s ----------------------------------------------
my $N = 40;
my @w = map {
    start_worker(redis => $redis, artifacts => $art, template => $tpl,
                 args => ['--retention', '2s', '--concurrency', 2])
} 1 .. 2;

my @ids = map {
    api(POST => '/projects', key => $K,
        json => { project_name => "Expire $_",
                  $_ % 5 ? () : (hook_sleep => 'bad') })->{json}{project}{id}
} 1 .. $N;
is(scalar(grep { defined } @ids), $N, "$N projects created");

# each one, while it lives, says when it expires
my (%checked, %gone);
ok(wait_until(sub {
    for my $id (@ids) {
        next if $checked{$id} || $gone{$id};
        my $r = api(GET => "/projects/$id", key => $K);
        $gone{$id} = 1 if $r->{status} == 404;
        next unless $r->{status} == 200
            && ($r->{json}{status} eq 'ready' || $r->{json}{status} eq 'failed');
        my $fin = project($redis, $id)->{finished_at} // next;
        $checked{$id} = $r->{json}{expires_at} // 'null';
        $checked{$id} = 'ok'
            if $r->{json}{expires_at}
               && $r->{json}{expires_at} eq rfc3339($fin + 2);
    }
    return keys(%checked) + keys(%gone) == @ids;
}, 30 * $f, 0.05), 'each project read while it lives');
my @seen = grep { $checked{$_} } @ids;
ok(@seen > 0, 'some finished projects were read before they expired')
    or diag(scalar(keys %gone) . ' were gone at the first look');
note(scalar(@seen) . " of $N read while they lived");
is(scalar(grep { $checked{$_} ne 'ok' } @seen), 0,
   'expires_at is finished_at + 2 s on each of them')
    or diag(explain(\%checked));

my $t0 = time;
ok(wait_until(sub {
    !grep { redis_cli($redis, 'EXISTS', "djass:project:$_") } @ids
}, 40 * $f, 0.2), 'every project is deleted after its retention')
    or diag(worker_log($w[0]) . worker_log($w[1]));

for my $id (@ids[0, 4, -1]) {
    my $r = api(GET => "/projects/$id", key => $K);
    is($r->{status}, 404, "project $id: 404");
    is($r->{json}{error}{code}, 'project_not_found', 'project_not_found');
}
# the project finished before retention was on (expires_at null) is
# older than 2 s too: the sweep deletes it as well
ok(wait_until(sub { !redis_cli($redis, 'EXISTS', "djass:project:$kept") },
              5), 'the project finished before retention was on goes too');
ok(wait_until(sub { my @a = (artifact_files($art), repo_files($art)); !@a },
              5),
   'the store holds no artifact of them, nor their git packs (within 5 s)')
    or diag(join ' ', artifact_files($art), repo_files($art));
is_deeply([ temp_files($art) ], [], 'and no work files');
is(api(GET => '/projects', key => $K)->{json}{total}, 0,
   'the list is empty');
is(redis_cli($redis, 'ZCARD', 'djass:finished'), 0,
   'djass:finished is empty');

my $logs = join '', map { worker_log($_) } @w;
my $swept = 0;
$swept += $1 while $logs =~ /retention: deleted (\d+) projects/g;
is($swept, $N + 1, 'the sweepers together deleted each project once');
is(redis_cli($redis, 'HGET', 'djass:stats', 'deleted:retention'), $N + 1,
   'djass:stats counts each once');
like($logs, qr/retention: this worker sweeps now/,
     'a sweeper says when it takes the lease');
is(metric('djass_projects_deleted_total{reason="retention"}'), $N + 1,
   'the scrape: djass_projects_deleted_total{reason="retention"}');
is(metric('djass_projects_deleted_total{reason="api"}'), 0,
   'and {reason="api"} 0');
is(metric('djass_retention_sweeper_lag_seconds'), 0,
   'the sweeper is not behind');
is(pending_jobs($redis), 0, 'no job is left pending');

# the quota: a place per expired project
my $small = make_key($redis, legacy => 1, quota => 1);
my $one = api(POST => '/projects', key => $small->{key},
              json => { project_name => 'Only One' })->{json}{project}{id};
ok(wait_status($redis, $one, 'ready'), 'a profile with quota 1: ready');
is(api(POST => '/projects', key => $small->{key},
       json => { project_name => 'Second' })->{status}, 429, 'quota full');
ok(wait_until(sub {
    api(POST => '/projects', key => $small->{key},
        json => { project_name => 'Second' })->{status} == 201
}, 10 * $f, 0.3), 'once it expired, its place is free again');

stop_process($_) for @w;

# --- the lag, when no sweeper runs ----------------------------------------------
redis_cli($redis, 'ZADD', 'djass:finished', int(time) - 100, 999999);
my $lag = metric('djass_retention_sweeper_lag_seconds');
ok($lag >= 97 && $lag <= 100,
   "a project 98 s past its retention with no sweeper: lag $lag s");

done_testing();
