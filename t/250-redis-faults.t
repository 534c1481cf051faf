# Redis down, refusing, slow, restarted, flushed of its scripts, behind a
# password or a unix socket: the client gets 503 retryable_error within
# the command timeout -- never a hang, a 500 or a 502 -- and requests
# succeed again by themselves once Redis is back.  A client that leaves
# while Redis is slow breaks nothing.  No [alert] in any of it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Build qw(valgrind_on);

my $slack = valgrind_on() ? 3 : 1;            # seconds over the timeout
my $timeout = 0.5;
# the faults of the call to Redis: without the read cache, which would
# answer a repeated read while Redis sleeps (t/298-cache.t)
my $http = "djass_redis_timeout ${\ ($timeout * 1000)}ms; djass_cache off;";

sub unavailable {
    my ($res, $name, %o) = @_;
    is($res->{status}, 503, "$name: 503") or diag $res->{content};
    my $e = $res->{json} && $res->{json}{error};
    is($e && $e->{code}, 'retryable_error', "$name: retryable_error");
    is($e && $e->{category}, 'retryable', "$name: category retryable");
    ok($e && JSON::PP::is_bool($e->{retryable}) && $e->{retryable},
       "$name: retryable is true");
    is($e && $e->{details}{retry_guidance}, 'Retry with exponential backoff.',
       "$name: details.retry_guidance");
    like($res->{headers}{'retry-after'} // '', qr/^\d+$/,
         "$name: a Retry-After header");
    is($e && $e->{message}, $o{message}, "$name: the message") if $o{message};
}

sub timed {
    my ($code) = @_;
    my $t0 = time;
    my $res = $code->();
    return ($res, time - $t0);
}

# --- Redis stopped and started again -----------------------------------------

my $redis = start_redis(args => ['--enable-debug-command', 'yes']);
my $port = $redis->{port};
my $nginx = start_nginx(redis => $redis, http => $http);
my $key = make_key($redis, legacy => 1);

my $res = api(GET => '/projects', key => $key->{key});
is($res->{status}, 200, 'with Redis up, requests succeed');

stop_process($redis);

my $elapsed;
($res, $elapsed) = timed(sub { api(GET => '/projects', key => $key->{key}) });
unavailable($res, 'Redis stopped: GET /projects');
cmp_ok($elapsed, '<', $timeout + $slack, 'Redis stopped: answered in time');

($res, $elapsed) = timed(sub {
    api(POST => '/projects', key => $key->{key},
        json => { project_name => 'Down' }) });
unavailable($res, 'Redis stopped: POST /projects',
            message => 'Temporary failure while queueing project generation.');
cmp_ok($elapsed, '<', $timeout + $slack, 'Redis stopped: create answered in time');

for my $path ('/projects/1', '/projects/1/status', '/projects/1/download') {
    unavailable(api(GET => $path, key => $key->{key}),
                "Redis stopped: GET $path");
}

$redis = start_redis(port => $port, args => ['--enable-debug-command', 'yes']);
$key = make_key($redis, legacy => 1);    # a new Redis holds nothing
ok(wait_until(sub {
       api(GET => '/projects', key => $key->{key})->{status} == 200 }, 10),
   'Redis restarted: requests succeed again without touching nginx');
$res = api(POST => '/projects', key => $key->{key},
           json => { project_name => 'Back' });
is($res->{status}, 201, 'Redis restarted: creates work again');
my $id = $res->{json}{project}{id};

# --- the script flushed: NOSCRIPT is retried with EVAL ---------------------

is(redis_cli($redis, 'SCRIPT', 'FLUSH'), 'OK', 'SCRIPT FLUSH');
$res = api(GET => "/projects/$id/status", key => $key->{key});
is($res->{status}, 200, 'after SCRIPT FLUSH the request still succeeds');
is($res->{json}{id}, $id, 'after SCRIPT FLUSH the answer is right');
$res = api(GET => "/projects/$id/status", key => $key->{key});
is($res->{status}, 200, 'and the next one too');

# --- data Redis refuses to read: 500, not 503 ------------------------------

