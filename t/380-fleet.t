# A fleet on one machine, loopback only: a Redis master, one replica and
# three Sentinels; two edge nginx with the module (djass_redis
# sentinel://..., djass_redis_wait 1); one store nginx with WebDAV; two
# workers uploading to it over HTTP (--redis-wait 1), each with a private
# work folder.
#
# - create on edge A, poll and download on edge B: the bytes of
#   `djass-worker render --zip`;
# - SIGKILL the master while a client creates and polls on both edges:
#   only 2xx or 503 retryable_error, each answer in time, both edges back
#   to 2xx after the failover without a reload, every 201 found after it,
#   every project ready; the read cache back on the new master, and exact;
# - the store down 10 s while projects are generated, and a worker
#   SIGKILLed while it uploads: nothing fails, everything ends ready.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use HTTP::Tiny;
use Djass::Test;
use Djass::Jobs;
use Djass::Build qw(valgrind_on sanitize_on);

plan skip_all => 'too slow under valgrind' if valgrind_on();

my $tpl = worker_template('slow');
my $token = 'Bearer fleet-s3cret-token';
# down-after above Sentinel's one-second ping: at 1000 ms a Sentinel can
# judge the master it has just switched to down before its first PING is
# answered, and fail over a second time (seen, under load)
my ($down_after, $failover_timeout) = (2000, 3000);
# ASan workers make about a project a second each: fewer creates then
my $create_every = sanitize_on() ? 0.4 : 0.1;

# --- Redis: master, replica, three Sentinels -------------------------------
# a replica (re)joining syncs at once, not after the default 5 s
my @repl = ('--repl-diskless-sync-delay', 0);
my $master = start_redis(args => \@repl);
my $replica = start_redis(args => [@repl, '--replicaof', '127.0.0.1',
                                   $master->{port}]);
ok(wait_replica($master, $replica), 'the replica follows the master');

my @sentinels;
for my $i (1 .. 3) {
    my $port = free_port();
    my $dir = temp_dir("sentinel-$port");
    open my $fh, '>', "$dir/sentinel.conf" or die $!;
    print $fh <<"CONF";
port $port
bind 127.0.0.1
daemonize no
dir $dir
logfile "$dir/sentinel.log"
sentinel monitor djass 127.0.0.1 $master->{port} 2
sentinel down-after-milliseconds djass $down_after
sentinel failover-timeout djass $failover_timeout
sentinel parallel-syncs djass 1
CONF
    close $fh;
    my $p = Djass::Test::spawn("sentinel-$port", {}, 'redis-server',
                               "$dir/sentinel.conf", '--sentinel');
    $p->{port} = $port;
    wait_port($port, 10) or die "sentinel did not start on $port";
    push @sentinels, $p;
}
my $sentinel_addr = 'sentinel://'
    . join(',', map { "127.0.0.1:$_->{port}" } @sentinels) . '/djass';
ok(wait_until(sub {
    for my $s (@sentinels) {
        my $o = redis_cli($s, 'SENTINEL', 'sentinels', 'djass');
        my $r = redis_cli($s, 'SENTINEL', 'replicas', 'djass');
        return 0 unless ref $o && @$o == 2 && ref $r && @$r == 1;
    }
    1 }, 30, 0.2), 'the three Sentinels know each other and the replica');

my $fleet = { addr => $sentinel_addr };

