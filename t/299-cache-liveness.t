# The read cache cannot go stale in silence.  nginx reaches Redis through
# a TCP proxy written here, which can be told to stop forwarding the
# invalidation (SUBSCRIBE) connections without a FIN or an RST -- what a
# stateful firewall or a NAT that forgot the connection does.  A key
# revoked and a status written meanwhile are seen within 5 s (the pinned
# bound); once forwarding works again the cache serves hits again.  A
# killed invalidation connection and a Redis restart end with tracking
# redirected to the new connection's id.  And requests with random keys
# and project ids leave the real entries of a small zone alone.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);
use Digest::SHA qw(sha256_hex);
use Djass::Test;
use Djass::Cache;
use Djass::Build qw(valgrind_on);

# --- the proxy --------------------------------------------------------------

# USR1: every SUBSCRIBE connection, open or to come, goes silent (bytes
# read and dropped both ways, the sockets kept open; a side that closes is
# not told to the other).  USR2: new connections are forwarded again; the
# silent ones stay silent.  HUP: the open SUBSCRIBE connections lie: the
# proxy closes their Redis side (Redis sees the client gone) and answers
# their PINGs itself, so that only Redis's "broken_redirect" tells.
sub start_proxy {
    my ($to) = @_;
    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                       LocalPort => 0, Listen => 64,
                                       ReuseAddr => 1, Proto => 'tcp')
        or die "proxy: $!";
    my $port = $listen->sockport;
    my $parent = $$;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid) {
        close $listen;
        return { pid => $pid, port => $port, addr => "127.0.0.1:$port" };
    }
    my ($hole, %peer, %conn) = (0);
    my $sel = IO::Select->new($listen);
    local $SIG{USR1} = sub {
        $hole = 1;
        $_->{sub} and $_->{dead} = 1 for values %conn;
    };
    local $SIG{USR2} = sub { $hole = 0 };
    local $SIG{HUP} = sub {
        my %once;
        for my $c (grep { !$once{$_}++ } values %conn) {
            next unless $c->{sub} && !$c->{dead} && $c->{up};
            $c->{dead} = $c->{lie} = 1;
            $sel->remove($c->{up});
            delete $conn{ $c->{up} };
            delete $peer{ $c->{up} };
            close $c->{up};
            $c->{up} = undef;
        }
    };
    local $SIG{TERM} = sub { _exit(0) };
    my $drop = sub {
        my ($s) = @_;
        my $c = delete $conn{$s} or return;
        for my $h ($c->{down}, $c->{up}) {
            next unless $h;
            $sel->remove($h);
            delete $peer{$h};
            close $h;
        }
    };
    while (1) {
        _exit(0) if getppid() != $parent;
        my @ready = $sel->can_read(0.2);
        for my $s (@ready) {
            if ($s == $listen) {
                my $down = $listen->accept or next;
                my $up = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                               PeerPort => $to->{port},
                                               Proto => 'tcp');
                if (!$up) { close $down; next }
                my $c = { down => $down, up => $up, sub => 0, dead => 0 };
                $conn{$down} = $conn{$up} = $c;
                $peer{$down} = $up;
                $peer{$up} = $down;
                $sel->add($down, $up);
                next;
            }
            my $c = $conn{$s} or next;
            my $n = sysread($s, my $buf, 65536);
            if (!$n) {
                if ($c->{dead}) {
                    # the silent side is not told: the other stays open
                    $sel->remove($s);
                    next;
                }
                $drop->($s);
                next;
            }
            if ($s == $c->{down} && !$c->{sub}
                && $buf =~ /SUBSCRIBE/i)
            {
                $c->{sub} = 1;
                $c->{dead} = 1 if $hole;
            }
            if ($c->{lie} && $s == $c->{down}) {
                my $pings = () = $buf =~ /PING/g;
                syswrite($s, "*2\r\n\$4\r\npong\r\n\$20\r\n"
                             . "__redis__:invalidate\r\n") for 1 .. $pings;
                next;
            }
            next if $c->{dead};
            my $to_sock = $peer{$s};
            my $off = 0;
            while ($off < length $buf) {
                my $w = syswrite($to_sock, $buf, length($buf) - $off, $off);
                last unless defined $w;
                $off += $w;
            }
        }
    }
}

