# The read cache (djass_cache): repeated reads cost nginx only, and yet a
# change made through Redis -- a key revoked, a status written by a worker,
# a FLUSHALL, a restart -- is what the very next requests see, on every
# nginx node, never an older state.  The answers are the bytes the
# uncached path gives, and `djass_cache off` asks Redis every time.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Cache;
use Djass::Build qw(valgrind_on sanitize_on);

# how long "at once" may take: a loopback round trip plus our own polling,
# slower under the sanitizers
my $at_once = valgrind_on() ? 1.0 : sanitize_on() ? 0.2 : 0.05;

my $artifacts = temp_dir('artifacts');
my $redis = start_redis();
my $a = start_nginx(redis => $redis, artifacts => $artifacts);
my $b = start_nginx(redis => $redis, artifacts => $artifacts);
my $off = start_nginx(redis => $redis, artifacts => $artifacts,
                      http => 'djass_cache off;');

my $key = make_key($redis, legacy => 1);
my $K = $key->{key};

# one fixed X-Request-Id: error bodies carry it (error.request_id), so the
# cached and uncached answers compare byte for byte
my %rid = ('X-Request-Id' => 'cache-298');
sub get { cache_get(@_[0 .. 2], %rid) }
sub evalsha_calls { cache_evalsha_calls($redis) }

# the commands requests cost: not the heartbeat's PING and CLIENT
# TRACKINGINFO (once a second per worker process, whatever the load; the
# subcommands, cmdstat_client|..., do not match \w+)
sub all_calls {
    my $info = redis_cli($redis, 'INFO', 'commandstats') // '';
    my $n = 0;
    while ($info =~ /^cmdstat_(\w+):calls=(\d+)/mg) {
        $n += $2 unless $1 eq 'ping';
    }
    return $n;
}

# tracking is on once a repeated read costs nothing
sub warm { cache_warm($redis, @_[0 .. 2], undef, %rid) }

my $res = api(POST => '/projects', key => $K, nginx => $a,
              json => { project_name => 'Cache Me' });
is($res->{status}, 201, 'a project is created through the cached node');
my $id = $res->{json}{project}{id};

# --- hits cost Redis nothing ------------------------------------------------

ok(warm($a, "/projects/$id/status", $K),
   'node A: a repeated status read is answered without Redis');
ok(warm($b, "/projects/$id/status", $K),
   'node B: the same, on its own cache');

redis_cli($redis, 'CONFIG', 'RESETSTAT');
get($a, "/projects/$id/status", $K) for 1 .. 200;
my $per = all_calls() / 200;
cmp_ok($per, '<', 0.01,
       "steady state: Redis commands per status request under 0.01 ($per)");

redis_cli($redis, 'CONFIG', 'RESETSTAT');
get($off, "/projects/$id/status", $K) for 1 .. 50;
is(evalsha_calls(), 50,
   'djass_cache off: every status request is one EVALSHA, as before');

# --- the same bytes as the uncached path -------------------------------------

my $other = make_key($redis, legacy => 1, email => 'other@example.test');
my $create_only = make_key($redis, scopes => 'projects:create');
my $read_only = make_key($redis, scopes => 'projects:read');
my $rid = api(POST => '/projects', key => $K, nginx => $a,
              json => { project_name => 'Ready One' })->{json}{project}{id};
set_project_status($redis, $rid, 'ready', finished_at => int(time),
                   artifact => sprintf('projects/%03d/%d.zip', $rid % 1000,
                                       $rid));
system('mkdir', '-p', sprintf('%s/projects/%03d', $artifacts, $rid % 1000));
open my $zf, '>', sprintf('%s/projects/%03d/%d.zip', $artifacts, $rid % 1000,
                          $rid) or die $!;
print $zf "PK\x05\x06" . ("\0" x 18);
close $zf;