# what Redis and the Sentinels said, for a failure's diagnosis
sub redis_logs {
    my @out;
    for my $r ($master, $replica, @sentinels) {
        my $dir = temp_dir(($r->{kind} // '') eq 'redis'
                           ? "redis-$r->{port}" : "sentinel-$r->{port}");
        my $f = -e "$dir/redis.log" ? "$dir/redis.log" : "$dir/sentinel.log";
        open my $fh, '<', $f or next;
        my @l = grep { !/^\s*$|_\._|`-|\.-/ } <$fh>;
        push @out, "== $f", @l > 40 ? @l[-40 .. -1] : @l;
        push @out, redis_cli($r, 'INFO', 'replication') // ''
            if ($r->{kind} // '') eq 'redis';
    }
    return join '', map { /\n$/ ? $_ : "$_\n" } @out;
}

# --- the store: plain nginx with WebDAV ------------------------------------
my $store = start_http_store(token => $token);
my ($store_port, $store_dir) = @$store{qw(port store_dir)};

# --- two edges --------------------------------------------------------------
my $edge_http = <<"HTTP";
    djass_quota 100000;
    djass_redis_timeout 2s;
    djass_sentinel_timeout 500ms;
    djass_redis_wait 1 500ms;
HTTP
my $edge_proxy = <<"LOC";
            proxy_pass http://127.0.0.1:$store_port/;
            proxy_connect_timeout 1s;
            proxy_read_timeout 5s;
LOC
my @edges = map {
    start_nginx(redis => $fleet, template => $tpl, http => $edge_http,
                conf => sub { $_[0] =~ s{alias \S+;}{$edge_proxy}r });
} 1 .. 2;
my ($A, $B) = @edges;

my $key = make_key($fleet)->{key};
ok($key, 'djassctl creates a key through the Sentinels');

# --- two workers, private folders -------------------------------------------
sub worker {
    my ($n) = @_;
    return start_worker(redis => $fleet, template => $tpl,
                        artifacts => "http://127.0.0.1:$store_port/",
                        args => ['--work-dir', temp_dir("work-$n"),
                                 '--artifacts-header',
                                 "Authorization: $token",
                                 '--visibility-timeout', 4,
                                 '--redis-timeout', 1000,
                                 '--redis-wait', 1,
                                 '--redis-wait-timeout', 500]);
}
my @workers = (worker(1), worker(2));

my $ua = HTTP::Tiny->new(timeout => 10, keep_alive => 0);

sub call {
    my ($edge, $method, $path, $body) = @_;
    my $t0 = time;
    my $res = $ua->request($method, "http://127.0.0.1:$edge->{port}/api/v1$path", {
        headers => { 'X-API-Key' => $key,
                     defined $body ? ('Content-Type' => 'application/json')
                                   : () },
        defined $body ? (content => json_encode($body)) : () });
    $res->{took} = time - $t0;
    $res->{json} = json_decode($res->{content})
        if ($res->{headers}{'content-type'} // '') =~ /json/;
    return $res;
}

sub status_of {
    my ($edge, $id) = @_;
    my $r = call($edge, GET => "/projects/$id/status");
    return $r->{status} == 200 ? $r->{json}{status} : '';
}

sub all_ready {
    my ($ids, $timeout) = @_;
    return wait_until(sub {
        for my $id (@$ids) {
            return 0 unless status_of($B, $id) eq 'ready';
        }
        1 }, $timeout, 0.2);
}

# --- 1. create on A, poll and download on B ---------------------------------
{
    my $res = call($A, POST => '/projects',
                   { project_name => 'Fleet One', use_docs => 'n' });
    is($res->{status}, 201, 'create on edge A answers 201')
        or diag($res->{content});
    my $id = $res->{json}{project}{id};
    my $effective = $res->{json}{project}{input_payload};
    ok(all_ready([$id], 30), 'edge B sees the project ready')
        or diag(worker_log($workers[0]), worker_log($workers[1]));
    my $dl = call($B, GET => "/projects/$id/download");
    is($dl->{status}, 200, 'edge B downloads it through the store');
    ok($dl->{headers}{etag} && $dl->{headers}{'last-modified'},
       'with the store\'s ETag and Last-Modified');
    my $got = temp_dir('dl-380') . "/$id.zip";
    open my $fh, '>:raw', $got or die $!;
    print $fh $dl->{content};
    close $fh;
    my $ref = render_zip($tpl, $effective, 'fleet', $res->{json}{project});
    is(file_sha256($got), file_sha256($ref),
       'byte-identical to djass-worker render --zip');
    my $range = $ua->request('GET',
        "http://127.0.0.1:$B->{port}/api/v1/projects/$id/download",
        { headers => { 'X-API-Key' => $key, Range => 'bytes=0-9' } });
    is($range->{status}, 206, 'a Range request answers 206 through the proxy');
    is(length $range->{content}, 10, 'with the 10 bytes asked for');
    ok(!grep({ -e "$_/projects" } map { temp_dir("work-$_") } 1, 2),
       'the workers keep no artifact in their own folders');
}

# --- 2. SIGKILL the master under load ---------------------------------------
{
    my (@created, @ids, %count, @bad, @slow);
    my ($killed_at, $switched_at, $last_bad, $n) = (undef, undef, 0, 0);
    my @late;   # what was answered when, to say why recovery was late
    my $t0 = time;
    my $next_create = 0;
    while (time - $t0 < 20) {
        my $edge = $edges[$n++ % 2];
        my ($res, $method);
        if (time >= $next_create || !@ids) {
            $method = 'create';
            $res = call($edge, POST => '/projects',
                        { project_name => "Load $n", use_docs => 'n' });
            $next_create = time + $create_every;
            if ($res->{status} == 201) {
                push @ids, $res->{json}{project}{id};
            }
        } else {
            $method = 'status';
            $res = call($edge, GET => "/projects/$ids[rand @ids]/status");
        }
        my $s = $res->{status};
        $count{$s}++;
        push @late, sprintf('%.2f s edge %s %s %d %s', time - $killed_at,
                            $edge == $A ? 'A' : 'B', $method, $s,
                            $res->{json}{error}{code} // '')
            if $killed_at && ($s < 200 || $s > 299);
        if ($s == 503) {
            my $code = $res->{json}{error}{code} // '';
            push @bad, "503 with $code" if $code ne 'retryable_error';
            $last_bad = time;
            $count{"503 $method"}++;
        } elsif ($s < 200 || $s > 299) {
            push @bad, "$s: $res->{content}";
            $last_bad = time;
        }
        push @slow, sprintf('%.2f s', $res->{took}) if $res->{took} > 2.5;
        if (!$killed_at && time - $t0 > 3) {
            kill 'KILL', $master->{pid};
            waitpid($master->{pid}, 0);
            $master->{pid} = 0;
            $killed_at = time;
        }
        if ($killed_at && !$master->{restarted}) {
            # the dead machine comes back, as a replica of the new master
            my $m = redis_cli($sentinels[0], 'SENTINEL',
                              'get-master-addr-by-name', 'djass');
            if (ref $m && $m->[1] == $replica->{port}) {
                $master = start_redis(port => $master->{port},
                                      args => [@repl, '--replicaof',
                                               '127.0.0.1',
                                               $replica->{port}]);
                $master->{restarted} = 1;
                $switched_at = time;
                diag(sprintf('failover seen %.2f s after the SIGKILL',
                             time - $killed_at));
            }
        }
    }
    my $total = 0;
    $total += $_ for values %count;
    my $recovery = $last_bad ? $last_bad - $killed_at : 0;
    diag(sprintf('%d requests: %s; recovered %.2f s after the SIGKILL',
                 $total, join(', ', map { "$_ x$count{$_}" } sort keys %count),
                 $recovery));
    ok($total > 500, "the client loop made many requests ($total)");
    is_deeply(\@bad, [], 'every answer is 2xx or 503 retryable_error');
    is_deeply(\@slow, [], 'no answer is slower than the timeout');
    ok($master->{restarted}, 'the Sentinels promoted the replica');
    # down-after plus the failover time plus 2 s: the failover's time as
    # the Sentinels took it (an election that splits its votes is redone
    # later), at least the configured failover-timeout
    my $took = $switched_at ? $switched_at - $killed_at : 0;
    my $bound = ($down_after + $failover_timeout) / 1000 + 2;
    $bound = $took + 2 if $took + 2 > $bound;
    ok($recovery < $bound,
       sprintf('both edges answer 2xx again %.2f s after the SIGKILL '
               . '(bound %.1f s: the Sentinels switched after %.2f s), '
               . 'without a reload', $recovery, $bound, $took))
        or diag(join "\n", 'the answers after the switch:',
                grep({ defined } (grep { /^([\d.]+)/ && $1 > $took }
                                  @late)[0 .. 40]),
                nginx_error_log($A), nginx_error_log($B), redis_logs());

    # every 201 is there, and every project ends ready
    my @missing = grep { call($A, GET => "/projects/$_")->{status} != 200 }
                  @ids;
    is_deeply(\@missing, [], scalar(@ids) . ' projects answered 201 are all '
                                          . 'found after the failover');
    ok(all_ready(\@ids, sanitize_on() ? 120 : 60),
       'every project ends ready')
        or diag(worker_log($workers[0]), worker_log($workers[1]));

    # the read cache (djass_cache, on by default) followed the failover,
    # to the master the Sentinels name now
    my $m = redis_cli($sentinels[0], 'SENTINEL', 'get-master-addr-by-name',
                      'djass');
    my ($now) = grep { ref $m && $_->{port} == $m->[1] } $master, $replica;
    ok($now && $now == $replica, 'the Sentinels name the promoted replica '
                                 . 'master (one failover, not two)')
        or diag(redis_logs());
    $now //= $replica;
    my $cid = $ids[-1];
    my $evalsha = sub {
        my $info = redis_cli($now, 'INFO', 'commandstats') // '';
        my ($n) = $info =~ /^cmdstat_evalsha:calls=(\d+)/m;
        return $n // 0;
    };
    ok(wait_until(sub {
        call($A, GET => "/projects/$cid/status");
        my $before = $evalsha->();
        call($A, GET => "/projects/$cid/status") for 1 .. 3;
        return $evalsha->() == $before;
    }, 10, 0.05), 'after the failover edge A reads from its cache again, '
                  . 'tracked by the new master');
    redis_cli($now, 'HSET', "djass:project:$cid", 'status', 'generating');
    my @answers;
    my $seen = wait_until(sub {
        my $st = call($A, GET => "/projects/$cid/status");
        push @answers, "$st->{status} " . ($st->{json}{status}
                                          // $st->{json}{error}{code} // '');
        return ($st->{json}{status} // '') eq 'generating';
    }, 5, 0.01);
    redis_cli($now, 'HSET', "djass:project:$cid", 'status', 'ready');
    ok($seen, 'a write on the new master is seen by edge A at once: '
              . 'no stale cached answer')
        or diag(join(', ', @answers[0 .. ($#answers < 9 ? $#answers : 9)]),
                "\n", nginx_error_log($A));
}

# --- 3. the store down 10 s while projects are generated --------------------
my $store_down = sub {
    my ($seconds, $during) = @_;
    my @ids = map {
        call($A, POST => '/projects',
             { project_name => "Store $_", hook_sleep => '0.3' })
            ->{json}{project}{id}
    } 1 .. 6;
    sleep 0.3;
    stop_process($store);
    my $end = time + $seconds;
    $during->(\@ids) if $during;
    my $dl = call($B, GET => "/projects/1/download");
    is($dl->{status}, 503, 'a download while the store is down answers 503');
    is($dl->{json}{error}{code}, 'retryable_error', 'retryable_error');
    sleep($end - time) if $end > time;
    $store = start_http_store(token => $token, port => $store_port,
                              store_dir => $store_dir);
    return \@ids;
};
{
    my $ids = $store_down->(10);
    ok(all_ready($ids, 60), 'the store was down 10 s: every project ready')
        or diag(worker_log($workers[0]), worker_log($workers[1]));
    my @failed = grep { status_of($B, $_) eq 'failed' } @$ids;
    is_deeply(\@failed, [], 'none failed');
    like(worker_log($workers[0]) . worker_log($workers[1]),
         qr/transient storage error/, 'the workers logged the retries');
}

# --- 4. a worker SIGKILLed while it uploads ---------------------------------
{
    my $ids = $store_down->(3, sub {
        my $w = $workers[0];
        my $before = length worker_log($w);
        wait_until(sub {
            substr(worker_log($w), $before) =~ /transient storage error/
        }, 5);
        stop_process($w, 'KILL');
    });
    $workers[0] = worker(3);
    ok(all_ready($ids, 60),
       'a worker killed mid-upload: its project is redone, all ready')
        or diag(worker_log($workers[0]), worker_log($workers[1]));
}

my $logs = join '', map { worker_log($_) } @workers;
unlike($logs, qr/fleet-s3cret-token/, 'the upload token is never logged');

done_testing();
