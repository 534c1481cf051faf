# Completion webhooks, end to end with real processes: djassctl webhook
# add | list | remove, and the worker's delivery process posting to a real
# HTTP receiver on loopback that verifies every signature with the pinned
# reference implementation (PyPI standardwebhooks): one signed message per
# ready or failed project whose data is byte for byte GET /projects/{id};
# retries after a refused connection and after 500s with the same
# webhook-id; 410 disabling the endpoint; a delivery process SIGKILLed
# mid-delivery redone after restart; private addresses refused at add and
# at delivery (a record rewritten in Redis, as DNS rebinding would).  A
# project created through the API carries its create's X-Request-Id to
# every delivery (header and log line), and each attempt's outcome is
# counted in the djass_metrics scrape (djass_webhook_deliveries_total).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Encode qw(encode_utf8);
use MIME::Base64 qw(decode_base64);
use Time::HiRes qw(sleep);
use Djass::Test;
use Djass::Jobs;
use Djass::Webhooks;

my $repo = repo_dir();
my $f = slow_factor();

my $venv = webhook_venv(\&skip_or_fail);

my $version = do {
    open my $fh, '<', "$repo/VERSION" or die "VERSION: $!";
    my $v = <$fh>;
    chomp $v;
    $v;
};

# --- the receiver -------------------------------------------------------------
my $dir = temp_dir('webhooks');
my %conf;

sub write_conf { write_receiver_conf($dir, \%conf) }
write_conf();

sub start_receiver { start_webhook_receiver($venv, $dir, $_[0]) }

sub received {
    my ($path) = @_;
    open my $fh, '<', "$dir/received.jsonl" or return ();
    # the body as the bytes that came, to compare with nginx's bytes
    my @r = map { my $m = json_decode($_); $m->{body} = encode_utf8($m->{body});
                  $m } <$fh>;
    return grep { !defined $path || $_->{path} eq $path } @r;
}

my $rport = free_port();
my $receiver = start_receiver($rport);
my $base = "http://127.0.0.1:$rport";

# --- the stack ----------------------------------------------------------------
my $redis = start_redis();
my $art = temp_dir('art-370');
# nginx validates creates with the workers' template (a job validated
# against another template version waits for a worker that has it)
my $nginx = start_nginx(redis => $redis, artifacts => $art,
                        template => worker_template('slow'),
                        server => 'location = /metrics { djass_metrics; }');

# djass_webhook_deliveries_total{outcome=...} of a scrape
sub deliveries {
    my $t = http_request(GET => "http://127.0.0.1:$nginx->{port}/metrics")
            ->{content} // '';
    return { $t =~ /^djass_webhook_deliveries_total\{outcome="(\w+)"\} (\d+)$/mg };
}
my $slow = worker_template('slow');
my @wargs = ('--visibility-timeout', 2, '--webhook-timeout', 3 * $f,
             '--webhook-schedule-scale', '0.01');

sub worker { start_worker(redis => $redis, artifacts => $art,
                          template => $slow, args => [@wargs, @_]) }

sub ctl { djassctl($redis, @_) }

sub add {
    my ($profile, $path, @more) = @_;
    my ($rc, $out, $err) = ctl('webhook', 'add', '--profile', $profile,
                               '--url', "$base$path", '--allow-private',
                               @more);
    die "webhook add: $err" if $rc;
    my $ep = json_decode($out);
    $conf{$path} = { secret => $ep->{secret} };
    write_conf();
    return $ep;
}

sub list {
    my ($profile) = @_;
    my ($rc, $out) = ctl('webhook', 'list', '--profile', $profile);
    return json_decode($out) // [];
}

sub endpoint {
    my ($profile, $id) = @_;
    my ($e) = grep { $_->{id} eq $id } @{ list($profile) };
    return $e // {};
}

sub new_profile {
    my ($rc, $out) = ctl('profile', 'create', '--email', 'hooks@example.test');
    chomp $out;
    return $out;
}