# --- the set-up -------------------------------------------------------------

my $artifacts = temp_dir('artifacts');
my $redis = start_redis();
my $proxy = start_proxy($redis);
my $node = start_nginx(redis => { addr => $proxy->{addr} },
                       artifacts => $artifacts,
                       server => 'location = /metrics { djass_metrics; }');
my $off = start_nginx(redis => $redis, artifacts => $artifacts,
                      http => 'djass_cache off;');

sub get { cache_get(@_[0 .. 2]) }
sub evalsha_calls { cache_evalsha_calls($redis) }

sub metric {
    my ($n, $name) = @_;
    my $res = http_request(GET => "http://127.0.0.1:$n->{port}/metrics");
    return $res->{content} =~ /^\Q$name\E (\d+)$/m ? $1 : undef;
}

# the cache serves this read: repeated, it costs Redis nothing
sub warm { cache_warm($redis, @_[0 .. 3]) }

# the clients Redis holds, by id: { id => { field => value } }
sub clients {
    my %c;
    for my $line (split /\n/, redis_cli($redis, 'CLIENT', 'LIST') // '') {
        my %f = map { /^([^=]+)=(.*)$/ ? ($1, $2) : () } split / /, $line;
        $c{$f{id}} = \%f if defined $f{id};
    }
    return \%c;
}

