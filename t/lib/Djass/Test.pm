package Djass::Test;

# The test harness: real processes on real sockets.
#
#   my $redis = start_redis();
#   my $nginx = start_nginx(redis => $redis, http => '...', location => '...');
#   my $res = api(GET => '/projects', key => $key);   # decoded JSON in {json}
#
# nginx is Debian's /usr/sbin/nginx or DJASS_NGINX, with the module that
# Djass::Build's module_so names.
# Every process started here is stopped when the test file ends, and the
# file fails if nginx's error log holds an [alert], [crit] or [emerg] line
# or a sanitizer report.

use strict;
use warnings;
use Exporter 'import';
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Select;
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use Test::More;
use Djass::Build qw(repo_dir build_dir bin run_wrapped valgrind_on
                    sanitize_on asan_env nginx_bin module_so other_nginx
                    skip_or_fail);

our @EXPORT = qw(start_redis start_nginx start_worker stop_process
                 redis_cli djassctl make_key api http_request base_url
                 raw_http parse_responses set_project_status
                 free_port wait_port temp_dir json_decode json_encode
                 check_error_log nginx_error_log run_cases
                 nginx_test_config
                 wait_until wait_replica redis_addr repo_dir build_dir bin
                 nginx_bin module_so other_nginx skip_or_fail);

my @procs;         # { pid, name, kind, stop_signal }
my $owner = $$;    # the test file's process, not a child it forks
my $tmp_root;
my $nginx_ctx;     # the last nginx started, for api()

my $json = JSON::PP->new->utf8->canonical;

sub json_decode { my $t = shift; my $v = eval { $json->decode($t) }; $v }
sub json_encode { $json->encode(shift) }

sub temp_dir {
    $tmp_root //= do {
        my $base = build_dir() . '/t';
        make_path($base);
        tempdir('run-XXXXXX', DIR => $base, CLEANUP => !$ENV{DJASS_KEEP});
    };
    return $tmp_root unless @_;
    my $d = "$tmp_root/$_[0]";
    make_path($d);
    return $d;
}

# a port nothing listens on now, below the kernel's ephemeral range
# (net.ipv4.ip_local_port_range), so that no outgoing connection of this
# machine takes it between the choice and the listener's bind; never the
# same port twice in one test process
my %ports_given;
sub free_port {
    my ($lo) = _ephemeral_low();
    my $span = $lo - 10000;
    for (1 .. 500) {
        my $port = 10000 + int(rand($span));
        next if $ports_given{$port};
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                      LocalPort => $port, Proto => 'tcp',
                                      ReuseAddr => 1) or next;
        close $s;
        $ports_given{$port} = 1;
        return $port;
    }
    die "no free port below $lo";
}

sub _ephemeral_low {
    my $lo = 32768;
    if (open my $fh, '<', '/proc/sys/net/ipv4/ip_local_port_range') {
        my ($l) = split ' ', (<$fh> // '');
        $lo = $l if defined $l && $l =~ /^\d+$/ && $l > 12000;
    }
    return $lo;
}

sub wait_port {
    my ($port, $timeout) = @_;
    my $end = time + ($timeout // 10);
    while (time < $end) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port, Proto => 'tcp');
        if ($s) { close $s; return 1 }
        sleep 0.05;
    }
    return 0;
}

