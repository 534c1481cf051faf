# Prometheus metrics: the djass_metrics location answers the text format
# 0.0.4 (promtool check metrics finds nothing), counts the API's answers by
# endpoint and status code across nginx workers (one shared zone), the
# Redis round trips, errors, timeouts and reconnects, each worker's
# connection and the 503s; the counts survive a reload; with Redis down
# the local figures are still served with djass_redis_up 0.  The shipped
# alert rules pass promtool check rules and promtool test rules.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use Djass::Test;
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
        skip 'promtool is not installed (Debian package prometheus)', 1
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
sleep 0.2;

my $res = scrape();
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
    for my $c (qw(misses fills invalidations flushes evictions)) {
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
$res = scrape();
is($res->{status}, 200, 'the metrics are served without Redis');
$m = $res->{content};
promtool_ok($m, 'with Redis down');
is(value($m, 'djass_redis_up'), 0, 'djass_redis_up says Redis was not reached');
is(value($m, 'djass_http_unavailable_total'), 3, 'the 503s are counted');
is(value($m, 'djass_http_requests_total{endpoint="projects_list",code="503"}'),
   3, '... by endpoint too');
ok((value($m, 'djass_redis_reconnects_total') // -1) >= 0,
   'the reconnects are counted');

# other methods, and access control stays nginx's
$res = http_request(POST => "http://127.0.0.1:$nginx->{port}/metrics");
is($res->{status}, 405, 'POST /metrics is 405');

# --- the shipped Prometheus files ----------------------------------------

SKIP: {
    skip 'promtool is not installed (Debian package prometheus)', 3
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