# every client that tracks redirects to a client that is there and
# subscribed; returns how many track
sub redirects_ok {
    my $c = clients();
    my $tracking = 0;
    for my $f (values %$c) {
        next if !defined $f->{redir} || $f->{redir} eq '-1';
        $tracking++;
        my $to = $c->{ $f->{redir} };
        return 0 unless $to && ($to->{sub} // 0) >= 1;
    }
    return $tracking;
}

sub ready_project {
    my ($k, $name) = @_;
    my $id = api(POST => '/projects', key => $k, nginx => $off,
                 json => { project_name => $name })->{json}{project}{id};
    my $rel = sprintf('projects/%03d/%d.zip', $id % 1000, $id);
    set_project_status($redis, $id, 'ready', finished_at => int(time),
                       artifact => $rel);
    system('mkdir', '-p', sprintf('%s/projects/%03d', $artifacts,
                                  $id % 1000));
    open my $zf, '>', "$artifacts/$rel" or die $!;
    print $zf "PK\x05\x06" . ("\0" x 18);
    close $zf;
    return $id;
}

# --- a silent invalidation connection: refused within 5 s -----------------

my $victim = make_key($redis, legacy => 1);
my $owner = make_key($redis, legacy => 1, email => 'owner@example.test');
my $vid = ready_project($victim->{key}, 'Victim');
my $wid = api(POST => '/projects', key => $owner->{key}, nginx => $off,
              json => { project_name => 'Watched' })->{json}{project}{id};

my @paths = ("/projects/$vid", "/projects/$vid/status",
             "/projects/$vid/download");
for my $p (@paths) {
    ok(warm($node, $p, $victim->{key}), "GET $p is served by the cache");
}
ok(warm($node, "/projects/$wid/status", $owner->{key}),
   'and the watched status too');
my $doubts = metric($node, 'djass_cache_doubts_total');
is(defined $doubts ? 1 : 0, 1, 'djass_cache_doubts_total is scraped');

kill 'USR1', $proxy->{pid};
sleep 0.2;
my ($rc) = djassctl($redis, 'key', 'revoke', $victim->{key});
is($rc, 0, 'djassctl key revoke (on Redis itself) succeeds');
set_project_status($redis, $wid, 'generating', started_at => int(time));

my $t0 = time;
my (%refused, $seen);
while (time - $t0 < 8 && (keys %refused < @paths || !defined $seen)) {
    for my $p (@paths) {
        next if $refused{$p};
        $refused{$p} = time - $t0
            if get($node, $p, $victim->{key})->{status} == 401;
    }
    if (!defined $seen) {
        my $s = get($node, "/projects/$wid/status", $owner->{key})->{json};
        $seen = time - $t0 if $s && $s->{status} eq 'generating';
    }
    sleep 0.02;
}
for my $p (@paths) {
    ok(defined $refused{$p} && $refused{$p} <= 5,
       sprintf('the invalidation connection silent: GET %s with the '
               . 'revoked key is refused within 5 s (%.2f s)', $p,
               $refused{$p} // 99));
}
ok(defined $seen && $seen <= 5,
   sprintf('and the status written meanwhile is seen within 5 s (%.2f s)',
           $seen // 99));
is(get($node, $_, $victim->{key})->{status}, 401, "GET $_ stays refused")
    for @paths;
like(nginx_error_log($node), qr/did not answer PING within \d+ ms/,
     'the silent connection is logged');
cmp_ok(metric($node, 'djass_cache_doubts_total') // 0, '>', $doubts // 0,
       'djass_cache_doubts_total counts it');

# new SUBSCRIBE connections are silent too: the cache stays bypassed
my $before = evalsha_calls();
get($node, "/projects/$wid/status", $owner->{key}) for 1 .. 5;
is(evalsha_calls() - $before, 5,
   'while no invalidation connection answers, every read goes to Redis');
cmp_ok(metric($node, 'djass_cache_bypasses_total') // 0, '>=', 5,
       'djass_cache_bypasses_total counts those reads');

kill 'USR2', $proxy->{pid};
my $hits = metric($node, 'djass_cache_hits_total');
ok(warm($node, "/projects/$wid/status", $owner->{key}),
   'forwarding works again: the cache serves hits again');
cmp_ok(metric($node, 'djass_cache_hits_total'), '>', $hits,
       'djass_cache_hits_total goes up');
set_project_status($redis, $wid, 'ready', finished_at => int(time));
my $t1 = time;
my $inval;
while (time - $t1 < 5) {
    my $s = get($node, "/projects/$wid/status", $owner->{key})->{json};
    if ($s && $s->{status} eq 'ready') { $inval = time - $t1; last }
}
ok(defined $inval && $inval < 0.5,
   sprintf('and invalidations arrive again (%.1f ms)', 1000 * ($inval // 9)));

# --- Redis lost the connection, nginx did not: "broken_redirect" ---------

my $liar = make_key($redis, legacy => 1);
my $lid = api(POST => '/projects', key => $liar->{key}, nginx => $off,
              json => { project_name => 'Lied to' })->{json}{project}{id};
ok(warm($node, "/projects/$lid/status", $liar->{key}),
   'the cache serves a status');
kill 'HUP', $proxy->{pid};
sleep 0.2;
djassctl($redis, 'key', 'revoke', $liar->{key});
my $t4 = time;
my $broken;
while (time - $t4 < 8) {
    if (get($node, "/projects/$lid/status", $liar->{key})->{status} == 401) {
        $broken = time - $t4;
        last;
    }
    sleep 0.02;
}
ok(defined $broken && $broken <= 5,
   sprintf('the invalidation connection gone on Redis\'s side only (its '
           . 'PINGs answered by the proxy): the revoked key is refused '
           . 'within 5 s (%.2f s)', $broken // 99));
like(nginx_error_log($node), qr/tracking redirect is broken/,
     'the broken redirect is logged');
my $key5 = make_key($redis, legacy => 1);
my $pid5 = api(POST => '/projects', key => $key5->{key}, nginx => $off,
               json => { project_name => 'Lied' })->{json}{project}{id};
ok(warm($node, "/projects/$pid5/status", $key5->{key}),
   'a new invalidation connection: the cache serves hits again');

# --- the invalidation connection killed: tracking for its new id ----------

my $old = clients();
my @old_sub = grep { ($old->{$_}{sub} // 0) >= 1 } keys %$old;
redis_cli($redis, 'CLIENT', 'KILL', 'TYPE', 'pubsub');
ok(wait_until(sub {
       my $c = clients();
       return !grep { $c->{$_} } @old_sub;
   }, 5, 0.05), 'CLIENT KILL TYPE pubsub closes the invalidation connections');
my %killed = map { $_ => 1 } @old_sub;
# until nginx has seen it (through the proxy), its cache is still exact
ok(wait_until(sub {
       my $c = clients();
       return grep { ($c->{$_}{sub} // 0) >= 1 && !$killed{$_} } keys %$c;
   }, 10, 0.05), 'nginx opens a new invalidation connection');
ok(warm($node, "/projects/$wid/status", $owner->{key}),
   'the cache serves hits again after the kill');
my $tracking = redirects_ok();
cmp_ok($tracking, '>=', 1, "tracking is on ($tracking connection(s)) and "
       . 'redirected to a subscribed client that exists')
    or diag(redis_cli($redis, 'CLIENT', 'LIST'), nginx_error_log($node));
my $now = clients();
ok(!grep({ my $r = $now->{$_}{redir}; defined $r && $killed{$r} }
         keys %$now),
   'no client redirects to a killed connection\'s id');
my $key2 = make_key($redis, legacy => 1);
my $pid2 = api(POST => '/projects', key => $key2->{key}, nginx => $off,
               json => { project_name => 'After kill' })->{json}{project}{id};
ok(warm($node, "/projects/$pid2/status", $key2->{key}),
   'a new entry is cached');
djassctl($redis, 'key', 'revoke', $key2->{key});
my $t2 = time;
my $gone;
while (time - $t2 < 5) {
    if (get($node, "/projects/$pid2/status", $key2->{key})->{status} == 401) {
        $gone = time - $t2;
        last;
    }
}
ok(defined $gone && $gone < 0.5,
   sprintf('a revocation after the kill arrives as an invalidation '
           . '(%.1f ms)', 1000 * ($gone // 9)))
    or diag(redis_cli($redis, 'CLIENT', 'LIST'));

# --- Redis restarted: the old ids mean nothing ------------------------------

my $port = $redis->{port};
stop_process($redis);
$redis = start_redis(port => $port);
# an unrelated client holds a connection, as an old id might name it
my $bystander = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Proto => 'tcp');
my $key3 = make_key($redis, legacy => 1);
my $pid3;
wait_until(sub {
    my $r = api(POST => '/projects', key => $key3->{key}, nginx => $off,
                json => { project_name => 'After restart' });
    $pid3 = $r->{json}{project}{id} if $r->{status} == 201;
    return defined $pid3;
}, 10, 0.1);
ok(defined $pid3, 'a project is created after the restart');
ok(warm($node, "/projects/$pid3/status", $key3->{key}, 15),
   'after the restart the cache serves hits again');
$tracking = redirects_ok();
cmp_ok($tracking, '>=', 1, 'and tracking is redirected to a subscribed '
       . 'client that exists');
set_project_status($redis, $pid3, 'failed', finished_at => int(time),
                   error => 'x');
my $t3 = time;
my $fresh;
while (time - $t3 < 5) {
    my $s = get($node, "/projects/$pid3/status", $key3->{key})->{json};
    if ($s && $s->{status} eq 'failed') { $fresh = time - $t3; last }
}
ok(defined $fresh && $fresh < 0.5,
   sprintf('a write after the restart is seen at once (%.1f ms)',
           1000 * ($fresh // 9)));
close $bystander if $bystander;

# --- random keys and ids leave a small zone's real entries alone -----------

my $small = start_nginx(redis => $redis, artifacts => $artifacts,
                        http => 'djass_cache_zone 32k;',
                        server => 'location = /metrics { djass_metrics; }');
my $real = make_key($redis, legacy => 1);
my @ids = map {
    api(POST => '/projects', key => $real->{key}, nginx => $off,
        json => { project_name => "Real $_" })->{json}{project}{id}
} 1 .. 8;
ok(warm($small, "/projects/$_/status", $real->{key}),
   "project $_ is cached in the 32k zone") for @ids;

my (%codes, $bad);
for my $i (1 .. 400) {
    my $id = 1000 + int(rand(1_000_000));
    my ($k, $want) = $i % 4 == 0 ? ($real->{key}, 404)
                   : ('djass_' . sha256_hex(rand() . $i), 401);
    my $s = get($small, "/projects/$id/status", $k)->{status};
    $codes{$s}++;
    $bad++ if $s != $want;
}
ok(!$bad, sprintf('400 requests with random keys and ids: 401 for the '
                  . 'unknown keys, 404 for the real key (%s)',
                  join ', ', map { "$_: $codes{$_}" } sort keys %codes));

my $h0 = metric($small, 'djass_cache_hits_total');
my $e0 = evalsha_calls();
get($small, "/projects/$_/status", $real->{key}) for @ids;
is(evalsha_calls() - $e0, 0,
   'the real entries are all still in the zone: no Redis call');
is(metric($small, 'djass_cache_hits_total') - $h0, scalar @ids,
   'each read was a hit');
is(metric($small, 'djass_cache_evictions_total'), 0, 'nothing was evicted');

# --- a full zone: the least recently used entries go ----------------------

# a hit moves its entry to the front unless it is among the newest already;
# an entry read every five fills outlives a stream of others that fills
# the zone (with no move at all it would go)
my @more = map {
    api(POST => '/projects', key => $real->{key}, nginx => $off,
        json => { project_name => "More $_" })->{json}{project}{id}
} 1 .. 90;
my ($hot, $hot_calls) = ($ids[0], 0);
$doubts = metric($small, 'djass_cache_doubts_total') // 0;
for my $i (0 .. $#more) {
    get($small, "/projects/$more[$i]/status", $real->{key});
    if ($i % 5 == 4) {
        $e0 = evalsha_calls();
        get($small, "/projects/$hot/status", $real->{key});
        $hot_calls += evalsha_calls() - $e0;
    }
}
ok(metric($small, 'djass_cache_evictions_total') > 0,
   'the stream of other projects filled the zone: entries were evicted');
SKIP: {
    # a heartbeat late on a loaded machine puts the cache in doubt: reads
    # then go to Redis whatever the zone holds
    skip 'the cache was in doubt meanwhile (a late heartbeat)', 1
        if (metric($small, 'djass_cache_doubts_total') // 0) != $doubts;
    is($hot_calls, 0, 'the project read all along stayed in the zone: '
                      . 'its reads cost Redis nothing');
}
$e0 = evalsha_calls();
get($small, "/projects/$ids[1]/status", $real->{key});
is(evalsha_calls() - $e0, 1, 'one left unread since was evicted');

# --- reads without the lock: two worker processes, a full zone, writes ----

# a hit reads the zone under its generation count, without the mutex; one
# that meets a change (a fill, an eviction, an invalidation) is made again
# under the mutex.  Pollers on both worker processes read one project as
# fast as they can while a writer raises a counter in it and a churner's
# reads of other projects keep the 32k zone filling and evicting: every
# answer must be a status object, no poller may see the counter go back,
# the last value must show, and every read must be counted once.
my $two = start_nginx(redis => $redis, artifacts => $artifacts, workers => 2,
                      http => 'djass_cache_zone 32k;',
                      server => 'location = /metrics { djass_metrics; }');
my $hotp = api(POST => '/projects', key => $real->{key}, nginx => $off,
               json => { project_name => 'Hot' })->{json}{project}{id};
ok(warm($two, "/projects/$hotp/status", $real->{key}),
   'two worker processes: the polled project is cached');
my @reads0 = map { metric($two, "djass_cache_${_}_total") // 0 }
             qw(hits misses bypasses);
my $dir = temp_dir('lockless');
my $until = time + 3;
my @kids;
for my $k (0 .. 3) {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid) { push @kids, $pid; next }
    forget_connections();
    open my $fh, '>', "$dir/$k" or _exit(1);
    my ($n, $last, $bad) = (0, -1, 0);
    while (time < $until) {
        my $path = $k == 3 ? "/projects/$more[$n % @more]/status"
                           : "/projects/$hotp/status";
        my $s = get($two, $path, $real->{key});
        $n++;
        if ($s->{status} != 200 || !$s->{json} || !$s->{json}{status}) {
            $bad++;
            next;
        }
        next if $k == 3;
        my $v = $s->{json}{error_message};
        $v = 0 if $v eq '';
        $bad++ if $v < $last;
        $last = $v;
    }
    print $fh "$n $last $bad\n";
    close $fh;
    _exit(0);
}
my $wrote = 0;
while (time < $until - 0.5) {
    set_project_status($redis, $hotp, 'generating',
                       error_message => ++$wrote);
    sleep 0.01;
}
waitpid($_, 0) for @kids;
my ($reads, $backwards, $last_seen) = (0, 0, 0);
for my $k (0 .. 3) {
    open my $fh, '<', "$dir/$k" or die $!;
    my ($n, $last, $bad) = split ' ', scalar <$fh>;
    close $fh;
    $reads += $n;
    $backwards += $bad;
    $last_seen++ if $k < 3 && $last == $wrote;
}
is($backwards, 0, sprintf('%d reads by 3 pollers and a churner while %d '
                          . 'writes came: every answer a status object, '
                          . 'no counter went back', $reads, $wrote));
is($last_seen, 3, 'every poller saw the last write');
ok(metric($two, 'djass_cache_evictions_total') > 0,
   'the churner kept the zone evicting meanwhile');
my @reads1 = map { metric($two, "djass_cache_${_}_total") // 0 }
             qw(hits misses bypasses);
is($reads1[0] + $reads1[1] + $reads1[2]
   - $reads0[0] - $reads0[1] - $reads0[2], $reads,
   'every read was counted once: hits, misses and bypasses add up');

# --- a reload: the heartbeat keeps no old worker process -----------------

sub workers_of {
    my ($n) = @_;
    my $out = `ps -o pid= --ppid $n->{pid}`;
    return grep { /\d/ } map { s/\s+//gr } split /\n/, $out;
}
SKIP: {
    # under valgrind nginx runs with master_process off
    skip 'no worker processes under valgrind', 3 if valgrind_on();
    my @old_workers = workers_of($node);
    cmp_ok(scalar @old_workers, '>=', 1, 'node has a worker process');
    forget_connections();
    kill 'HUP', $node->{pid};
    ok(wait_until(sub {
           my %now = map { $_ => 1 } workers_of($node);
           return !grep { $now{$_} } @old_workers;
       }, 5, 0.1), 'after a reload the old worker process exits within 5 s');
    ok(warm($node, "/projects/$pid3/status", $key3->{key}),
       'and the new one serves from the cache');
}

# --- configuration ------------------------------------------------------------

for my $bad ('djass_cache_heartbeat 0;', 'djass_cache_heartbeat_timeout 0;') {
    my ($rc, $out) = nginx_test_config(redis => $redis, http => $bad);
    isnt($rc, 0, "nginx -t refuses $bad");
    like($out, qr/must not be 0/, 'and says why');
}
my ($okrc, $okout) = nginx_test_config(redis => $redis,
    http => 'djass_cache_heartbeat 500ms; djass_cache_heartbeat_timeout 3s;');
is($okrc, 0, 'djass_cache_heartbeat 500ms and _timeout 3s are accepted')
    or diag $okout;

kill 'TERM', $proxy->{pid};
waitpid($proxy->{pid}, 0);

done_testing();