{
    my $bad = make_key($redis, legacy => 1);
    my $rid = api(POST => '/projects', key => $bad->{key},
                  json => { project_name => 'Corrupt' })->{json}{project}{id};
    redis_cli($redis, 'DEL', "djass:project:$rid");
    redis_cli($redis, 'SET', "djass:project:$rid", 'not a hash');
    redis_cli($redis, 'DEL', "djass:profile:$bad->{profile}:projects");
    redis_cli($redis, 'SET', "djass:profile:$bad->{profile}:projects", 'x');
    for my $c ([ GET => "/projects/$rid" ], [ GET => "/projects/$rid/status" ],
               [ GET => "/projects/$rid/download" ], [ GET => '/projects' ],
               [ POST => '/projects' ]) {
        my ($m, $path) = @$c;
        my $res = api($m => $path, key => $bad->{key},
                      $m eq 'POST' ? (json => { project_name => 'X' }) : ());
        is($res->{status}, 500, "$m $path on data of the wrong type is 500");
        is($res->{json} && $res->{json}{error}{code}, 'internal_error',
           "$m $path on data of the wrong type is internal_error");
    }
    like(nginx_error_log($nginx), qr/WRONGTYPE/,
         'the wrong type is logged with Redis\'s words');
}

# --- Redis slower than the timeout -----------------------------------------

sub redis_sleep {
    my ($seconds) = @_;
    my $pid = fork;
    if ($pid == 0) {
        redis_cli($redis, 'DEBUG', 'SLEEP', $seconds);
        POSIX::_exit(0);
    }
    sleep 0.2;                       # DEBUG SLEEP has begun
    return $pid;
}

my $sleeper = redis_sleep(2);
($res, $elapsed) = timed(sub {
    api(GET => "/projects/$id/status", key => $key->{key}) });
unavailable($res, 'Redis sleeping');
cmp_ok($elapsed, '>=', $timeout - 0.1, 'Redis sleeping: nginx waited');
cmp_ok($elapsed, '<', $timeout + $slack,
       'Redis sleeping: answered within the timeout');
waitpid($sleeper, 0);
ok(wait_until(sub {
       api(GET => "/projects/$id/status", key => $key->{key})->{status}
       == 200 }, 10),
   'Redis awake: requests succeed again');

# a client that leaves while its request waits on Redis
$sleeper = redis_sleep(1.5);
my $req = "GET /api/v1/projects/$id/status HTTP/1.1\r\nHost: x\r\n"
          . "X-API-Key: $key->{key}\r\n\r\n";
raw_http($nginx, $req, close_after => 0.1) for 1 .. 3;
my @kept;
for (1 .. 3) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $nginx->{port});
    print $s $req;
    push @kept, $s;
}
sleep $timeout + 0.3;
close $_ for @kept;                  # answered 503 already: gone after that
waitpid($sleeper, 0);
sleep 0.3;
$res = api(GET => "/projects/$id/status", key => $key->{key});
ok(wait_until(sub {
       api(GET => "/projects/$id/status", key => $key->{key})->{status}
       == 200 }, 10),
   'after clients left mid-request, nginx answers normally');
like(nginx_error_log($nginx), qr/client prematurely closed connection/,
     'a client leaving while Redis is slow is noticed');

# a graceful reload while a request waits on Redis
SKIP: {
    skip 'no reload with master_process off (valgrind)', 2 if valgrind_on();
    $sleeper = redis_sleep(1);
    my $pending = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                        PeerPort => $nginx->{port});
    print $pending $req;
    sleep 0.1;
    kill 'HUP', $nginx->{pid};
    my $buf = '';
    while (sysread($pending, $buf, 4096, length $buf)) {
        last if $buf =~ /\r\n\r\n/ && $buf =~ /\}\}$/;
    }
    like($buf, qr{^HTTP/1\.1 (200|503) }, 'a request pending on Redis during '
                                         . 'a reload is still answered');
    waitpid($sleeper, 0);
    ok(wait_until(sub {
           api(GET => "/projects/$id/status", key => $key->{key})->{status}
           == 200 }, 10),
       'after the reload, requests succeed');
}

