# Prometheus metrics: the djass_metrics location answers the text format
# 0.0.4 (promtool check metrics finds nothing), counts the API's answers by
# endpoint and status code across nginx workers (one shared zone), the
# Redis round trips, errors, timeouts and reconnects, each worker's
# connection and the 503s; the counts survive a reload.  Each scrape also
# reads the fleet's figures from Redis in one asynchronous call: jobs
# waiting and pending, the queue's lag, projects by status (the API's own
# totals), jobs finished by outcome, attempts, reclaims and the render
# histogram, exact through a worker killed mid-job and a job given up;
# with Redis down or paused the local figures are still served at once
# (within djass_redis_timeout) with djass_redis_up 0.  The shipped alert
# rules pass promtool check rules and promtool test rules.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);
use Djass::Test;
use Djass::Jobs;
use Djass::Build qw(valgrind_on);

my $repo = repo_dir();
my $promtool = -x '/usr/bin/promtool' ? '/usr/bin/promtool' : undef;

my $redis = start_redis();
my $nginx = start_nginx(
    redis => $redis, workers => 2,
    server => 'location = /metrics { djass_metrics; allow 127.0.0.1; deny all; }',
);
my $key = make_key($redis)->{key};

sub scrape {
    my $res = http_request(GET => "http://127.0.0.1:$nginx->{port}/metrics");
    return $res;
}

sub value {
    my ($text, $series) = @_;
    return $text =~ /^\Q$series\E (\S+)$/m ? $1 : undef;
}

sub promtool_ok {
    my ($text, $name) = @_;
    SKIP: {
        skip_or_fail('promtool is not installed (Debian package '
                     . 'prometheus)', 1)
            unless $promtool;
        my $f = temp_dir('prom') . '/metrics.txt';
        open my $fh, '>', $f or die $!;
        print $fh $text;
        close $fh;
        my $out = `'$promtool' check metrics < '$f' 2>&1`;
        is($?, 0, "$name: promtool check metrics finds nothing") or diag($out);
    }
}

# some traffic, through both workers
api(GET => '/project-options') for 1 .. 3;
api(GET => '/nope');
api(GET => '/projects', key => $key) for 1 .. 4;
api(GET => '/projects');
api(POST => '/projects', key => $key, json => { project_name => 'M' });