sub wait_until {
    my ($cond, $timeout, $step) = @_;
    my $end = time + ($timeout // 10);
    while (time < $end) {
        return 1 if $cond->();
        sleep($step // 0.1);
    }
    return $cond->() ? 1 : 0;
}

sub spawn {
    my ($name, $env, @cmd) = @_;
    my $log = temp_dir('logs') . "/$name.out";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        setpgrp(0, 0);
        $ENV{$_} = $env->{$_} for keys %$env;
        exec @cmd or die "exec $cmd[0]: $!";
    }
    my $p = { pid => $pid, name => $name, log => $log, cmd => \@cmd };
    push @procs, $p;
    return $p;
}

# --- redis -----------------------------------------------------------------

sub start_redis {
    my (%o) = @_;
    my $port = $o{port} // free_port();
    my $dir = temp_dir("redis-$port");
    my @cmd = ('redis-server', '--port', $port, '--bind', '127.0.0.1',
               '--save', '', '--appendonly', 'no', '--dir', $dir,
               '--logfile', "$dir/redis.log",
               defined $o{password} ? ('--requirepass', $o{password}) : (),
               @{ $o{args} // [] });
    my $p = spawn("redis-$port", {}, @cmd);
    $p->{kind} = 'redis';
    $p->{port} = $port;
    $p->{addr} = "127.0.0.1:$port";
    $p->{args} = $o{args};
    $p->{password} = $o{password};
    wait_port($port, 10) or die "redis-server did not start on $port";
    my $end = time + 10;
    while (time < $end) {
        last if (redis_cli($p, 'PING') // '') eq 'PONG';
        sleep 0.05;
    }
    return $p;
}

sub redis_addr { $_[0]{addr} }

# A minimal RESP client: one command, one reply (arrays as array refs).
# A Redis started with a password is authenticated first.
sub redis_cli {
    my ($r, @cmd) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $r->{port}, Proto => 'tcp',
                                  Timeout => 5) or return undef;
    my $resp = sub {
        my $req = '*' . @_ . "\r\n";
        $req .= '$' . length($_) . "\r\n$_\r\n" for @_;
        return $req;
    };
    if (defined $r->{password}) {
        print $s $resp->('AUTH', $r->{password});
        _resp_read($s);
    }
    print $s $resp->(@cmd);
    my $v = _resp_read($s);
    close $s;
    return $v;
}

# the replica follows the master and the master streams to it: a write
# on the master is acknowledged by the replica.  (A replica synced
# diskless counts for WAIT at once, but the master streams writes to it
# only after its first REPLCONF ACK, up to a second later: a WAIT after a
# write until then answers 0.)
sub wait_replica {
    my ($master, $replica, $timeout) = @_;
    my $probe = 'test:replica-probe';
    my $ok = wait_until(sub {
        (redis_cli($replica, 'INFO', 'replication') // '')
            =~ /master_link_status:up/ or return 0;
        redis_cli($master, 'SET', $probe, time);
        my $info = redis_cli($master, 'INFO', 'replication') // '';
        my ($want) = $info =~ /^master_repl_offset:(\d+)/m;
        return wait_until(sub {
            my $i = redis_cli($master, 'INFO', 'replication') // '';
            my ($acked) = $i =~ /^slave0:.*\boffset=(\d+)/m;
            return defined $acked && defined $want && $acked >= $want;
        }, 3, 0.05);
    }, $timeout // 15, 0.05);
    redis_cli($master, 'DEL', $probe);
    return $ok;
}

sub _resp_read {
    my ($s) = @_;
    my $line = <$s>;
    return undef unless defined $line;
    $line =~ s/\r\n$//;
    my ($t, $rest) = (substr($line, 0, 1), substr($line, 1));
    return $rest if $t eq '+';
    return "ERR:$rest" if $t eq '-';
    return 0 + $rest if $t eq ':';
    if ($t eq '$') {
        return undef if $rest < 0;
        my $buf = '';
        while (length($buf) < $rest + 2) {
            my $n = read($s, $buf, $rest + 2 - length($buf), length($buf));
            last unless $n;
        }
        return substr($buf, 0, $rest);
    }
    if ($t eq '*') {
        return undef if $rest < 0;
        return [ map { _resp_read($s) } 1 .. $rest ];
    }
    die "bad RESP reply: $line";
}

# --- djassctl --------------------------------------------------------------

# Runs djassctl against $redis; returns (exit code, stdout, stderr).
sub djassctl {
    my ($redis, @args) = @_;
    my $dir = temp_dir('ctl');
    my ($out, $err) = ("$dir/out", "$dir/err");
    my @cmd = run_wrapped(bin('djassctl'), '--redis', $redis->{addr},
                          defined $redis->{password}
                          ? ('--password', $redis->{password}) : (),
                          @args);
    my $pid = fork;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out;
        open STDERR, '>', $err;
        exec @cmd or exit 127;
    }
    waitpid($pid, 0);
    my $rc = $? >> 8;
    my $slurp = sub { local (@ARGV, $/) = @_; my $t = <>; $t // '' };
    return ($rc, $slurp->($out), $slurp->($err));
}

# A profile and a key in one call: returns { profile, key }.
sub make_key {
    my ($redis, %o) = @_;
    my ($rc, $pid) = djassctl($redis, 'profile', 'create',
                              '--email', $o{email} // 'dev@example.test',
                              defined $o{quota} ? ('--quota', $o{quota}) : ());
    die "djassctl profile create failed" if $rc;
    chomp $pid;
    my @key = ('key', 'create', '--profile', $pid);
    push @key, '--scopes', $o{scopes} if defined $o{scopes};
    push @key, '--legacy' if $o{legacy};
    push @key, '--name', $o{name} if defined $o{name};
    push @key, '--expires-in', $o{expires_in} if defined $o{expires_in};
    my ($rc2, $key) = djassctl($redis, @key);
    die "djassctl key create failed" if $rc2;
    chomp $key;
    return { profile => $pid, key => $key };
}

# --- nginx -----------------------------------------------------------------

# start_nginx(redis => $r, http => 'extra http lines',
#             location => 'extra lines in /api/v1/', server => '...',
#             template => DIR, artifacts => DIR, main => '...')
sub _nginx_setup {
    my (%o) = @_;
    my $port = $o{port} // free_port();
    my $prefix = temp_dir("nginx-$port");
    make_path("$prefix/logs", "$prefix/conf");
    my $artifacts = $o{artifacts} // temp_dir('artifacts');
    my $template = $o{template} // repo_dir() . '/template';
    my $module = module_so();
    my $vg = valgrind_on();
    my $user = $> == 0 ? 'user root;' : '';
    my $redis = $o{redis} ? "djass_redis $o{redis}{addr};" : '';
    $redis .= ' djass_redis_password "'
              . ($o{redis}{password} =~ s/(["\\])/\\$1/gr) . '";'
        if $o{redis} && defined $o{redis}{password};
    # tls => 1: a second listener, TLS with HTTP/2, on $nginx->{tls_port}
    my $tls = $o{tls} ? _tls_listen($prefix, nginx_bin()) : {};
    my $workers = $vg ? '' : 'worker_processes ' . ($o{workers} // 1) . ';';
    my $master = $vg ? 'master_process off;' : '';
    my $conf = <<"CONF";
load_module $module;
daemon off;
$master
$workers
$user
error_log $prefix/logs/error.log info;
pid $prefix/logs/nginx.pid;
env ASAN_OPTIONS;
env UBSAN_OPTIONS;
@{[ $o{main} // '' ]}
events { worker_connections 1024; }
http {
    access_log $prefix/logs/access.log;
    client_body_temp_path $prefix/body;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
    $redis
    djass_template $template;
    @{[ $o{http} // '' ]}
    server {
        listen 127.0.0.1:$port;
        @{[ $tls->{conf} // '' ]}
        location /api/v1/ {
            djass_api;
            djass_artifacts /_djass_artifacts/;
            @{[ $o{location} // '' ]}
        }
        location /_djass_artifacts/ {
            internal;
            alias $artifacts/;
        }
        @{[ $o{server} // '' ]}
    }
}
CONF
    $conf = $o{conf}->($conf) if $o{conf};
    open my $fh, '>', "$prefix/conf/nginx.conf" or die $!;
    print $fh $conf;
    close $fh;

    my %env;
    my @cmd = (nginx_bin(), '-p', $prefix, '-c',
               "$prefix/conf/nginx.conf", '-e', "$prefix/logs/error.log");
    if (sanitize_on()) {
        %env = (asan_env(), LD_PRELOAD => asan_preload());
        # nginx's own allocations at exit are not ours to chase
        $env{ASAN_OPTIONS} .= ':detect_leaks=0';
    }
    return { port => $port, prefix => $prefix, artifacts => $artifacts,
             conf => $conf, cmd => \@cmd, env => \%env,
             tls_port => $tls->{port} };
}

# a TLS + HTTP/2 listener with a self-signed certificate made in the
# prefix: "listen ... ssl http2" before nginx 1.25.1, "http2 on" from it
sub _tls_listen {
    my ($prefix, $nginx_bin) = @_;
    my $port = free_port();
    my $cmd = 'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256'
              . " -nodes -days 2 -subj /CN=localhost"
              . " -out $prefix/conf/cert.pem -keyout $prefix/conf/key.pem";
    my $out = `$cmd 2>&1`;
    die "openssl could not make a certificate: $out" if $?;
    my @v = `$nginx_bin -v 2>&1` =~ m{nginx/(\d+)\.(\d+)\.(\d+)}
        or die "no version from $nginx_bin -v";
    my $new = sprintf('%03d%03d%03d', @v) ge '001025001';
    my $listen = $new ? "listen 127.0.0.1:$port ssl; http2 on;"
                      : "listen 127.0.0.1:$port ssl http2;";
    return { port => $port, conf => "$listen
        ssl_certificate $prefix/conf/cert.pem;
        ssl_certificate_key $prefix/conf/key.pem;" };
}

# nginx -t on a generated configuration: returns (exit code, output).
sub nginx_test_config {
    my (%o) = @_;
    my $n = _nginx_setup(%o);
    my $out = "$n->{prefix}/logs/t.out";
    my $pid = fork;
    if ($pid == 0) {
        $ENV{$_} = $n->{env}{$_} for keys %{ $n->{env} };
        open STDOUT, '>', $out;
        open STDERR, '>&', \*STDOUT;
        exec @{ $n->{cmd} }, '-t' or exit 127;
    }
    waitpid($pid, 0);
    my $rc = $? >> 8;
    local (@ARGV, $/) = ($out);
    return ($rc, scalar <>);
}

sub start_nginx {
    my (%o) = @_;
    my $n = _nginx_setup(%o);
    my $vg = valgrind_on();
    my @cmd = @{ $n->{cmd} };
    if ($vg) {
        @cmd = ('valgrind', '-q', '--error-exitcode=99',
                '--leak-check=full', '--errors-for-leak-kinds=definite',
                '--show-leak-kinds=definite',
                '--suppressions=' . repo_dir() . '/t/valgrind.supp',
                "--log-file=$n->{prefix}/logs/valgrind.log", @cmd);
    }
    my $p = spawn("nginx-$n->{port}", $n->{env}, @cmd);
    $p->{$_} = $n->{$_} for qw(port prefix artifacts conf tls_port);
    $p->{kind} = 'nginx';
    $p->{stop_signal} = 'QUIT';
    if (!wait_port($n->{port}, $vg ? 60 : 10)) {
        my $log = nginx_error_log($p);
        die "nginx did not start on $n->{port}:\n$log";
    }
    $nginx_ctx = $p;
    return $p;
}

sub asan_preload {
    my @libs;
    for my $lib ('libasan.so', 'libubsan.so') {
        my $path = `gcc -print-file-name=$lib`;
        chomp $path;
        push @libs, $path if $path =~ m{^/} && -e $path;
    }
    return join(':', @libs);
}

sub nginx_error_log {
    my ($p) = @_;
    my $f = "$p->{prefix}/logs/error.log";
    return '' unless -e $f;
    local (@ARGV, $/) = ($f);
    return <>;
}

sub base_url {
    my ($p) = @_;
    $p //= $nginx_ctx;
    return "http://127.0.0.1:$p->{port}/api/v1";
}

# --- worker ----------------------------------------------------------------

sub start_worker {
    my (%o) = @_;
    my @cmd = (bin('djass-worker'), '--redis', $o{redis}{addr},
               '--template', $o{template} // repo_dir() . '/template',
               '--artifacts', $o{artifacts}, @{ $o{args} // [] });
    my %env = (sanitize_on() ? asan_env() : (), %{ $o{env} // {} });
    my $p = spawn('worker-' . (scalar @procs), \%env, run_wrapped(@cmd));
    $p->{kind} = 'worker';
    $p->{stop_signal} = 'TERM';
    return $p;
}

# --- HTTP ------------------------------------------------------------------

my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 0,
                           max_redirect => 0);

# http_request(METHOD, URL, headers => {}, body => '...') -> response hash
sub http_request {
    my ($method, $url, %o) = @_;
    my $res = $http->request($method, $url, {
        headers => $o{headers} // {},
        defined $o{body} ? (content => $o{body}) : (),
    });
    $res->{json} = json_decode($res->{content})
        if ($res->{headers}{'content-type'} // '') =~ m{application/json};
    return $res;
}

# api(GET => '/projects', key => K, headers => {}, json => {...}, body => '')
sub api {
    my ($method, $path, %o) = @_;
    my %h = %{ $o{headers} // {} };
    $h{'X-API-Key'} = $o{key} if defined $o{key};
    my $body = $o{body};
    if (exists $o{json}) {
        $body = ref $o{json} ? json_encode($o{json}) : $o{json};
        $h{'Content-Type'} //= 'application/json';
    }
    my $url = base_url($o{nginx}) . $path;
    return http_request($method, $url, headers => \%h, body => $body);
}

# Table-driven cases: each { name, method, path, key, headers, json,
# status, code (error.code), like => { header => qr// }, check => sub }.
sub run_cases {
    my (@cases) = @_;
    for my $c (@cases) {
        my $res = api($c->{method} // 'GET', $c->{path}, %$c);
        my $name = $c->{name};
        is($res->{status}, $c->{status}, "$name: HTTP $c->{status}")
            or diag($res->{content});
        if (defined $c->{code}) {
            is($res->{json}{error}{code}, $c->{code},
               "$name: error.code is $c->{code}");
        }
        for my $h (sort keys %{ $c->{like} // {} }) {
            like($res->{headers}{lc $h} // '', $c->{like}{$h},
                 "$name: header $h");
        }
        $c->{check}->($res) if $c->{check};
    }
}

# --- raw HTTP --------------------------------------------------------------

# raw_http($nginx, $bytes, close_after => seconds, wait => seconds):
# writes the bytes on one connection and reads until nginx closes it or
# `wait` seconds pass; returns what was read.  With close_after, the
# client hangs up that many seconds after writing, reading nothing.
sub raw_http {
    my ($p, $bytes, %o) = @_;
    $p //= $nginx_ctx;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $p->{port}, Proto => 'tcp',
                                  Timeout => 5) or die "connect: $!";
    binmode $s;
    print $s $bytes;
    if (defined $o{close_after}) {
        sleep $o{close_after};
        close $s;
        return '';
    }
    my $buf = '';
    my $end = time + ($o{wait} // 10);
    my $sel = IO::Select->new($s);
    while (time < $end) {
        last unless $sel->can_read($end - time);
        my $n = sysread($s, $buf, 65536, length $buf);
        last unless $n;
        last if $o{until} && $o{until}->($buf);
    }
    close $s;
    return $buf;
}

# Splits a byte stream of HTTP/1.1 responses (Content-Length bodies) into
# [{ status, headers => {lowercase => value}, body, json }]; head => 1 for
# answers to HEAD (no body), raw => 1 to leave the JSON undecoded.
sub parse_responses {
    my ($buf, %o) = @_;
    my @out;
    while ($buf =~ s/\AHTTP\/1\.[01] (\d+)[^\r]*\r\n((?:[^\r]+\r\n)*)\r\n//) {
        my ($status, $head) = ($1, $2);
        my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1 => $2) : () }
                split /\r\n/, $head;
        my $len = $o{head} ? 0 : ($h{'content-length'} // 0);
        my $body = substr($buf, 0, $len, '');
        push @out, { status => $status, headers => \%h, body => $body,
                     $o{raw} ? () : (json => json_decode($body)) };
    }
    return @out;
}

# --- project records -------------------------------------------------------

# Moves a project to a status as the worker would (record and per-status
# index in one MULTI), with extra fields: set_project_status($redis, $id,
# 'ready', artifact => '1/acme.zip', finished_at => time).
sub set_project_status {
    my ($redis, $id, $status, %f) = @_;
    my $rec = "djass:project:$id";
    my $profile = redis_cli($redis, 'HGET', $rec, 'profile');
    die "no project $id" unless defined $profile;
    my $old = redis_cli($redis, 'HGET', $rec, 'status');
    redis_cli($redis, 'ZREM', "djass:profile:$profile:projects:$old", $id);
    redis_cli($redis, 'ZADD', "djass:profile:$profile:projects:$status",
              $id, $id);
    redis_cli($redis, 'HSET', $rec, 'status', $status,
              'updated_at', int(time), %f);
}

# --- teardown --------------------------------------------------------------

sub stop_process {
    my ($p, $signal) = @_;
    return unless $p->{pid};
    kill($signal // $p->{stop_signal} // 'TERM', $p->{pid});
    my $end = time + (valgrind_on() ? 60 : 15);
    while (time < $end) {
        my $r = waitpid($p->{pid}, WNOHANG);
        if ($r == $p->{pid}) { $p->{status} = $?; last }
        sleep 0.05;
    }
    if (!defined $p->{status}) {
        kill 'KILL', -$p->{pid};
        kill 'KILL', $p->{pid};
        waitpid($p->{pid}, 0);
        $p->{status} = $?;
        $p->{killed} = 1;
    }
    $p->{pid} = 0;
    return $p->{status};
}

sub check_error_log {
    my ($p) = @_;
    my $log = nginx_error_log($p);
    my @bad = grep { /\[(alert|crit|emerg)\]/ || /AddressSanitizer|runtime error:|LeakSanitizer/ }
              split /\n/, $log;
    ok(!@bad, "nginx error log on port $p->{port} holds no alert, crit, "
              . "emerg or sanitizer report")
        or diag(join("\n", @bad));
    my $vg = "$p->{prefix}/logs/valgrind.log";
    if (-s $vg) {
        local (@ARGV, $/) = ($vg);
        my $t = <>;
        ok(0, "valgrind found no error in nginx") or diag($t);
    }
}

sub _asan_reports {
    my @f = glob(build_dir() . '/asan.log.*');
    return unless @f;
    for my $f (@f) {
        local (@ARGV, $/) = ($f);
        my $t = <>;
        ok(0, "sanitizer report in $f") or diag($t);
        unlink $f;
    }
}

sub _teardown {
    # workers first, then nginx, then redis
    my %order = (worker => 0, nginx => 1, redis => 2);
    for my $p (sort { ($order{$a->{kind} // ''} // 0)
                      <=> ($order{$b->{kind} // ''} // 0) } @procs) {
        next unless $p->{pid};
        stop_process($p);
        check_error_log($p) if ($p->{kind} // '') eq 'nginx';
    }
    _asan_reports() if sanitize_on();
}

# Test::More's done_testing runs before END blocks: check there.
{
    no warnings 'redefine';
    my $orig = \&Test::More::done_testing;
    *Djass::Test::done_testing = sub {
        _teardown();
        $orig->(@_);
    };
    push @EXPORT, 'done_testing';
}

END {
    # what a file started and did not stop (it died, or left it to us):
    # each process with its group (spawn() made one), so that an nginx
    # master's workers do not outlive it.  Not in a child the file forked:
    # its exit must not stop the file's processes under it.
    return unless $$ == $owner;
    for my $p (@procs) {
        next unless $p->{pid};
        kill 'KILL', -$p->{pid};
        kill 'KILL', $p->{pid};
        waitpid($p->{pid}, 0);
    }
}

1;
