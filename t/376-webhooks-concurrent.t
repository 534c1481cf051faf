# Webhook deliveries side by side (issue 26): one tenant's slow endpoint
# never holds up another's.  Real processes: the worker, Redis, and an HTTP
# receiver on loopback (t/webhooks/receiver.py) that logs each request as
# it arrives, with how many were in flight.  The reproduction: profile A's
# endpoint holds every connection for 60 s and A has 8 messages; profile
# B's message still arrives within 2 s of B's project turning ready.  An
# endpoint gets its messages in order, one at a time (the default
# --webhook-per-endpoint 1); --webhook-per-endpoint and
# --webhook-concurrency bound what is in flight; a host name whose lookup
# never answers costs its own attempt --webhook-timeout and nobody else
# anything (a preloaded getaddrinfo stands in for the silent resolver);
# an endpoint that keeps timing out is paused and its messages deferred,
# without counting them as attempts.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep time);
use Djass::Test;
use Djass::Jobs;
use Djass::Webhooks;
use Djass::Build qw(build_dir sanitize_on asan_env run_wrapped bin);

my $repo = repo_dir();
my $f = slow_factor();
plan skip_all => 'timings are not measured under valgrind' if $f > 1;

my $venv = webhook_venv(sub { plan skip_all => shift });

my $dir = temp_dir('webhooks-376');
my %conf;

sub write_conf { write_receiver_conf($dir, \%conf) }
write_conf();

my $rport = free_port();
start_webhook_receiver($venv, $dir, $rport, arrivals => 1);
my $base = "http://127.0.0.1:$rport";

sub lines {
    my ($file, $path) = @_;
    open my $fh, '<', $file or return ();
    return grep { !defined $path || $_->{path} eq $path }
           map { json_decode($_) } <$fh>;
}
sub arrivals { lines("$dir/arrivals.jsonl", @_) }
sub max_of { my $m = 0; for (@_) { $m = $_ if $_ > $m } $m }

# the preloaded resolver of the DNS part
my $shim = "$dir/hangdns.so";
system('cc', '-shared', '-fPIC', '-o', $shim, "$repo/t/webhooks/hangdns.c",
       '-ldl') == 0 or die 'cannot build t/webhooks/hangdns.c';

my $template = worker_template('slow');

# a worker of its own, with its own Redis: each part counts alone
sub stack {
    my (%o) = @_;
    my $redis = start_redis();
    my $art = temp_dir('art-376');
    my @cmd = (bin('djass-worker'), '--redis', $redis->{addr}, '--template',
               $template, '--artifacts', $art, '--visibility-timeout', 2,
               @{ $o{args} });
    my %env = sanitize_on() ? asan_env() : ();
    if ($o{preload}) {
        # the shim only (the ASan build has its runtime linked in: it need
        # not come first, and the hooks' tools must not get it)
        $env{LD_PRELOAD} = $shim;
        $env{ASAN_OPTIONS} .= ':verify_asan_link_order=0' if sanitize_on();
    }
    my $w = Djass::Test::spawn('worker-376', \%env, run_wrapped(@cmd));
    $w->{kind} = 'worker';
    $w->{stop_signal} = 'TERM';
    wait_until(sub { worker_log($w) =~ /webhook delivery process started/ },
               10) or die 'no delivery process: ' . worker_log($w);
    return ($redis, $w);
}

sub stop {
    my ($w, $what) = @_;
    my $t0 = time;
    is(stop_process($w), 0, $what)
        or diag(sprintf('status %s after %.1f s: ', $w->{status},
                        time - $t0) . worker_log($w));
}

sub endpoint {
    my ($redis, $path, %o) = @_;
    my ($rc, $profile) = djassctl($redis, 'profile', 'create', '--email',
                                  'hooks@example.test');
    chomp $profile;
    ($rc, my $out, my $err) = djassctl($redis, 'webhook', 'add', '--profile',
                                       $profile, '--url', "$base$path",
                                       '--allow-private');
    die "webhook add: $err" if $rc;
    my $ep = json_decode($out);
    $conf{$path} = { secret => $ep->{secret}, %o };
    write_conf();
    return { profile => $profile, id => $ep->{id}, path => $path };
}

sub projects {
    my ($redis, $ep, $n) = @_;
    return map { enqueue_project($redis, profile => $ep->{profile},
                                 payload => { project_name => "P$_" }) }
           1 .. $n;
}

