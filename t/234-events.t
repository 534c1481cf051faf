# GET /projects/{id}/events (Server-Sent Events) and Prefer: wait=N on
# GET /projects/{id} and /status: a change reaches the waiting requests
# through the read cache's invalidation connection, with no Redis command
# per waiting request; aborts, a Redis restart and a reload end cleanly.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Build qw(valgrind_on sanitize_on);

my $slow = valgrind_on() ? 20 : sanitize_on() ? 3 : 1;

my $redis = start_redis();
my $nginx = start_nginx(redis => $redis, workers => 2,
                        http => 'djass_events_keepalive 1s;',
                        server => 'location = /mcp { djass_mcp; }
                                   location = /metrics { djass_metrics; }');
my $off = start_nginx(redis => $redis, http => 'djass_cache off;');

my $key = make_key($redis, legacy => 1);
my $K = $key->{key};
my $other = make_key($redis, legacy => 1, email => 'other@example.test');
my $create_only = make_key($redis, scopes => 'projects:create');

sub create {
    my $res = api(POST => '/projects', key => $K, nginx => $nginx,
                  json => { project_name => $_[0] // 'Events' });
    return $res->{json}{project}{id};
}

# a stream: the socket and what came so far (chunked: decoded on read)
sub sse_open {
    my ($n, $id, %h) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $n->{port}, Proto => 'tcp')
        or die "connect: $!";
    binmode $s;
    my $k = exists $h{key} ? delete $h{key} : $K;
    my $v = delete $h{_version} // '1.1';
    my $req = "GET /api/v1/projects/$id/events HTTP/$v\r\n"
              . "Host: localhost\r\n"
              . (defined $k ? "X-API-Key: $k\r\n" : '')
              . join('', map { "$_: $h{$_}\r\n" } sort keys %h) . "\r\n";
    print $s $req;
    return { s => $s, raw => '', head => undef, body => '', eof => 0 };
}

sub _dechunk {
    my ($st) = @_;
    if (!defined $st->{head}) {
        return unless $st->{raw} =~ s/\A(.*?\r\n)\r\n//s;
        $st->{head} = $1;
        ($st->{status}) = $st->{head} =~ m{^HTTP/1\.1 (\d+)};
        $st->{chunked} = $st->{head} =~ /^Transfer-Encoding: chunked/mi;
    }
    if (!$st->{chunked}) {
        $st->{body} .= $st->{raw};
        $st->{raw} = '';
        return;
    }
    while ($st->{raw} =~ /\A([0-9a-f]+)\r\n/i) {
        my $len = hex $1;
        my $hl = length($1) + 2;
        last if length($st->{raw}) < $hl + $len + 2;
        $st->{body} .= substr($st->{raw}, $hl, $len);
        substr($st->{raw}, 0, $hl + $len + 2, '');
        $st->{last_chunk} = 1 if $len == 0;
    }
}

# reads until cond($st) or the timeout; true when cond held
sub sse_read {
    my ($st, $cond, $timeout) = @_;
    my $end = time + ($timeout // 5) * $slow;
    my $sel = IO::Select->new($st->{s});
    while (1) {
        _dechunk($st);
        return 1 if $cond->($st);
        return 0 if $st->{eof} || time > $end;
        next unless $sel->can_read(0.05);
        my $n = sysread($st->{s}, $st->{raw}, 65536, length $st->{raw});
        $st->{eof} = 1 unless $n;
    }
}

sub events { [ $_[0]{body} =~ /^(event: status\nid: \d+\ndata: [^\n]*\n\n)/mg ] }
sub nevents { scalar @{ events($_[0]) } }
sub ev_data { my $e = shift; $e =~ /^data: (.*)$/m; json_decode($1) }
sub ev_id { $_[0] =~ /^id: (\d+)$/m; $1 }

sub all_calls {
    my $info = redis_cli($redis, 'INFO', 'commandstats') // '';
    my $n = 0;
    while ($info =~ /^cmdstat_(\w+):calls=(\d+)/mg) {
        $n += $2 unless $1 eq 'ping';
    }
    return $n;
}

# --- headers, the first event, one event per change, the end ----------------

my $id = create('Stream One');
my $st = sse_open($nginx, $id);
ok(sse_read($st, sub { nevents($_[0]) >= 1 }), 'the first event comes at once');
is($st->{status}, 200, 'events: 200');
like($st->{head}, qr{^Content-Type: text/event-stream\r$}mi,
     'Content-Type: text/event-stream');
like($st->{head}, qr{^Cache-Control: no-store\r$}mi, 'Cache-Control: no-store');
like($st->{head}, qr{^X-Accel-Buffering: no\r$}mi, 'X-Accel-Buffering: no');
my $status = api(GET => "/projects/$id/status", key => $K, nginx => $nginx);
my $first = events($st)->[0];
is($first, "event: status\nid: " . ev_id($first) . "\ndata: "
           . $status->{content} . "\n\n",
   'the first event, byte for byte: the status object on one line');
is(ev_data($first)->{status}, 'queued', 'it says queued');

set_project_status($redis, $id, 'generating', started_at => int(time));
ok(sse_read($st, sub { nevents($_[0]) >= 2 }), 'generating: an event');
my $e2 = events($st)->[1];
is(ev_data($e2)->{status}, 'generating', 'the second event says generating');
cmp_ok(ev_id($e2), '>', ev_id($first), 'its id grew');
$status = api(GET => "/projects/$id/status", key => $K, nginx => $nginx);
is(ev_data($e2)->{updated_at}, $status->{json}{updated_at},
   'its data is the status object of now');

set_project_status($redis, $id, 'ready', finished_at => int(time));
ok(sse_read($st, sub { $_[0]{eof} }), 'ready: the stream ends (closed)');
is(nevents($st), 3, 'three events in all, one per change');
is(ev_data(events($st)->[2])->{status}, 'ready', 'the last says ready');
ok($st->{last_chunk}, 'the chunked body was ended properly');
my $ready_id = ev_id(events($st)->[2]);

# a ready project: one event, then the end
$st = sse_open($nginx, $id);
ok(sse_read($st, sub { $_[0]{eof} }), 'a ready project: the stream ends');
is(nevents($st), 1, '... after its one event');

# Last-Event-ID: the same id skips the first event
$st = sse_open($nginx, $id, 'Last-Event-ID' => $ready_id);
ok(sse_read($st, sub { $_[0]{eof} }), 'Last-Event-ID of ready: the end');
is(nevents($st), 0, '... without an event');
$st = sse_open($nginx, $id, 'Last-Event-ID' => '12');
ok(sse_read($st, sub { $_[0]{eof} }), 'another Last-Event-ID: the stream');
is(nevents($st), 1, '... sends the event');

# failed
my $fid = create('Fails');
$st = sse_open($nginx, $fid);
ok(sse_read($st, sub { nevents($_[0]) >= 1 }), 'failed: first event');
set_project_status($redis, $fid, 'failed', error_message => 'boom',
                   finished_at => int(time));
ok(sse_read($st, sub { $_[0]{eof} }), 'failed: the stream ends');
is(ev_data(events($st)->[-1])->{status}, 'failed', 'the last says failed');
is(ev_data(events($st)->[-1])->{error_message}, 'boom', 'with its message');

# the metrics count the streams under their own endpoint label
my $scrape = http_request(GET => "http://127.0.0.1:$nginx->{port}/metrics");
my ($counted) = $scrape->{content}
    =~ /^djass_http_requests_total\{endpoint="project_events",code="200"\} (\d+)$/m;
cmp_ok($counted // 0, '>=', 2,
       'djass_http_requests_total{endpoint="project_events",code="200"}');

# --- keepalive ---------------------------------------------------------------

my $kid = create('Keepalive');
$st = sse_open($nginx, $kid);
ok(sse_read($st, sub { $_[0]{body} =~ /^: keepalive\n\n/m }, 3),
   'a ": keepalive" comment while nothing changes (djass_events_keepalive)');
is(nevents($st), 1, 'and no event for it');
close $st->{s};

# a long stream's memory does not grow with its keepalives: 200 streams,
# 10 keepalives each (1 s apart), the workers' RSS flat (the comment's
# buffer is reused; before, each keepalive took 80 bytes of the request's
# pool: 160 KB here)
sub workers_rss {
    my $t = 0;
    for my $w (split ' ', `pgrep -P $nginx->{pid}`) {
        open my $f, '<', "/proc/$w/status" or next;
        while (<$f>) { $t += $1 * 1024 if /^VmRSS:\s+(\d+)/ }
    }
    return $t;
}
my @ka = map { sse_open($nginx, $kid) } 1 .. 200;
for my $m (@ka) { sse_read($m, sub { $_[0]{body} =~ /^: keepalive\n\n/m }, 3) }
is(scalar(grep { $_->{body} =~ /^: keepalive\n\n/m } @ka), 200,
   '200 streams have their first keepalive');
my $rss0 = workers_rss();
my $until = time + 10;
while (time < $until) { for my $m (@ka) { sse_read($m, sub { 0 }, 0) } sleep 0.2 }
for my $m (@ka) { sse_read($m, sub { 0 }, 0.05) }
my @kn = map { scalar(() = $_->{body} =~ /^: keepalive\n\n/mg) } @ka;
is(scalar(grep { $_ >= 8 } @kn), 200, '... and 8 or more after 10 s');
is(scalar(grep { nevents($_) == 1 && !$_->{eof} } @ka), 200,
   '... still open, with their one event');
my $grown = workers_rss() - $rss0;
SKIP: {
    skip 'RSS under a sanitizer or valgrind', 1 if $slow > 1;
    cmp_ok($grown, '<', 64 * 1024, "2,000 keepalives on 200 streams: the "
           . "workers' RSS grew by $grown bytes");
}
close $_->{s} for @ka;

# --- errors before the stream ------------------------------------------------

for my $c ([ 'no key', undef, 401 ],
           [ 'no projects:read', $create_only->{key}, 403 ],
           [ "another owner's project", $other->{key}, 404 ],
           [ 'a project that does not exist', $K, 404, 999999 ]) {
    my ($what, $k, $code, $pid) = @$c;
    my $res = http_request(GET => base_url($nginx) . '/projects/'
                           . ($pid // $id) . '/events',
                           headers => { defined $k ? ('X-API-Key' => $k) : () });
    is($res->{status}, $code, "$what: $code");
    like($res->{headers}{'content-type'}, qr{application/json},
         "$what: an envelope");
    ok($res->{json} && $res->{json}{error}{code}, "$what: error.code");
}
my $res = http_request(POST => base_url($nginx) . "/projects/$id/events",
                       headers => { 'X-API-Key' => $K });
is($res->{status}, 405, 'POST events: 405');
is($res->{headers}{allow}, 'GET', 'Allow: GET');

# --- many streams, one change, no Redis command per waiting client ------------

my $mid = create('Many');
my @many = map { sse_open($nginx, $mid) } 1 .. 200;
for my $m (@many) { sse_read($m, sub { nevents($_[0]) >= 1 }) }
is(scalar(grep { nevents($_) == 1 } @many), 200,
   '200 streams of one project have their first event');
sub waiting_gauge {
    my $m = http_request(GET => "http://127.0.0.1:$nginx->{port}/metrics");
    return $m->{content} =~ /^djass_waiting_requests (\d+)$/m ? $1 : undef;
}
is(waiting_gauge(), 200, 'djass_waiting_requests: 200');
redis_cli($redis, 'CONFIG', 'RESETSTAT');
sleep 1.5;
# the heartbeat: CLIENT TRACKINGINFO per worker process per second
my $idle = all_calls();
my $info = redis_cli($redis, 'INFO', 'commandstats');
my ($evalsha) = $info =~ /^cmdstat_evalsha:calls=(\d+)/m;
ok(!$evalsha, '200 waiting streams, 1.5 s: no script call')
    or diag($info);
cmp_ok($idle, '<=', 8, "... only the heartbeats ($idle commands)");
redis_cli($redis, 'CONFIG', 'RESETSTAT');
set_project_status($redis, $mid, 'generating', started_at => int(time));
my $t0 = time;
my $woken = 0;
for my $m (@many) { $woken++ if sse_read($m, sub { nevents($_[0]) >= 2 }) }
is($woken, 200, 'one change wakes all 200 streams');
diag(sprintf('200 streams woken in %.0f ms', (time - $t0) * 1000));
$info = redis_cli($redis, 'INFO', 'commandstats');
($evalsha) = $info =~ /^cmdstat_evalsha:calls=(\d+)/m;
cmp_ok($evalsha // 0, '<=', 20, 'the 200 re-read the status with few script '
       . 'calls (the first of each worker process fills the cache): '
       . ($evalsha // 0));
close $_->{s} for @many;
ok(wait_until(sub { (waiting_gauge() // -1) == 0 }, 5 * $slow, 0.05),
   'djass_waiting_requests: 0 once they left');

# two changes in a row: the second comes while the first's re-read is in
# flight; no stream may miss it
my $twice = create('Twice');
my @t2 = map { sse_open($nginx, $twice) } 1 .. 20;
for my $m (@t2) { sse_read($m, sub { nevents($_[0]) >= 1 }) }
set_project_status($redis, $twice, 'generating', started_at => int(time));
set_project_status($redis, $twice, 'ready', finished_at => int(time));
my $done = 0;
for my $m (@t2) { $done++ if sse_read($m, sub { $_[0]{eof} }, 3) }
is($done, 20, 'two changes in a row: all 20 streams end at ready');
is(scalar(grep { ev_data(events($_)->[-1])->{status} eq 'ready' } @t2), 20,
   '... their last event says ready');

# --- a client that leaves mid-wait ---------------------------------------------

my $lid = create('Leaves');
my @gone = map { sse_open($nginx, $lid) } 1 .. 20;
for my $m (@gone) { sse_read($m, sub { nevents($_[0]) >= 1 }) }
close $_->{s} for @gone;
sleep 0.3;
set_project_status($redis, $lid, 'generating', started_at => int(time));
sleep 0.3;
$st = sse_open($nginx, $lid);
ok(sse_read($st, sub { nevents($_[0]) >= 1 }),
   'after 20 clients left mid-wait and a change, a new stream works');
close $st->{s};

# --- Prefer: wait ------------------------------------------------------------

my $pid = create('Prefer');
my $t = time;
$res = api(GET => "/projects/$pid/status", key => $K, nginx => $nginx,
           headers => { Prefer => 'wait=1' });
my $took = time - $t;
is($res->{status}, 200, 'Prefer: wait=1, nothing changes: 200');
is($res->{headers}{'preference-applied'}, 'wait=1', 'Preference-Applied: wait=1');
cmp_ok($took, '>=', 0.9, sprintf('held about 1 s (%.2f s)', $took));
cmp_ok($took, '<', 1 + 1.5 * $slow, '... not longer');
is($res->{json}{status}, 'queued', 'answered as usual: queued');

$res = api(GET => "/projects/$pid/status", key => $K, nginx => $nginx);
ok(!exists $res->{headers}{'preference-applied'},
   'without the header: no Preference-Applied');

for my $bad ('wait=0', 'wait=abc', 'wait=-3', 'wait', 'wait=5x',
             'respond-async; wait=5') {
    $t = time;
    $res = api(GET => "/projects/$pid/status", key => $K, nginx => $nginx,
               headers => { Prefer => $bad });
    ok(time - $t < 0.5 * $slow && $res->{status} == 200
       && !exists $res->{headers}{'preference-applied'},
       "Prefer: $bad is ignored (answered at once)");
}

# held until ready, on both endpoints; capped at 60
for my $path ("/projects/$pid/status", "/projects/$pid") {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $nginx->{port}, Proto => 'tcp')
        or die "connect: $!";
    print $s "GET /api/v1$path HTTP/1.1\r\nHost: localhost\r\n"
             . "X-API-Key: $K\r\nPrefer: wait=600\r\n"
             . "Connection: close\r\n\r\n";
    my $h = { s => $s, raw => '', head => undef, body => '', eof => 0 };
    ok(!sse_read($h, sub { defined $_[0]{head} }, 0.5),
       "GET $path, Prefer: wait=600: held while queued");
    set_project_status($redis, $pid, 'generating', started_at => int(time));
    ok(!sse_read($h, sub { defined $_[0]{head} }, 0.3),
       '... and while generating');
    $t = time;
    set_project_status($redis, $pid, 'ready', finished_at => int(time));
    sse_read($h, sub { $_[0]{eof} }, 3);
    $took = time - $t;
    is($h->{status}, 200, "GET $path, Prefer: wait=600: 200");
    like($h->{head}, qr{^Preference-Applied: wait=60\r$}m,
         'capped: Preference-Applied: wait=60');
    is((json_decode($h->{body}) // {})->{status}, 'ready',
       'answered when it is ready');
    cmp_ok($took, '<', 0.5 * $slow, sprintf('at once after it (%.3f s)',
                                            $took));
    set_project_status($redis, $pid, 'queued');
}

set_project_status($redis, $pid, 'ready', finished_at => int(time));
$t = time;
$res = api(GET => "/projects/$pid/status", key => $K, nginx => $nginx,
           headers => { Prefer => 'wait=30' });
ok(time - $t < 0.5 * $slow, 'ready already: answered at once');
is($res->{headers}{'preference-applied'}, 'wait=30', '... with Preference-Applied');

# --- MCP: get_project_status with wait_seconds --------------------------------

sub mcp_status {
    my ($args) = @_;
    my $r = http_request(POST => "http://127.0.0.1:$nginx->{port}/mcp",
        headers => { 'Content-Type' => 'application/json',
                     Accept => 'application/json, text/event-stream',
                     Authorization => "Bearer $K" },
        body => json_encode({ jsonrpc => '2.0', id => 1,
                              method => 'tools/call',
                              params => { name => 'get_project_status',
                                          arguments => $args } }));
    return $r->{json} // {};
}

my $qid = create('MCP wait');
$t = time;
my $m = mcp_status({ project_id => $qid + 0, wait_seconds => 1 });
$took = time - $t;
is($m->{result}{structuredContent}{project}{status}, 'queued',
   'MCP wait_seconds 1, nothing changes: queued');
cmp_ok($took, '>=', 0.9, sprintf('... after about 1 s (%.2f s)', $took));
$t = time;
$m = mcp_status({ project_id => $qid + 0 });
ok(time - $t < 0.5 * $slow, 'MCP without wait_seconds: at once');
for my $bad (61, -1, 'x', 1.5) {
    $m = mcp_status({ project_id => $qid + 0, wait_seconds => $bad });
    is($m->{error}{code}, -32602, "MCP wait_seconds $bad: invalid params");
}
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $nginx->{port}, Proto => 'tcp')
        or die "connect: $!";
    my $body = json_encode({ jsonrpc => '2.0', id => 1,
                             method => 'tools/call',
                             params => { name => 'get_project_status',
                                         arguments => { project_id => $qid + 0,
                                                        wait_seconds => 30 } } });
    print $s "POST /mcp HTTP/1.1\r\nHost: localhost\r\n"
             . "Authorization: Bearer $K\r\nConnection: close\r\n"
             . "Content-Type: application/json\r\n"
             . "Accept: application/json, text/event-stream\r\n"
             . "Content-Length: " . length($body) . "\r\n\r\n$body";
    my $h = { s => $s, raw => '', head => undef, body => '', eof => 0 };
    ok(!sse_read($h, sub { defined $_[0]{head} }, 0.5),
       'MCP wait_seconds 30: held while queued');
    $t = time;
    set_project_status($redis, $qid, 'failed', error_message => 'x',
                       finished_at => int(time));
    sse_read($h, sub { $_[0]{eof} }, 3);
    my $j = json_decode($h->{body}) // {};
    is($j->{result}{structuredContent}{project}{status}, 'failed',
       '... answered when it failed');
    cmp_ok(time - $t, '<', 0.5 * $slow, '... at once');
}

# held requests whose clients leave: the waits go with them
{
    my $hid = create('Held and left');
    my @held;
    for my $i (1 .. 10) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $nginx->{port},
                                      Proto => 'tcp') or die "connect: $!";
        print $s "GET /api/v1/projects/$hid/status HTTP/1.1\r\n"
                 . "Host: localhost\r\nX-API-Key: $K\r\n"
                 . "Prefer: wait=30\r\n\r\n";
        push @held, $s;
    }
    ok(wait_until(sub { (waiting_gauge() // 0) >= 10 }, 5 * $slow, 0.05),
       '10 held requests wait');
    close $_ for @held;
    ok(wait_until(sub { (waiting_gauge() // -1) == 0 }, 5 * $slow, 0.05),
       'their clients left: no request waits');
    set_project_status($redis, $hid, 'ready', finished_at => int(time));
    $res = api(GET => "/projects/$hid/status", key => $K, nginx => $nginx,
               headers => { Prefer => 'wait=5' });
    is($res->{json}{status}, 'ready', 'and the project reads well after');
}

# djass_cache off: no tracking, the waiters re-check once a second
my $oid = create('Off');
$st = sse_open($off, $oid);
ok(sse_read($st, sub { nevents($_[0]) >= 1 }), 'djass_cache off: first event');
set_project_status($redis, $oid, 'ready', finished_at => int(time));
ok(sse_read($st, sub { $_[0]{eof} }, 3),
   'djass_cache off: the change is seen within the 1 s re-check');

# ... a held stream's re-checks take memory of its request until it ends:
# after 16 it ends (no growth without bound), and the client's reconnect
# with Last-Event-ID goes on without a repeated event.  A parked stream
# (the default) re-checks through a short-lived request freed after each:
# it stays open.
my $hold = start_nginx(redis => $redis,
                       http => 'djass_cache off; djass_events_park off;');
my $o2 = create('Off long');
$st = sse_open($hold, $o2);
my $stp = sse_open($off, $o2);
ok(sse_read($st, sub { nevents($_[0]) >= 1 })
   && sse_read($stp, sub { nevents($_[0]) >= 1 }),
   'djass_cache off: a long stream, held and parked');
my $t_off = time;
ok(sse_read($st, sub { $_[0]{eof} }, 25),
   sprintf('held: it ends after its 16 re-checks (%.1f s)', time - $t_off));
is(nevents($st), 1, '... with its one event');
ok($st->{last_chunk}, '... cleanly (the last chunk)');
ok(!sse_read($stp, sub { $_[0]{eof} || nevents($_[0]) > 1 }, 2),
   sprintf('parked: still open after %.0f s of re-checks, no event more',
           time - $t_off));
my $st2 = sse_open($hold, $o2, 'Last-Event-ID' => ev_id(events($st)->[0]));
ok(!sse_read($st2, sub { nevents($_[0]) >= 1 }, 0.5)
   && defined $st2->{head} && $st2->{status} == 200,
   'the reconnect with Last-Event-ID: open, the same event not repeated');
set_project_status($redis, $o2, 'ready', finished_at => int(time));
ok(sse_read($st2, sub { $_[0]{eof} }, 3)
   && ev_data(events($st2)->[-1])->{status} eq 'ready',
   '... and it has the next change');
ok(sse_read($stp, sub { $_[0]{eof} }, 3)
   && ev_data(events($stp)->[-1])->{status} eq 'ready'
   && $stp->{last_chunk},
   'the parked stream has it too, and ends cleanly');
stop_process($hold);

# --- parked streams -------------------------------------------------------------
# After its first event an HTTP/1.x stream waits without its nginx request
# (ngx_http_djass_events_park.c): counted by djass_events_parked, logged
# when it parks, its events written by the module, byte for byte the same.

sub gauge {
    my ($name, $n) = @_;
    my $m = http_request(GET => "http://127.0.0.1:" . ($n // $nginx)->{port}
                                . '/metrics');
    return $m->{content} =~ /^$name (\d+)$/m ? $1 : undef;
}
my $pk = create('Parked');
my @pk = map { sse_open($nginx, $pk) } 1 .. 20;
push @pk, sse_open($nginx, $pk, _version => '1.0');
for my $m (@pk) { sse_read($m, sub { nevents($_[0]) >= 1 }) }
is(scalar(grep { nevents($_) == 1 } @pk), 21,
   '21 streams (one of HTTP/1.0) have their first event');
ok(wait_until(sub { (gauge('djass_events_parked') // 0) == 21 }, 3 * $slow,
              0.05), 'djass_events_parked: 21');
is(gauge('djass_waiting_requests'), 21, '... counted as waiting too');
my $alog = do { local (@ARGV, $/) = ("$nginx->{prefix}/logs/access.log");
                <> } // '';
is(scalar(() = $alog =~ m{"GET /api/v1/projects/$pk/events HTTP/1\.[01]" 200 }g),
   21, 'their access log lines are written when they park (200)');
ok(!$pk[-1]{chunked}, 'the HTTP/1.0 stream is not chunked');
set_project_status($redis, $pk, 'generating', started_at => int(time));
my $got = 0;
for my $m (@pk) { $got++ if sse_read($m, sub { nevents($_[0]) >= 2 }) }
is($got, 21, 'a change reaches every parked stream');
$status = api(GET => "/projects/$pk/status", key => $K, nginx => $nginx);
is(scalar(grep { events($_)->[1] eq "event: status\nid: "
                     . ev_id(events($_)->[1]) . "\ndata: "
                     . $status->{content} . "\n\n" } @pk), 21,
   '... the event byte for byte: the status object of now');
# clients that leave while their parked streams re-read: nothing breaks
my @left = splice(@pk, 0, 10);
set_project_status($redis, $pk, 'ready', finished_at => int(time));
close $_->{s} for @left;
my $pk_ended = 0;
for my $m (@pk) {
    $pk_ended++ if sse_read($m, sub { $_[0]{eof} }) && nevents($m) == 3
                && ev_data(events($m)->[2])->{status} eq 'ready';
}
is($pk_ended, 11, 'ready: the other 11 have it and end');
is(scalar(grep { $_->{last_chunk} } @pk), 10,
   '... the chunked ones with the last chunk');
ok(wait_until(sub { (gauge('djass_events_parked') // -1) == 0 }, 3 * $slow,
              0.05), 'djass_events_parked: 0 again');

# a request that another module holds is not parked: limit_conn's slot
# stays taken while its stream lives
my $lim = start_nginx(redis => $redis,
                      http => 'limit_conn_zone $binary_remote_addr '
                              . 'zone=djass_streams:1m;',
                      location => 'limit_conn djass_streams 2;',
                      server => 'location = /metrics { djass_metrics; }');
my $lim_id = create('Limited');
my @lim = map { sse_open($lim, $lim_id) } 1 .. 2;
for my $m (@lim) { sse_read($m, sub { nevents($_[0]) >= 1 }) }
sleep 0.3;
is(gauge('djass_events_parked', $lim), 0,
   'limit_conn on the location: its streams are not parked');
is(gauge('djass_waiting_requests', $lim), 2, '... they wait with their requests');
my $third = sse_open($lim, $lim_id);
sse_read($third, sub { defined $_[0]{head} });
is($third->{status}, 503, '... and hold their limit_conn slots: a third is 503');
set_project_status($redis, $lim_id, 'ready', finished_at => int(time));
is(scalar(grep { sse_read($_, sub { $_[0]{eof} }) && nevents($_) == 2 } @lim),
   2, '... and have their events');
stop_process($lim);
check_error_log($lim);

# --- Redis restart while streams wait ------------------------------------------

my $rid = create('Restart');
my @r = map { sse_open($nginx, $rid) } 1 .. 5;
for my $m (@r) { sse_read($m, sub { nevents($_[0]) >= 1 }) }
redis_cli($redis, 'CLIENT', 'KILL', 'TYPE', 'pubsub');
redis_cli($redis, 'CLIENT', 'KILL', 'TYPE', 'normal');
sleep 2;
set_project_status($redis, $rid, 'ready', finished_at => int(time));
my $ended = 0;
for my $m (@r) { $ended++ if sse_read($m, sub { $_[0]{eof} }, 4) }
is($ended, 5, 'connections killed while waiting: the streams go on and end '
              . 'at ready, or end; none hangs');

# --- nginx -s reload while streams are open --------------------------------------

SKIP: {
    skip 'no reload with master_process off (valgrind)', 6 if valgrind_on();
    my $hid = create('Reload');
    my @h = map { sse_open($nginx, $hid) } 1 .. 10;
    for my $m (@h) { sse_read($m, sub { nevents($_[0]) >= 1 }) }
    my $held = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $nginx->{port},
                                     Proto => 'tcp') or die "connect: $!";
    print $held "GET /api/v1/projects/$hid/status HTTP/1.1\r\n"
                . "Host: localhost\r\nX-API-Key: $K\r\n"
                . "Prefer: wait=30\r\nConnection: close\r\n\r\n";
    my $hr = { s => $held, raw => '', head => undef, body => '', eof => 0 };
    ok(!sse_read($hr, sub { defined $_[0]{head} }, 0.5),
       'a Prefer: wait=30 request is held');
    kill 'HUP', $nginx->{pid};
    ok(sse_read($hr, sub { $_[0]{eof} }, 4),
       'a reload: the held request is answered');
    is($hr->{status}, 200, '... 200');
    is((json_decode($hr->{body}) // {})->{status}, 'queued',
       '... with the status as it is');
    my $closed = 0;
    for my $m (@h) { $closed++ if sse_read($m, sub { $_[0]{eof} }, 4) }
    is($closed, 10, 'a reload ends the old workers\' streams');
    my $n = 0;
    for my $m (@h) { $n++ if $m->{last_chunk} }
    is($n, 10, '... cleanly (the chunked body ended)');
}

check_error_log($_) for $nginx, $off;
done_testing();