# --- djassctl webhook add | list | remove -------------------------------------
my $k1 = make_key($redis, email => 'owner@example.test');
my $p1 = $k1->{profile};
{
    my ($rc, $out, $err) = ctl('webhook', 'add', '--profile', $p1, '--url',
                               "$base/ok");
    is($rc, 1, 'add: a loopback URL without --allow-private exits 1');
    like($err, qr/127\.0\.0\.1 resolves only to loopback, private, link-local, multicast or reserved addresses \(allowed only with --allow-private\)/,
         'add: and says why, and how to allow it');
    is($out, '', 'add: nothing on stdout when refused');

    for my $c (['http://localhost:1/x', qr/resolves only to loopback/,
                'a host name that resolves to loopback'],
               ['http://10.1.2.3/x', qr/resolves only to/, 'a private IPv4'],
               ['http://[::1]:8/x', qr/resolves only to/, 'IPv6 loopback'],
               ['http://[::ffff:169.254.169.254]/x', qr/resolves only to/,
                'a v4-mapped link-local (cloud metadata) address'],
               ['http://[fe80::1]/x', qr/resolves only to/, 'IPv6 link-local'],
               ['http://224.0.0.1/x', qr/resolves only to/, 'multicast'],
               ['http://0.0.0.0/x', qr/resolves only to/, 'unspecified'],
               # issue 26: every block the IANA registries mark as not
               # globally reachable (t/unit/test_addr_ranges.c has them all)
               ['http://[::ffff:0:a00:1]/x', qr/resolves only to/,
                'an IPv4-translated (SIIT) address'],
               ['http://[::ffff:8.8.8.8]/x', qr/resolves only to/,
                'an IPv4-mapped address, even of a public IPv4'],
               ['http://[2001:20::1]/x', qr/resolves only to/, 'ORCHIDv2'],
               ['http://[3fff::1]/x', qr/resolves only to/,
                'IPv6 documentation space 3fff::/20'],
               ['http://[5f00::1]/x', qr/resolves only to/, 'an SRv6 SID'],
               ['http://[64:ff9b:1::1]/x', qr/resolves only to/,
                'local-use NAT64'],
               ['http://[64:ff9b::a9fe:a9fe]/x', qr/resolves only to/,
                'NAT64 of the cloud metadata address'],
               ['http://[2002:c0a8:101::1]/x', qr/resolves only to/,
                '6to4 of a private IPv4'],
               ['http://192.0.0.8/x', qr/resolves only to/,
                'the IPv4 dummy address'],
               ['http://192.88.99.1/x', qr/resolves only to/,
                'the deprecated 6to4 relay anycast'],
               ['ftp://example.test/x', qr/not http:\/\/ or https:\/\//,
                'an ftp URL'],
               ['http://user:pw@example.test/x', qr/user:password@/,
                'a URL with credentials'],
               ['http://example.test/x#frag', qr/fragment/,
                'a URL with a fragment'],
               ['http:///x', qr/no host/, 'a URL without a host'],
               ['http://example.test:99999/x', qr/port/, 'a port past 65535'])
    {
        my ($u, $re, $what) = @$c;
        ($rc, $out, $err) = ctl('webhook', 'add', '--profile', $p1,
                                '--url', $u);
        is($rc, 1, "add: $what is refused (exit 1)");
        like($err, $re, "add: $what: the error says why") or diag($err);
    }

    ($rc, $out, $err) = ctl('webhook', 'add', '--profile', $p1, '--url',
                            "$base/ok", '--allow-private', '--events',
                            'project.ready,project.done');
    is($rc, 1, 'add: an unknown event is refused');
    like($err, qr/unknown event "project\.done"/, 'add: and named');

    ($rc, $out, $err) = ctl('webhook', 'add', '--profile', 999, '--url',
                            "$base/ok", '--allow-private');
    is($rc, 1, 'add: an unknown profile is refused');
    like($err, qr/no profile 999/, 'add: and named');
}