# seconds from a project turning ready (seen polling every 50 ms) to its
# webhook's arrival
sub latency {
    my ($redis, $ep) = @_;
    my ($id) = projects($redis, $ep, 1);
    wait_status($redis, $id, 'ready', 20) or return (undef, $id);
    my $ready = time;
    wait_until(sub { grep { ($_->{project} // '') eq $id }
                     arrivals($ep->{path}) }, 20, 0.02)
        or return (undef, $id);
    my ($a) = grep { ($_->{project} // '') eq $id } arrivals($ep->{path});
    return ($a->{time} - $ready, $id);
}

# --- the reproduction: A's endpoint holds 8 messages, B's arrives ----------
{
    my ($redis, $w) = stack(args => [ '--webhook-timeout', 10 ]);
    my $a = endpoint($redis, '/a-holds', sleep => [ 60 ]);
    my $b = endpoint($redis, '/b');
    my @ids = projects($redis, $a, 8);
    ok(wait_finished($redis, \@ids), "A's 8 projects are ready");
    ok(wait_until(sub { arrivals('/a-holds') >= 1 }, 10),
       "A's endpoint has one of them, and holds it for 60 s")
        or diag(worker_log($w));
    ok(wait_until(sub { redis_cli($redis, 'XPENDING', 'djass:webhooks',
                                  'djass-webhooks')->[0] == 8 }, 5),
       "all 8 of A's messages are held (1 in flight, 7 waiting their turn)");
    my ($lat, $id) = latency($redis, $b);
    ok(defined $lat && $lat < 2,
       "B's webhook arrives within 2 s of B's project turning ready, A's "
       . 'endpoint holding on (' . ($lat // 'never') . ' s)')
        or diag(worker_log($w));
    is(scalar(arrivals('/a-holds')), 1,
       "A's endpoint got one message at a time (--webhook-per-endpoint 1)");
    stop($w, 'the worker stops on SIGTERM, the attempt in flight ended '
             . 'within --webhook-timeout');
}

# --- one endpoint: its messages in order, never two at once -----------------
{
    my ($redis, $w) = stack(args => [ '--webhook-timeout', 10 ]);
    my $o = endpoint($redis, '/ordered', sleep => [ 0.3 ]);
    my @ids = projects($redis, $o, 6);
    ok(wait_until(sub { lines("$dir/received.jsonl", '/ordered') >= 6 },
                  30), 'an endpoint answering in 0.3 s gets its 6 messages')
        or diag(worker_log($w));
    my @got = arrivals('/ordered');
    is_deeply([ map { $_->{project} } @got ], \@ids,
              'in the order its projects finished');
    is(max_of(map { $_->{inflight} } @got), 1, 'never two at once');
    stop($w, 'the worker stops');
}

# --- the limits: 3 per endpoint, 4 in all -------------------------------------
{
    my ($redis, $w) = stack(args => [ '--webhook-timeout', 10,
                                      '--webhook-per-endpoint', 3,
                                      '--webhook-concurrency', 4,
                                      '--concurrency', 3 ]);
    my $p = endpoint($redis, '/p', sleep => [ 4 ]);
    my $q = endpoint($redis, '/q', sleep => [ 4 ]);
    my $r = endpoint($redis, '/r');
    my @ids = (projects($redis, $p, 6), projects($redis, $q, 2));
    ok(wait_finished($redis, \@ids), "P's 6 and Q's 2 projects are ready");
    ok(wait_until(sub { arrivals('/p') + arrivals('/q') >= 4 }, 10),
       'four of their messages are in flight') or diag(worker_log($w));
    my ($lat) = latency($redis, $r);
    my @pq = (arrivals('/p'), arrivals('/q'));
    my $first = (sort { $a <=> $b } map { $_->{time} } @pq)[0];
    ok(defined $lat && $lat > 1,
       'with 4 in flight, R\'s message waits for a free slot ('
       . ($lat // 'never') . ' s)') or diag(worker_log($w));
    my @early = grep { $_->{time} < $first + 3.5 } @pq;
    is(max_of(map { $_->{inflight} } arrivals('/p')), 3,
       'P has 3 in flight at most (--webhook-per-endpoint 3), and has 3');
    is(scalar @early, 4, 'four in flight in all while they last '
                         . '(--webhook-concurrency 4)');
    ok(wait_until(sub { lines("$dir/received.jsonl", '/p') >= 6
                        && lines("$dir/received.jsonl", '/q') >= 2 }, 30),
       'every message is delivered in the end');
    # each request from its arrival to its answer (the receiver's other
    # paths, still sleeping for the first part, are not this part's)
    my %end = map { ("$_->{path} $_->{n}" => $_->{time}) }
              map { lines("$dir/received.jsonl", $_) } qw(/p /q /r);
    my @all = map { arrivals($_) } qw(/p /q /r);
    my $most = max_of(map { my $t = $_->{time};
                            scalar grep { $_->{time} <= $t
                                          && $end{"$_->{path} $_->{n}"} > $t }
                                   @all } @all);
    is($most, 4, 'never more than four at once');
    stop($w, 'the worker stops');
}

# --- a name whose lookup never answers ----------------------------------------
{
    my ($redis, $w) = stack(preload => 1, args => [ '--webhook-timeout', 3 ]);
    my $h = endpoint($redis, '/hang');
    my $s = endpoint($redis, '/slowdns');
    my $b = endpoint($redis, '/b2');
    redis_cli($redis, 'HSET', "djass:webhook:$h->{id}", 'url',
              "http://hang.djass.test:$rport/hang");
    redis_cli($redis, 'HSET', "djass:webhook:$s->{id}", 'url',
              "http://slow.djass.test:$rport/slowdns");
    my ($hid) = projects($redis, $h, 1);
    ok(wait_status($redis, $hid, 'ready', 20), "H's project is ready");
    sleep 0.3;
    my ($lat) = latency($redis, $b);
    ok(defined $lat && $lat < 2,
       'while the lookup of hang.djass.test hangs, another endpoint\'s '
       . 'message arrives within 2 s (' . ($lat // 'never') . ' s)')
        or diag(worker_log($w));
    ok(wait_until(sub { worker_log($w) =~ /webhook \Q$h->{id}\E project $hid attempt 1: error: cannot resolve hang\.djass\.test: no answer within 3 s in (\d+) ms: retrying/ }, 10),
       'the hanging lookup ends the attempt at --webhook-timeout, retried')
        or diag(worker_log($w));
    my ($ms) = worker_log($w) =~ /project $hid attempt 1: error: cannot resolve hang\.djass\.test: no answer within 3 s in (\d+) ms/;
    ok(defined $ms && $ms >= 2900 && $ms < 4500,
       'after about 3 s (' . ($ms // '?') . ' ms)');
    my ($sid) = projects($redis, $s, 1);
    ok(wait_until(sub { lines("$dir/received.jsonl", '/slowdns') >= 1 }, 10),
       'a name that answers after 1 s is delivered to the address it '
       . 'resolved to') or diag(worker_log($w));
    ok((lines("$dir/received.jsonl", '/slowdns'))[0]{verified},
       'and verifies');
    is(scalar(arrivals('/hang')), 0, 'nothing reached the receiver by the '
                                     . 'hanging name');
    stop($w, 'the worker stops with a lookup still hanging');
}

# --- an endpoint that keeps timing out is paused --------------------------------
{
    my ($redis, $w) = stack(args => [ '--webhook-timeout', 1,
                                      '--webhook-schedule-scale', '0.1' ]);
    my $t = endpoint($redis, '/t', sleep => [ 60 ]);
    my $b = endpoint($redis, '/b3');
    my @ids = projects($redis, $t, 6);
    ok(wait_finished($redis, \@ids), "T's 6 projects are ready");
    ok(wait_until(sub { worker_log($w) =~ /webhook \Q$t->{id}\E: 3 attempts in a row timed out: paused for \d+ ms, its \d+ waiting message\(s\) deferred/ },
                  15), 'after 3 attempts in a row timed out, the endpoint is '
                       . 'paused and its waiting messages deferred')
        or diag(worker_log($w));
    my $n = arrivals('/t');
    my ($lat) = latency($redis, $b);
    ok(defined $lat && $lat < 2, 'meanwhile another endpoint\'s message '
                                 . 'arrives within 2 s');
    sleep 2;
    is(scalar(arrivals('/t')), $n, 'the paused endpoint gets nothing for '
                                   . 'the pause (6 s at this scale)');
    my $tries = () = worker_log($w) =~ /webhook \Q$t->{id}\E project \d+ attempt \d+: error: .* retrying/g;
    is(redis_cli($redis, 'HGET', 'djass:stats', 'webhooks:retrying'), $tries,
       'djass:stats counts the attempts made, not the deferrals');
    is(redis_cli($redis, 'ZCARD', 'djass:webhooks:retry'), 6,
       'every one of its messages is in the retry schedule');
    is(redis_cli($redis, 'HGET', 'djass:stats', 'webhooks:deferred'), undef,
       'no deferral is counted as an attempt');
    stop($w, 'the worker stops');
}

done_testing();