my @same = (
    [ "/projects/$id/status", $K ], [ "/projects/$id", $K ],
    [ "/projects/$id/download", $K ], [ "/projects/$rid/download", $K ],
    [ "/projects/$rid", $K ], [ "/projects/$rid/status", $read_only->{key} ],
    [ "/projects/$id/status", $other->{key} ],
    [ "/projects/$id", $create_only->{key} ],
    [ "/projects/$id/download", 'djass_nosuchkey_0123456789' ],
    [ "/projects/999999/status", $K ], [ "/projects/abc/status", $K ],
    [ "/projects/0", $K ],
);
for my $round (1 .. 3) {    # a miss, then hits
    for my $c (@same) {
        my ($path, $k) = @$c;
        my $want = get($off, $path, $k);
        my $got = get($a, $path, $k);
        my $what = "round $round, GET $path"
                   . ($k eq $K ? '' : ' with another key');
        is($got->{status}, $want->{status}, "$what: the uncached status");
        is($got->{content}, $want->{content}, "$what: the uncached body");
        for my $h ('content-type', 'www-authenticate', 'content-disposition',
                   'content-length', 'deprecation') {
            is($got->{headers}{$h}, $want->{headers}{$h},
               "$what: the uncached $h header");
        }
    }
}

# --- a revoked key: 401 within milliseconds, on every node -------------------

my $victim = make_key($redis, legacy => 1);
api(POST => '/projects', key => $victim->{key}, nginx => $a,
    json => { project_name => 'Victim' });
my $vid = redis_cli($redis, 'GET', 'djass:seq:project');
ok(warm($_, "/projects/$vid/status", $victim->{key}),
   "node $_->{port}: the victim's key is cached") for $a, $b;