my $e1 = add($p1, '/ok');
is_deeply([ sort keys %$e1 ], [ qw(events id secret url) ],
          'add prints one JSON object: id, url, events, secret');
like($e1->{id}, qr/^ep_[0-9a-f]{24}$/, 'add: the endpoint id');
is($e1->{url}, "$base/ok", 'add: the URL as given');
is_deeply($e1->{events}, [ 'project.ready', 'project.failed' ],
          'add: both events by default');
like($e1->{secret}, qr{^whsec_[A-Za-z0-9+/]+=*$}, 'add: a whsec_ secret');
my $raw = decode_base64(substr($e1->{secret}, 6));
ok(length($raw) >= 24 && length($raw) <= 64,
   'add: the secret is 24 to 64 random bytes');
my $e2 = add($p1, '/failed-only', '--events', 'project.failed');
is_deeply($e2->{events}, [ 'project.failed' ], 'add --events: as asked');

{
    my ($rc, $out) = ctl('webhook', 'list', '--profile', $p1);
    is($rc, 0, 'list exits 0');
    my $l = json_decode($out);
    is(ref $l, 'ARRAY', 'list prints a JSON array');
    is(scalar @$l, 2, 'list: both endpoints');
    unlike($out, qr/whsec_|secret/, 'list never shows a secret');
    my ($x) = grep { $_->{id} eq $e1->{id} } @$l;
    is_deeply([ sort keys %$x ],
              [ qw(allow_private created_at disabled events id last_delivery
                   url) ], 'list: the fields of an endpoint');
    ok($x->{allow_private} && !$x->{disabled} && !defined $x->{last_delivery},
       'list: allow_private true, not disabled, no delivery yet');

    ($rc, $out, my $err) = ctl('webhook', 'remove', 'ep_nosuch');
    is($rc, 1, 'remove: an unknown id exits 1');
    like($err, qr/no webhook endpoint ep_nosuch/, 'remove: and says so');
}

my $worker = worker();
my $log = sub { worker_log($worker) };
ok(wait_until(sub { $log->() =~ /webhook delivery process started, pid \d+/ },
              10 * $f), 'the worker starts a webhook delivery process')
    or diag($log->());

# --- ready and failed: one signed message each, data = GET /projects/{id} ----
my $odd = "Quote \" back\\ tab\t nl\n ctl\x01\x1f \xc3\xa9 \xe2\x9c\x93";
my $ready = enqueue_project($redis, profile => $p1, name => $odd,
                            slug => 'odd',
                            payload => { project_name => 'Hooked',
                                         hook_sleep => '0' });
my $failed = enqueue_project($redis, profile => $p1,
                             payload => { project_name => 'Broken',
                                          hook_sleep => 'not-a-number' });
ok(wait_finished($redis, [ $ready, $failed ]), 'both projects finish');
is(project($redis, $failed)->{status}, 'failed', 'the broken one failed');

ok(wait_until(sub { received('/ok') >= 2 && received('/failed-only') >= 1 },
              15 * $f), 'the endpoints receive their messages')
    or diag($log->());
sleep 0.5;
my @ok = received('/ok');
is(scalar @ok, 2, 'one message per project to the endpoint of both events');
my @fo = received('/failed-only');
is(scalar @fo, 1, 'only the failed project to the project.failed endpoint');

for my $m (@ok, @fo) {
    ok($m->{verified}, "$m->{path}: standardwebhooks verifies the "
                       . 'signature') or diag($m->{why});
}