# each answer is counted in its log phase, which can end just after the
# client has it: wait until the last one is in (any scrape shows it)
my $res;
wait_until(sub {
    $res = scrape();
    (value($res->{content} // '',
           'djass_http_requests_total{endpoint="projects_create",code="201"}')
     // 0) >= 1
}, 5, 0.05);
is($res->{status}, 200, 'the metrics location answers 200');
is($res->{headers}{'content-type'}, 'text/plain; version=0.0.4; charset=utf-8',
   'in the Prometheus text format 0.0.4');
my $m = $res->{content};
promtool_ok($m, 'with Redis up');
is(value($m, 'djass_http_requests_total{endpoint="project_options",code="200"}'),
   3, 'the catalog answers are counted');
is(value($m, 'djass_http_requests_total{endpoint="other",code="404"}'), 1,
   'an unknown path is counted as endpoint "other"');
is(value($m, 'djass_http_requests_total{endpoint="projects_list",code="200"}'),
   4, 'the list answers are counted, whichever worker answered');
is(value($m, 'djass_http_requests_total{endpoint="projects_list",code="401"}'),
   1, 'a 401 is counted with its code');
is(value($m, 'djass_http_requests_total{endpoint="projects_create",code="201"}'),
   1, 'a create is its own endpoint');
is(value($m, 'djass_redis_request_duration_seconds_count'), 5,
   'every Redis round trip is in the histogram (a 401 without a key makes none)');
is(value($m, 'djass_redis_request_duration_seconds_bucket{le="+Inf"}'), 5,
   'the +Inf bucket is the count');
ok(value($m, 'djass_redis_request_duration_seconds_sum') > 0,
   'the histogram has a sum in seconds');
is(value($m, 'djass_redis_up'), 1, 'Redis is up');
my @slots = $m =~ /^djass_redis_connected\{slot="(\d+)"\} 1$/mg;
is(scalar @slots, valgrind_on() ? 1 : 2,
   'each nginx worker says it is connected, labelled by its slot');
unlike($m, qr/djk_|project_id|profile/, 'no key, project or profile in a label');

# a reload keeps the counts
unless (valgrind_on()) {
    kill 'HUP', $nginx->{pid};
    sleep 1;
    ok(wait_until(sub {
        my $t = scrape()->{content} // '';
        (value($t, 'djass_redis_up') // 0) == 1
            && (value($t, 'djass_http_requests_total{endpoint="projects_list",code="200"}') // 0) == 4
    }, 10, 0.2), 'after a reload the counts go on where they were');
}

# the read cache's counters (djass_cache is on by default)
{
    my $id = api(POST => '/projects', key => $key,
                 json => { project_name => 'Cached' })->{json}{project}{id};
    ok(wait_until(sub {
           api(GET => "/projects/$id/status", key => $key)->{status} == 200
           && (value(scrape()->{content} // '', 'djass_cache_hits_total')
               // 0) >= 1 }, 10),
       'repeated status reads are counted as read-cache hits');
    my $t = scrape()->{content} // '';
    for my $c (qw(misses fills invalidations flushes evictions bypasses
                   doubts)) {
        like($t, qr/^djass_cache_${c}_total \d+$/m,
             "djass_cache_${c}_total is served");
    }
    promtool_ok($t, 'with the read cache counters');
}

# Redis down: local figures, djass_redis_up 0, the 503s counted
stop_process($redis);
sleep 0.3;
for (1 .. 3) {
    my $r = api(GET => '/projects', key => $key);
    is($r->{status}, 503, 'without Redis the API answers 503');
}
# counted in the log phase, which can end just after the client has its
# answer: the other nginx worker may serve a scrape before that
wait_until(sub {
    $res = scrape();
    (value($res->{content} // '', 'djass_http_unavailable_total') // 0) >= 3
}, 5, 0.05);
is($res->{status}, 200, 'the metrics are served without Redis');
$m = $res->{content};
promtool_ok($m, 'with Redis down');
is(value($m, 'djass_redis_up'), 0, 'djass_redis_up says Redis was not reached');
unlike($m, qr/^djass_(?:jobs_waiting|projects|render_duration_seconds_count)\b/m,
       'without Redis there are no fleet figures (no stale ones either)');
is(value($m, 'djass_http_unavailable_total'), 3, 'the 503s are counted');
is(value($m, 'djass_http_requests_total{endpoint="projects_list",code="503"}'),
   3, '... by endpoint too');
ok((value($m, 'djass_redis_reconnects_total') // -1) >= 0,
   'the reconnects are counted');

# other methods, and access control stays nginx's
$res = http_request(POST => "http://127.0.0.1:$nginx->{port}/metrics");
is($res->{status}, 405, 'POST /metrics is 405');

# --- the fleet's figures, from Redis on each scrape -----------------------
{
    my $f = slow_factor();
    my $r = start_redis();
    my $tpl = worker_template('slow');
    my $art = temp_dir('art-295');
    my $n = start_nginx(redis => $r, template => $tpl, artifacts => $art,
                        http => 'djass_redis_timeout 500ms;',
                        server => 'location = /metrics { djass_metrics; }');
    my $k = make_key($r)->{key};
    my $get = sub {
        my $t = http_request(GET => "http://127.0.0.1:$n->{port}/metrics");
        return $t->{content} // '';
    };
    my $create = sub {
        my ($name, $sleep) = @_;
        my $c = api(POST => '/projects', key => $k, nginx => $n,
                    json => { project_name => $name, hook_sleep => $sleep });
        die "create: $c->{status} $c->{content}" unless $c->{status} == 201;
        return $c->{json}{project}{id};
    };
    # what the API says: GET /projects?status=... totals
    my $api_totals = sub {
        return map {
            my $l = api(GET => "/projects?status=$_&limit=1", key => $k,
                        nginx => $n);
            ($_ => $l->{json}{total})
        } qw(queued generating ready failed);
    };
    my $projects_match = sub {
        my ($t, $when) = @_;
        my %api = $api_totals->();
        is_deeply({ map { ($_ => value($t, "djass_projects{status=\"$_\"}"))
                        } keys %api }, \%api,
                  "$when: djass_projects by status is what the API's "
                  . 'list totals say') or diag($t);
    };

    # five projects, no worker yet: a slow one (to be killed mid-job and
    # then given up), two fast, one just over a second, one that fails
    my $slow = $create->('Slow', "" . 4 * $f);
    my @fast = map { $create->("Fast $_", '0') } 1 .. 2;
    my $mid = $create->('Mid', '1.2');
    my $bad = $create->('Broken', 'not-a-number');
    sleep 1.1;

    my $t = $get->();
    promtool_ok($t, 'fleet: jobs queued, no worker yet');
    is(value($t, 'djass_redis_up'), 1, 'fleet: the scrape reached Redis');
    is(value($t, 'djass_jobs_waiting'), 5,
       'fleet: five jobs waiting before any worker');
    cmp_ok(value($t, 'djass_queue_lag_seconds') // 0, '>=', 1.1,
           'fleet: the queue lag is the oldest job\'s age');
    cmp_ok(value($t, 'djass_queue_lag_seconds') // 99, '<', 30,
           'fleet: ... and not more');
    unlike($t, qr/^djass_jobs_pending/m,
           'fleet: no consumer group yet, no pending series');
    $projects_match->($t, 'queued');
    is(value($t, 'djass_projects{status="queued"}'), 5,
       'fleet: five projects queued');
    is(value($t, 'djass_job_attempts_total'), 0, 'fleet: no attempt yet');
    is(value($t, 'djass_render_duration_seconds_count'), 0,
       'fleet: no render yet');

    # a worker takes the slow one (the oldest) and is killed in its hook
    my $w1 = start_worker(redis => $r, artifacts => $art, template => $tpl,
                          args => [ '--visibility-timeout', 2 ]);
    ok(wait_status($r, $slow, 'generating'), 'fleet: the slow one generates');
    $t = $get->();
    promtool_ok($t, 'fleet: one job taken');
    is(value($t, 'djass_jobs_pending{group="djass-workers"}'), 1,
       'fleet: one job pending for the workers\' group');
    is(value($t, 'djass_jobs_waiting'), 4, 'fleet: four still waiting');
    $projects_match->($t, 'one generating');
    is(value($t, 'djass_projects{status="generating"}'), 1,
       'fleet: one project generating');
    is(value($t, 'djass_job_attempts_total'), 1, 'fleet: one attempt');
    stop_process($w1, 'KILL');

    # another worker takes the rest, and the killed job over after the
    # visibility timeout: with --max-attempts 1 it is given up (exhausted)
    my $w2 = start_worker(redis => $r, artifacts => $art, template => $tpl,
                          args => [ '--visibility-timeout', 2,
                                    '--max-attempts', 1 ]);
    ok(wait_finished($r, [ $slow, @fast, $mid, $bad ], 60),
       'fleet: every project finishes') or diag(worker_log($w2));
    is(project($r, $slow)->{status}, 'failed',
       'fleet: the killed job was given up');
    is(project($r, $bad)->{status}, 'failed', 'fleet: the broken one failed');

    $t = $get->();
    promtool_ok($t, 'fleet: all finished');
    is(value($t, 'djass_jobs_waiting'), 0, 'fleet: nothing waiting');
    is(value($t, 'djass_queue_lag_seconds'), '0.000', 'fleet: no lag');
    is(value($t, 'djass_jobs_pending{group="djass-workers"}'), 0,
       'fleet: nothing pending');
    $projects_match->($t, 'finished');
    is(value($t, 'djass_projects{status="ready"}'), 3, 'fleet: three ready');
    is(value($t, 'djass_projects{status="failed"}'), 2, 'fleet: two failed');
    is(value($t, 'djass_projects{status="queued"}') +
       value($t, 'djass_projects{status="generating"}'), 0,
       'fleet: none queued or generating');
    is(value($t, 'djass_jobs_finished_total{outcome="ready"}'), 3,
       'fleet: finished ready: 3');
    is(value($t, 'djass_jobs_finished_total{outcome="failed"}'), 1,
       'fleet: finished failed (the render): 1');
    is(value($t, 'djass_jobs_finished_total{outcome="exhausted"}'), 1,
       'fleet: finished exhausted (given up): 1');
    is(value($t, 'djass_job_attempts_total'), 5,
       'fleet: five attempts (the given-up job had one)');
    is(value($t, 'djass_job_reclaims_total'), 1,
       'fleet: one job taken over from the killed worker');
    is(value($t, 'djass_render_duration_seconds_count'), 4,
       'fleet: the histogram counts the four renders (ready + failed)');
    is(value($t, 'djass_render_duration_seconds_bucket{le="+Inf"}'), 4,
       'fleet: its +Inf bucket is its count');
    is(value($t, 'djass_render_duration_seconds_bucket{le="1"}'), 3,
       'fleet: three renders took at most a second, the 1.2 s one more');
    my @b = $t =~ /^djass_render_duration_seconds_bucket\{le="[^"]+"\} (\d+)$/mg;
    is(scalar @b, 12, 'fleet: twelve buckets');
    ok(!(grep { $b[$_] < $b[$_ - 1] } 1 .. $#b), 'fleet: buckets cumulate');
    cmp_ok(value($t, 'djass_render_duration_seconds_sum') // 0, '>=', 1.2,
           'fleet: the sum is in seconds (the 1.2 s render is in it)');
    is(value($t, 'djass_webhook_deliveries_total{outcome="delivered"}'), 0,
       'fleet: no webhook endpoint, no delivery');
    unlike($t, qr/Slow|Fast|Broken|djk_|profile|project="/,
           'fleet: no project, key or profile in any series');

    # a count broken by hand breaks neither the jobs nor the scrape
    redis_cli($r, 'HSET', 'djass:stats', 'attempts', 'garbage',
              'render:le:300000', 'x');
    my $more = $create->('After', '0');
    ok(wait_status($r, $more, 'ready'),
       'broken count: a job still ends ready') or diag(worker_log($w2));
    $t = $get->();
    promtool_ok($t, 'broken count');
    is(value($t, 'djass_redis_up'), 1, 'broken count: the scrape answers');
    is(value($t, 'djass_job_attempts_total'), 0,
       'broken count: a field that is no integer reads as 0');
    is(value($t, 'djass_jobs_finished_total{outcome="ready"}'), 4,
       'broken count: the other counts go on');
    is(value($t, 'djass_render_duration_seconds_bucket{le="+Inf"}'), 5,
       'broken count: the histogram counts what it can');
    is(stop_process($w2), 0, 'fleet: the worker stops');

    # scrapes at the same time: each gets its own call and the figures
    {
        my @kids;
        for my $i (1 .. 8) {
            my $pid = fork;
            if ($pid == 0) {
                my $bad = 0;
                for (1 .. 5) {
                    my $x = http_request(GET => "http://127.0.0.1:$n->{port}/metrics");
                    $bad++ unless $x->{status} == 200
                        && ($x->{content} // '') =~ /^djass_redis_up 1$/m
                        && $x->{content} =~ /^djass_jobs_finished_total\{outcome="ready"\} 4$/m;
                }
                POSIX::_exit($bad ? 1 : 0);
            }
            push @kids, $pid;
        }
        my $failed = 0;
        for (@kids) { waitpid($_, 0); $failed++ if $? }
        is($failed, 0, 'forty scrapes from eight clients at once: every one '
                       . 'answered with the fleet\'s figures');
    }

    # Redis paused: the scrape answers within djass_redis_timeout (500ms)
    my $redis_pid = $r->{pid};
    kill 'STOP', $redis_pid;
    {
        # a scraper that leaves while the call waits: nothing touches it
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$n->{port}");
        print $s "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
        sleep 0.1;
        close $s;
    }
    my $t0 = time;
    my $p = http_request(GET => "http://127.0.0.1:$n->{port}/metrics");
    my $took = time - $t0;
    kill 'CONT', $redis_pid;
    is($p->{status}, 200, 'paused Redis: the scrape answers 200');
    cmp_ok($took, '>=', 0.4, 'paused Redis: after waiting for the call');
    cmp_ok($took, '<', 0.5 + 1.5, 'paused Redis: within djass_redis_timeout');
    is(value($p->{content}, 'djass_redis_up'), 0,
       'paused Redis: djass_redis_up 0');
    like($p->{content},
         qr/^djass_http_requests_total\{endpoint="projects_list",code="200"\} \d+$/m,
         'paused Redis: the local counters are there');
    unlike($p->{content}, qr/^djass_jobs_waiting/m,
           'paused Redis: no fleet figures');
    cmp_ok(value($p->{content}, 'djass_redis_timeouts_total') // 0, '>=', 1,
           'paused Redis: the late call is counted as a timeout');
    promtool_ok($p->{content}, 'paused Redis');
    ok(wait_until(sub { (value($get->(), 'djass_redis_up') // 0) == 1 },
                  10, 0.2), 'Redis resumed: the fleet figures come back');
}

# --- the shipped Prometheus files ----------------------------------------

SKIP: {
    skip_or_fail('promtool is not installed (Debian package prometheus)', 3)
        unless $promtool;
    my $dir = "$repo/doc/prometheus";
    my $out = `cd '$dir' && '$promtool' check rules alerts.yml 2>&1`;
    is($?, 0, 'promtool check rules: doc/prometheus/alerts.yml') or diag($out);
    $out = `cd '$dir' && '$promtool' test rules alerts_test.yml 2>&1`;
    is($?, 0, 'promtool test rules: the alerts fire as their tests say')
        or diag($out);
    $out = `cd '$dir' && '$promtool' check config scrape.yml 2>&1`;
    is($?, 0, 'promtool check config: doc/prometheus/scrape.yml') or diag($out);
}

done_testing();