# a graceful stop while a request waits on Redis: answered, then no alert
# (the error log is checked when the file ends)
{
    my $stopping = start_nginx(redis => $redis, http => $http);
    $sleeper = redis_sleep(1);
    my $pending = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                        PeerPort => $stopping->{port});
    print $pending $req;
    sleep 0.1;
    kill 'QUIT', $stopping->{pid};
    my $buf = '';
    while (sysread($pending, $buf, 4096, length $buf)) {}
    SKIP: {
        skip 'master_process off stops at once (valgrind)', 1 if valgrind_on();
        like($buf, qr{^HTTP/1\.1 (200|503) },
             'a request pending on Redis during a graceful stop is answered');
    }
    stop_process($stopping);
    check_error_log($stopping);
    waitpid($sleeper, 0);
    unlike(nginx_error_log($stopping), qr/open socket|\[alert\]/,
           'a graceful stop with a pending request leaves no socket open');
}

# --- nothing listening at all ----------------------------------------------

my $dead = free_port();
my $nowhere = start_nginx(redis => { addr => "127.0.0.1:$dead" },
                          http => $http);
($res, $elapsed) = timed(sub {
    api(GET => '/projects', key => 'djk_x', nginx => $nowhere) });
unavailable($res, 'no Redis ever');
cmp_ok($elapsed, '<', $timeout + $slack, 'no Redis ever: answered in time');
$res = api(GET => '/project-options', nginx => $nowhere);
is($res->{status}, 200, 'no Redis: the option catalog is still served');
$res = api(GET => '/projects', nginx => $nowhere);
is($res->{status}, 401, 'no Redis: a request without a key is still 401');

# --- a server that accepts and never answers ---------------------------------

my $mute = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                 LocalPort => 0, ReuseAddr => 1) or die $!;
my $mute_pid = fork;
if ($mute_pid == 0) {
    my @c;
    while (my $c = $mute->accept) { push @c, $c }    # read nothing, say nothing
    POSIX::_exit(0);
}
my $hang = start_nginx(redis => { addr => '127.0.0.1:' . $mute->sockport },
                       http => $http);
for my $n (1 .. 3) {
    ($res, $elapsed) = timed(sub {
        api(GET => '/projects', key => 'djk_x', nginx => $hang) });
    unavailable($res, "a mute Redis, request $n");
    cmp_ok($elapsed, '<', $timeout + $slack,
           "a mute Redis, request $n: answered within the timeout");
}
like(nginx_error_log($hang), qr/did not answer within/,
     'a mute Redis is logged as a timeout');
stop_process($hang);
check_error_log($hang);
kill 'KILL', $mute_pid;
waitpid($mute_pid, 0);

# --- a password, a wrong password, a unix socket -----------------------------

my $locked = start_redis(password => 's3cret pass');
my $pkey = make_key($locked, legacy => 1);
my $withpw = start_nginx(redis => $locked, http => $http);
$res = api(GET => '/projects', key => $pkey->{key}, nginx => $withpw);
is($res->{status}, 200, 'djass_redis_password: AUTH before the script');

my $wrongpw = start_nginx(redis => { %$locked, password => 'wrong' },
                          http => $http);
$res = api(GET => '/projects', key => $pkey->{key}, nginx => $wrongpw);
unavailable($res, 'a wrong djass_redis_password');
ok(wait_until(sub { nginx_error_log($wrongpw) =~ /refused AUTH/ }, 5),
   'a wrong password is logged');
unlike(nginx_error_log($wrongpw), qr/wrong/, 'the password is not logged');

my $sock = temp_dir('sock') . '/redis.sock';
my $unix = start_redis(args => ['--unixsocket', $sock,
                                '--unixsocketperm', '700']);
my $ukey = make_key($unix, legacy => 1);
my $viaunix = start_nginx(redis => { addr => "unix:$sock" }, http => $http);
$res = api(GET => '/projects', key => $ukey->{key}, nginx => $viaunix);
is($res->{status}, 200, 'djass_redis unix:/path works');

# --- configuration errors ---------------------------------------------------

my ($rc, $out) = nginx_test_config(redis => { addr => 'no-such-host.invalid' });
isnt($rc, 0, 'an unresolvable djass_redis fails nginx -t');
like($out, qr/djass_redis/, 'nginx -t names djass_redis');

done_testing();