my %by = map { (json_decode($_->{body}) // {})->{data}{id} => $_ } @ok;
for my $c ([ $ready, 'project.ready' ], [ $failed, 'project.failed' ]) {
    my ($id, $type) = @$c;
    my $m = $by{$id};
    ok($m, "project $id: a message") or next;
    my $get = api(GET => "/projects/$id", key => $k1->{key},
                  nginx => $nginx);
    is($get->{status}, 200, "project $id: GET answers 200");
    my ($ts) = $m->{body} =~ /^\{"type":"\Q$type\E","timestamp":"([^"]+)","data":/;
    ok($ts, "project $id: the body starts {\"type\":\"$type\","
            . '"timestamp":...,"data":') or diag($m->{body});
    is($m->{body},
       qq({"type":"$type","timestamp":"$ts","data":$get->{content}}),
       "project $id: data is byte for byte the GET /projects/{id} answer");
    is($ts, $get->{json}{finished_at},
       "project $id: the timestamp is when it finished");
    my $h = $m->{headers};
    is($h->{'content-type'}, 'application/json', "project $id: Content-Type");
    is($h->{'user-agent'}, "djass-webhooks/$version",
       "project $id: User-Agent names the product and its version");
    like($h->{'webhook-id'}, qr/^msg_\S+$/, "project $id: a webhook-id");
    like($h->{'webhook-timestamp'}, qr/^\d{10}$/,
         "project $id: webhook-timestamp in Unix seconds");
    ok(abs($h->{'webhook-timestamp'} - $m->{time}) < 60,
       "project $id: webhook-timestamp is the attempt's time");
    like($h->{'webhook-signature'}, qr{^v1,[A-Za-z0-9+/]{43}=$},
         "project $id: webhook-signature is v1,<base64 HMAC-SHA256>");
}
isnt($ok[0]{headers}{'webhook-id'}, $ok[1]{headers}{'webhook-id'},
     'each message has its own webhook-id');
like($log->(), qr/webhook \Q$e1->{id}\E project $ready attempt 1: HTTP 200 in \d+ ms: delivered/,
     'the worker logs the attempt: endpoint, project, status, time, number');
unlike($log->(), qr/whsec_/, 'the worker log never shows a secret');
{
    my $x = endpoint($p1, $e1->{id});
    is($x->{last_delivery}{outcome}, 'delivered',
       'list: the last delivery outcome');
    is($x->{last_delivery}{status}, 200, 'list: its HTTP status');
}
ok(!(grep { exists $_->{headers}{'x-request-id'} } @ok, @fo),
   'a job queued without a request id: no X-Request-Id header');

# --- a create through the API: its X-Request-Id in the delivery --------------
{
    my $c = api(POST => '/projects', key => $k1->{key}, nginx => $nginx,
                headers => { 'X-Request-Id' => 'trace-375:abc.1' },
                json => { project_name => 'Traced' });
    is($c->{status}, 201, 'a create through the API') or diag($c->{content});
    my $id = $c->{json}{project}{id};
    ok(wait_until(sub { grep { (json_decode($_->{body}) // {})->{data}{id}
                               eq $id } received('/ok') }, 20 * $f),
       'its message is delivered') or diag($log->());
    my ($m) = grep { (json_decode($_->{body}) // {})->{data}{id} eq $id }
              received('/ok');
    is($m->{headers}{'x-request-id'}, 'trace-375:abc.1',
       'the delivery carries the create\'s X-Request-Id');
    ok($m->{verified}, 'and still verifies');
    like($log->(), qr/webhook \Q$e1->{id}\E project $id attempt 1: HTTP 200 in \d+ ms: delivered request_id=trace-375:abc\.1\n/,
         'the delivery\'s log line carries the request id');
    like($log->(), qr/project $id: ready in .* request_id=trace-375:abc\.1\n/,
         'so does the job\'s');
}
is_deeply(deliveries(), { delivered => 4, retrying => 0, dropped => 0,
                          disabled => 0, skipped => 0 },
          'metrics: four attempts delivered, nothing else');

# --- 500 twice, then 200: the third attempt, the same webhook-id ---------------
my $p2 = new_profile();
my $e3 = add($p2, '/flaky');
$conf{'/flaky'}{answers} = [ 500, 500, 200 ];
write_conf();
my $id2 = enqueue_project($redis, profile => $p2);
ok(wait_until(sub { received('/flaky') >= 3 }, 20 * $f),
   'a receiver answering 500 twice gets a third attempt') or diag($log->());
my @fl = received('/flaky');
is_deeply([ map { $_->{status} } @fl ], [ 500, 500, 200 ],
          'answered 500, 500, 200');
is(scalar(keys %{{ map { $_->{headers}{'webhook-id'} => 1 } @fl }}), 1,
   'every retry carries the same webhook-id');
ok(!(grep { !$_->{verified} } @fl), 'every retry verifies');
is($fl[0]{body}, $fl[2]{body}, 'every retry has the same body');
like($log->(), qr/project $id2 attempt 2: HTTP 500 in \d+ ms: retrying/,
     'the log says the second attempt failed and is retried');
ok(wait_until(sub { (endpoint($p2, $e3->{id})->{last_delivery}{attempt} // 0)
                    == 3 }, 5 * $f), 'list: the last delivery was attempt 3');
is_deeply(deliveries(), { delivered => 5, retrying => 2, dropped => 0,
                          disabled => 0, skipped => 0 },
          'metrics: the two 500s counted as retrying, the 200 as delivered');

# --- 410 Gone disables the endpoint -------------------------------------------
my $p3 = new_profile();
my $e4 = add($p3, '/gone');
$conf{'/gone'}{answers} = [ 410 ];
write_conf();
my $id3 = enqueue_project($redis, profile => $p3);
ok(wait_until(sub { endpoint($p3, $e4->{id})->{disabled} }, 15 * $f),
   'a 410 answer disables the endpoint (list shows it)') or diag($log->());
is(endpoint($p3, $e4->{id})->{last_delivery}{status}, 410,
   'list: the 410 as the last outcome');
my $id3b = enqueue_project($redis, profile => $p3);
ok(wait_finished($redis, [ $id3b ]), 'another project of that profile');
sleep 1;
is(scalar(received('/gone')), 1, 'a disabled endpoint gets nothing more');
is(deliveries()->{disabled}, 1, 'metrics: the 410 counted as disabled');

# --- the receiver down, then up: delivered by a retry --------------------------
my $p4 = new_profile();
my $dport = free_port();
my ($rc4, $out4) = ctl('webhook', 'add', '--profile', $p4, '--url',
                       "http://127.0.0.1:$dport/late", '--allow-private');
my $e5 = json_decode($out4);
$conf{'/late'} = { secret => $e5->{secret} };
write_conf();
my $id4 = enqueue_project($redis, profile => $p4);
ok(wait_until(sub { $log->() =~ /webhook \Q$e5->{id}\E project $id4 attempt 2: error: .*(refused|connect)/i },
              15 * $f), 'a receiver that is down: the attempts fail')
    or diag($log->());
my $late = start_receiver($dport);
ok(wait_until(sub { received('/late') >= 1 }, 20 * $f),
   'once it is up, a retry delivers the message') or diag($log->());
ok((received('/late'))[0]{verified}, 'and it verifies');

# --- private addresses at delivery: a record rewritten behind djassctl --------
my $p6 = new_profile();
my $e6 = add($p6, '/rebind');
redis_cli($redis, 'HSET', "djass:webhook:$e6->{id}", 'allow_private', '0',
          'url', "http://localhost:$rport/rebind");
my $id6 = enqueue_project($redis, profile => $p6);
ok(wait_until(sub { $log->() =~ /webhook \Q$e6->{id}\E project $id6 attempt 1: error: localhost resolves only to loopback/ },
              15 * $f), 'at delivery, a host that now resolves to loopback '
                        . 'is refused') or diag($log->());
is(scalar(received('/rebind')), 0, 'and nothing reached the receiver');
{
    my ($rc, $out) = ctl('webhook', 'remove', $e6->{id});
    is($rc, 0, 'remove exits 0');
    is($out, "removed\n", 'remove says removed');
    ok(!(grep { $_->{id} eq $e6->{id} } @{ list($p6) }),
       'a removed endpoint is no longer listed');
}

# --- a delivery process SIGKILLed mid-delivery: redone after the restart ------
my $p5 = new_profile();
my $e7 = add($p5, '/slow');
$conf{'/slow'}{sleep} = [ 4 * $f, 0 ];
write_conf();
my $id5 = enqueue_project($redis, profile => $p5);
ok(wait_until(sub { $log->() =~ /project $id5: ready/ }, 15 * $f),
   'the project is ready');
sleep 1;
my ($dpid) = $log->() =~ /webhook delivery process started, pid (\d+)/;
kill 'KILL', $dpid;
stop_process($worker, 'KILL');
is(scalar(received('/slow')), 0, 'killed while the receiver was answering');
my $w2 = worker('--concurrency', 2);
ok(wait_until(sub { worker_log($w2) =~ /supervisor: webhook delivery process started/ },
              10 * $f), 'the supervisor starts a webhook delivery process');
ok(wait_until(sub { grep { $_->{status} == 200 && $_->{n} == 1 }
                    received('/slow') }, 30 * $f),
   'the restarted worker makes the attempt again') or diag(worker_log($w2));
my @sl = received('/slow');
is($sl[0]{headers}{'webhook-id'}, $sl[-1]{headers}{'webhook-id'},
   'with the same webhook-id');
like(worker_log($w2), qr/taken over from a delivery process that went silent/,
     'the new delivery process says it took the message over');
ok(wait_until(sub { (endpoint($p5, $e7->{id})->{last_delivery}{outcome} // '')
                    eq 'delivered' }, 5 * $f), 'list: delivered');

is(redis_cli($redis, 'XLEN', 'djass:webhooks'), 0,
   'no message is left in the stream');
is(stop_process($w2), 0, 'the worker and its delivery process stop on SIGTERM');

# --- failing every time: 8 attempts on the schedule, then dropped ------------
{
    my $r = start_redis();
    my $a = temp_dir('art-370-drop');
    my ($rc, $pid) = djassctl($r, 'profile', 'create', '--email', 'd@x.test');
    chomp $pid;
    ($rc, my $out) = djassctl($r, 'webhook', 'add', '--profile', $pid,
                              '--url', "$base/down", '--allow-private');
    my $ep = json_decode($out);
    $conf{'/down'} = { secret => $ep->{secret}, answers => [ 503 ] };
    write_conf();
    # the whole schedule (about 28 hours) in about a second
    my $w = start_worker(redis => $r, artifacts => $a, template => $slow,
                         args => [ '--webhook-schedule-scale', '0.00001' ]);
    my $id = enqueue_project($r, profile => $pid);
    ok(wait_until(sub { worker_log($w) =~ /project $id attempt 8: HTTP 503 .*dropped after the last attempt, giving up/ },
                  30 * $f), 'after the 8th failed attempt the message is '
                            . 'dropped, with a log line') or diag(worker_log($w));
    is(scalar(received('/down')), 8, 'eight attempts in all');
    my @t = map { $_->{time} } received('/down');
    ok($t[7] - $t[0] > 0.5 && $t[1] - $t[0] < $t[7] - $t[6],
       'on a growing schedule');
    my ($l) = grep { $_->{id} eq $ep->{id} }
              @{ json_decode((djassctl($r, 'webhook', 'list', '--profile',
                                       $pid))[1]) };
    is($l->{last_delivery}{outcome}, 'dropped', 'list: dropped');
    is(redis_cli($r, 'ZCARD', 'djass:webhooks:retry'), 0,
       'nothing is left scheduled');
    is_deeply(redis_cli($r, 'HMGET', 'djass:stats', 'webhooks:retrying',
                        'webhooks:dropped', 'webhooks:delivered'),
              [ 7, 1, undef ],
              'djass:stats: seven attempts retrying, the eighth dropped');
}

done_testing();