my ($rc) = djassctl($redis, 'key', 'revoke', $victim->{key});
is($rc, 0, 'djassctl key revoke succeeds');
for my $n ($a, $b) {
    my $t0 = time;
    my ($first, $tries) = (undef, 0);
    while (time - $t0 < 5) {
        $tries++;
        my $s = get($n, "/projects/$vid/status", $victim->{key})->{status};
        if ($s == 401) { $first = time - $t0; last }
    }
    ok(defined $first && $first <= $at_once,
       sprintf("node %d: the revoked key is refused within %d ms "
               . "(%.1f ms, %d requests)", $n->{port}, $at_once * 1000,
               1000 * ($first // 9), $tries));
    is(get($n, "/projects/$vid/status", $victim->{key})->{status}, 401,
       "node $n->{port}: and stays refused");
}

# --- a key expires by the clock, with no write to tell --------------------

my $short = make_key($redis, legacy => 1, expires_in => 2);
ok(warm($a, "/projects/$id/status", $K), 'the cache is warm');
is(get($a, "/projects/999998/status", $short->{key})->{status}, 404,
   'a key about to expire still works');
get($a, "/projects/999998/status", $short->{key}) for 1 .. 3;
my $exp = redis_cli($redis, 'HGET', "djass:key:" . do {
    require Digest::SHA; Digest::SHA::sha256_hex($short->{key}) },
    'expires_at');
sleep 0.1 while time < $exp + 0.05;
is(get($a, "/projects/999998/status", $short->{key})->{status}, 401,
   'the cached key is refused from its expiry second on');

# --- a worker's changes: in order, at once, on the other node --------------

my $pid = api(POST => '/projects', key => $K, nginx => $a,
              json => { project_name => 'Watched' })->{json}{project}{id};
ok(warm($b, "/projects/$pid/status", $K), 'node B polls a cached status');

my $log = temp_dir('poll') . '/seen';
my $poller = fork;
if ($poller == 0) {
    # poll node B as fast as it answers, until ready, on a connection of
    # its own
    forget_connections();
    open my $fh, '>', $log or _exit(1);
    my $end = time + 20;
    while (time < $end) {
        my $s = get($b, "/projects/$pid/status", $K);
        my $st = $s->{json} ? $s->{json}{status} : "http$s->{status}";
        print $fh "$st\n";
        last if $st eq 'ready';
    }
    close $fh;
    _exit(0);
}

my %order = (queued => 0, generating => 1, ready => 2);
my @changes = ('generating', 'ready');
sleep 0.2;
for my $st (@changes) {
    set_project_status($redis, $pid, $st, $st eq 'ready'
                       ? (finished_at => int(time)) : (started_at => int(time)));
    my $t0 = time;
    my $seen;
    while (time - $t0 < 5) {
        my $s = get($b, "/projects/$pid/status", $K)->{json};
        if ($s && $s->{status} eq $st) { $seen = time - $t0; last }
    }
    ok(defined $seen && $seen <= $at_once,
       sprintf("'%s' written to Redis is seen on node B within %d ms "
               . "(%.1f ms)", $st, $at_once * 1000, 1000 * ($seen // 9)));
    sleep 0.3;
}
waitpid($poller, 0);
open my $fh, '<', $log or die $!;
chomp(my @seen = <$fh>);
close $fh;
my @bad = grep { !exists $order{$_} } @seen;
ok(!@bad, 'the poller only ever got a status object') or diag "@bad[0..2]";
my ($back, %got) = (0);
for my $i (0 .. $#seen) {
    $got{$seen[$i]}++;
    $back++ if $i && exists $order{$seen[$i]} && exists $order{$seen[$i - 1]}
               && $order{$seen[$i]} < $order{$seen[$i - 1]};
}
is($back, 0, sprintf('polling hard (%d polls): the status never went '
                     . 'backwards', scalar @seen));
ok($got{queued} && $got{generating} && $got{ready},
   'and every state was seen: queued, generating, ready');

# --- the invalidation connection lost: the cache is bypassed, then back ----

ok(warm($a, "/projects/$id/status", $K), 'node A reads from its cache');
redis_cli($redis, 'CLIENT', 'KILL', 'TYPE', 'pubsub');
set_project_status($redis, $id, 'generating', started_at => int(time));
# nginx learns of the loss from the socket, as a client would of the write
my ($lost, $t1) = (undef, time);
while (time - $t1 < 5) {
    my $s = get($a, "/projects/$id/status", $K)->{json};
    if ($s && $s->{status} eq 'generating') { $lost = time - $t1; last }
}
ok(defined $lost && $lost <= $at_once,
   sprintf('a write while the invalidation connection is down is seen '
           . 'within %d ms (%.1f ms)', $at_once * 1000, 1000 * ($lost // 9)));
ok(warm($a, "/projects/$id/status", $K),
   'the invalidation connection comes back, and the cache with it');
like(nginx_error_log($a), qr/invalidation connection .* is lost/,
     'the loss is logged');

# --- Redis busy: a cached read is still exact, as nothing can write ---------

ok(warm($a, "/projects/$id/status", $K), 'the cache is warm');
my $sleeper = fork;
if ($sleeper == 0) {
    redis_cli($redis, 'DEBUG', 'SLEEP', 1);
    _exit(0);
}
sleep 0.2;
my $busy = get($a, "/projects/$id/status", $K);
is($busy->{status}, 200, 'Redis busy (DEBUG SLEEP): the cached status is '
                         . 'answered at once');
is($busy->{json} && $busy->{json}{status}, 'generating',
   'with the last state Redis holds');
waitpid($sleeper, 0);

# --- FLUSHALL and a restart: nothing stale -------------------------------

ok(warm($a, "/projects/$id/status", $K), 'the cache is warm before FLUSHALL');
redis_cli($redis, 'FLUSHALL');
my $t0 = time;
my $flushed;
while (time - $t0 < 5) {
    if (get($a, "/projects/$id/status", $K)->{status} == 401) {
        $flushed = time - $t0;
        last;
    }
}
ok(defined $flushed && $flushed <= $at_once,
   sprintf('after FLUSHALL the key is gone at once (%.1f ms)',
           1000 * ($flushed // 9)));

$key = make_key($redis, legacy => 1);
$K = $key->{key};
my $rpid = api(POST => '/projects', key => $K, nginx => $a,
               json => { project_name => 'Restart' })->{json}{project}{id};
ok(warm($a, "/projects/$rpid/status", $K), 'the cache is warm again');

# a restart of Redis without persistence: the same port, other data
my $port = $redis->{port};
stop_process($redis);
my $during = get($a, "/projects/$rpid/status", $K)->{status};
is($during, 503, 'while Redis is down: 503, not the cached answer');
$redis = start_redis(port => $port);
my $fresh = make_key($redis, legacy => 1);
# the other nginx may still be in its reconnect backoff: 503 until it is back
my $created;
wait_until(sub {
    $created = api(POST => '/projects', key => $fresh->{key}, nginx => $off,
                   json => { project_name => 'After' })->{status};
    return $created != 503;
}, 10, 0.05);
is($created, 201, 'after the restart a project is created (cache off)');
my $after;
wait_until(sub {
    $after = get($a, "/projects/$rpid/status", $K)->{status};
    return $after != 503;
}, 10, 0.05);
is($after, 401, 'after the restart the old key is refused: nothing stale');
my $again = get($a, "/projects/1/status", $fresh->{key});
is($again->{json} && $again->{json}{status}, 'queued',
   'and the new data is served');
ok(warm($a, "/projects/1/status", $fresh->{key}),
   'and cached again once tracking is back');

done_testing();
