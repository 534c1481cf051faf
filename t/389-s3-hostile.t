# An S3 store that is not a good S3 store, and an operator's slips: the
# worker against a fake store (a Perl server in this file, no SeaweedFS)
# whose answers the test chooses request by request.
#
# - a store (a proxy, a captive portal) answering 200 with HTML to
#   everything: no project turns ready on its word, the job waits;
# - a redirect (301 PermanentRedirect: a wrong endpoint or region), an
#   expired session token (400 ExpiredToken): the jobs wait, as on 403,
#   never failed, and end ready once the store is right;
# - the store's error code with a newline: no forged line in the log;
# - a prefix or an endpoint path with a "." or ".." segment: refused at
#   start (libcurl removes them: the key signed is not the key sent);
# - a credentials file every user may read: refused at start;
# - the environment's secrets: no hook (same user) reads them from
#   /proc/PID/environ of any worker process.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Path qw(make_path);
use IO::Socket::INET;
use POSIX ();
use Djass::Test;
use Djass::Jobs;
use Djass::Build qw(bin repo_dir sanitize_on asan_env run_wrapped);

my $dir = temp_dir('s3-389');
my $secret = 'hostile389-' . $$ . '-secret';

# --- the fake store -----------------------------------------------------------
my $port = free_port();
my $mode_file = "$dir/mode";
my $objects = "$dir/objects";
make_path($objects);

sub mode { open my $fh, '>', "$mode_file.new" or die $!; print $fh $_[0];
           close $fh; rename "$mode_file.new", $mode_file or die $! }
mode('ok');

my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $port, Listen => 16, ReuseAddr => 1) or die "listen: $!";

sub answer {
    my ($c, $status, $head, $body, $len) = @_;
    $len //= length $body;
    print $c "HTTP/1.1 $status\r\nContent-Length: $len\r\n$head"
           . "Connection: close\r\n\r\n$body";
}

my $store = fork // die "fork: $!";
if ($store == 0) {
    while (my $c = $listen->accept) {
        local $/ = "\r\n\r\n";
        my $req = <$c> // next;
        my ($method, $path) = $req =~ /^(\S+) (\S+)/;
        my ($n) = $req =~ /^Content-Length: (\d+)/mi;
        my $body = '';
        while ($n && length $body < $n) {
            read($c, $body, $n - length $body, length $body) or last;
        }
        (my $file = $path) =~ s{[^A-Za-z0-9.]}{_}g;
        open my $m, '<', $mode_file; my $mode = <$m>; close $m;
        my $xml = sub { "<?xml version=\"1.0\"?><Error><Code>$_[0]</Code>"
                        . "<Message>no</Message></Error>" };
        my $x = 'Content-Type: application/xml' . "\r\n";
        if ($mode eq 'portal') {
            answer($c, '200 OK', "Content-Type: text/html\r\n",
                   $method eq 'HEAD' ? '' : '<html>Sign in</html>', 20);
        } elsif ($mode eq 'redirect') {
            answer($c, '301 Moved Permanently', $x
                   . "Location: http://127.0.0.1:1/elsewhere\r\n",
                   $xml->('PermanentRedirect'));
        } elsif ($mode eq 'expired') {
            answer($c, '400 Bad Request', $x, $xml->('ExpiredToken'));
        } elsif ($mode eq 'inject') {
            answer($c, '403 Forbidden', $x, $xml->("Access\nFORGED389 line"));
        } elsif ($mode eq 'err500') {
            answer($c, '500 Internal Server Error', $x,
                   $xml->('InternalError'));
        } elsif ($mode eq 'twocl' && -e "$objects/$file") {
            answer($c, '200 OK', "Content-Length: 5\r\n", '',
                   -s "$objects/$file");
            open my $o, '<', "$objects/$file" or die $!;
            local $/;
            print $c scalar <$o>;
        } elsif ($method eq 'PUT') {
            open my $o, '>', "$objects/$file" or die $!;
            print $o $body;
            close $o;
            answer($c, '200 OK', "ETag: \"1\"\r\n", '');
        } elsif ($method eq 'HEAD' && -e "$objects/$file") {
            answer($c, '200 OK', '', '', -s "$objects/$file");
        } elsif ($method eq 'GET' && -e "$objects/$file") {
            open my $o, '<', "$objects/$file" or die $!;
            local $/;
            answer($c, '200 OK', "Content-Type: application/zip\r\n",
                   scalar <$o>);
        } else {
            answer($c, '404 Not Found', $x, $xml->('NoSuchKey'));
        }
        close $c;
    }
    POSIX::_exit(0);
}
close $listen;
END { kill 'KILL', $store if $store }

# --- 1. "." and ".." in the prefix or the endpoint's path -------------------
for my $c (['s3://djass-b/a/..', 'http://127.0.0.1:1', 'prefix'],
           ['s3://djass-b/./a', 'http://127.0.0.1:1', 'prefix'],
           ['s3://djass-b/a/./b/', 'http://127.0.0.1:1', 'prefix'],
           ['s3://djass-b/a/..x/b', 'http://127.0.0.1:1/s3/..', 'endpoint']) {
    my @cmd = ('timeout', '10', bin('djass-worker'), '--redis', '127.0.0.1:1',
               '--template', repo_dir() . '/template', '--artifacts', $c->[0],
               '--s3-region', 'us-east-1', '--s3-endpoint', $c->[1]);
    local $ENV{AWS_ACCESS_KEY_ID} = 'AKID389';
    local $ENV{AWS_SECRET_ACCESS_KEY} = $secret;
    my $out = `'@{[ join("' '", @cmd) ]}' 2>&1`;
    is($? >> 8, 2, "--artifacts $c->[0] --s3-endpoint $c->[1]: exit 2");
    like($out, qr/the S3 \Q$c->[2]\E\S* (?:path )?is not usable/,
         '... the ' . $c->[2] . ' is not usable') or diag($out);
    unlike($out, qr/\Q$secret\E/, '... and the secret is not shown');
}

# --- 1b. a credentials file every user may read ------------------------------
{
    open my $cf, '>', "$dir/open.env" or die $!;
    print $cf "AWS_ACCESS_KEY_ID=AKID389\nAWS_SECRET_ACCESS_KEY=$secret\n";
    close $cf;
    chmod 0644, "$dir/open.env";
    my $out = `timeout 10 '@{[ bin('djass-worker') ]}' --redis 127.0.0.1:1 --template '@{[ repo_dir() ]}/template' --artifacts s3://djass-b/p --s3-region us-east-1 --s3-credentials '$dir/open.env' 2>&1`;
    is($? >> 8, 2, 'a credentials file of mode 0644: exit 2');
    like($out, qr/readable or writable by every user \(mode 0644\)/,
         '... it says so') or diag($out);
    unlike($out, qr/\Q$secret\E/, '... without the secret');
}

# --- the worker: a template whose hook looks for the secret everywhere --------
my $tpl = "$dir/template";
make_path("$tpl/hooks", "$tpl/{{cookiecutter.project_slug}}");
open my $j, '>', "$tpl/cookiecutter.json" or die $!;
print $j '{"project_name": "Hostile", "project_slug": "hostile"}';
close $j;
open my $r, '>', "$tpl/{{cookiecutter.project_slug}}/README.md" or die $!;
print $r "{{ cookiecutter.project_name }}\n";
close $r;
open my $h, '>', "$tpl/hooks/pre_gen_project.sh" or die $!;
print $h <<"SH";
#!/bin/sh
# every environ this user may read, the worker's among them
n=0
for f in /proc/[0-9]*/environ; do
    if tr '\\0' '\\n' < "\$f" 2>/dev/null | grep -q '$secret'; then
        n=\$((n + 1))
    fi
done
echo "\$n" > LEAK.txt
SH
close $h;
chmod 0755, "$tpl/hooks/pre_gen_project.sh";

my $redis = start_redis();
my $k = make_key($redis);

# as root every /proc/PID/environ is readable: the worker and the reader
# are then nobody, as a worker and its hooks are under their own user
my @as = $> == 0 ? ('setpriv', '--reuid=65534', '--regid=65534',
                    '--clear-groups', '--') : ();
my $work = temp_dir('work-389');
if (@as) {
    chmod 0755, temp_dir(), $dir, $tpl, "$tpl/hooks",
          "$tpl/{{cookiecutter.project_slug}}";
    chmod 0777, $work;
}
my $w = Djass::Test::spawn('worker-389',
    { (sanitize_on() ? asan_env() : ()),
      AWS_ACCESS_KEY_ID => 'AKID389', AWS_SECRET_ACCESS_KEY => $secret },
    @as, run_wrapped(bin('djass-worker'), '--redis', $redis->{addr},
                     '--template', $tpl, '--artifacts', 's3://djass-b/p389',
                     '--s3-endpoint', "http://127.0.0.1:$port",
                     '--s3-region', 'us-east-1', '--work-dir', $work, '-v'));
$w->{kind} = 'worker';
$w->{stop_signal} = 'TERM';

sub status { project($redis, $_[0])->{status} // '' }

# --- 2. /proc/PID/environ of the worker ---------------------------------------
ok(wait_until(sub { worker_log($w) =~ /starting:/ }, 30), 'the worker starts')
    or diag(worker_log($w));
{
    my $env = `@as cat /proc/$w->{pid}/environ 2>/dev/null`;
    unlike($env, qr/\Q$secret\E/,
           'another process of the user does not read the worker\'s '
           . '/proc/PID/environ');
}

# --- 3. a ready project, and what its hook could read -------------------------
{
    my $id = enqueue_project($redis, profile => $k->{profile});
    ok(wait_status($redis, $id, 'ready', 30), 'a good store: ready')
        or diag(worker_log($w));
    my ($zip) = glob("$objects/*$id.zip");
    ok($zip, '... the ZIP is in the store');
    my $e = $zip ? zip_entries($zip) : {};
    my ($leak) = grep { m{/LEAK\.txt$} } keys %$e;
    is($leak ? $e->{$leak} : 'none', "0\n",
       '... its hook found the secret in no /proc/PID/environ');
}

# --- 4. answers that are not the store's word ---------------------------------
my @cases = (
    [ 'portal', '200 with HTML to the PUT and the HEAD',
      qr/holds 20 bytes instead of/ ],
    [ 'redirect', '301 PermanentRedirect', qr/HTTP 301 \(PermanentRedirect\)/ ],
    [ 'expired', '400 ExpiredToken', qr/HTTP 400 \(ExpiredToken\)/ ],
    [ 'inject', '403 with a newline in its code', qr/HTTP 403 \(Access/ ],
);
for my $c (@cases) {
    my ($mode, $what, $logged) = @$c;
    mode($mode);
    my $id = enqueue_project($redis, profile => $k->{profile},
                             payload => { project_name => "Hostile $mode" });
    ok(wait_until(sub { worker_log($w) =~ $logged }, 30),
       "$what: the worker logs it") or diag(worker_log($w));
    sleep 2;
    my $st = status($id);
    ok($st ne 'ready' && $st ne 'failed',
       "... project $id waits (neither ready nor failed): $st")
        or diag(project($redis, $id)->{error_message} // '');
    mode('ok');
    ok(wait_status($redis, $id, 'ready', 30),
       '... and is ready once the store is right') or diag(worker_log($w));
}

unlike(worker_log($w), qr/^FORGED389/m,
       'the store\'s code cannot start a line of the worker\'s log');
like(worker_log($w), qr/\(Access\?FORGED389\?line\)/,
     '... its newline is shown as ?');
unlike(worker_log($w), qr/\Q$secret\E/, 'no secret in the worker\'s log');

stop_process($w);

# --- 5. nginx's downloads from the same store ---------------------------------
{
    open my $cf, '>', "$dir/creds.env" or die $!;
    print $cf "AWS_ACCESS_KEY_ID=AKID389\nAWS_SECRET_ACCESS_KEY=$secret\n";
    close $cf;
    chmod 0600, "$dir/creds.env";
    my $n = start_nginx(redis => $redis,
        http => "djass_s3_endpoint http://127.0.0.1:$port;\n"
                . "    djass_s3_region us-east-1;\n"
                . "    djass_s3_credentials $dir/creds.env;",
        conf => sub {
            my $c = shift;
            $c =~ s{djass_artifacts /_djass_artifacts/;}
                   {djass_artifacts s3://djass-b/p389/;};
            $c =~ s{location /_djass_artifacts/ \{.*?\}}{}s;
            return $c;
        });
    my $sets = status_sets($redis, $k->{profile});
    my $id = $sets->{ready}[0];
    my ($zip) = glob("$objects/*_$id.zip");
    my $want = do { local (@ARGV, $/) = ($zip); <> };
    sub get { api(GET => "/projects/$_[0]/download", key => $k->{key}) }

    mode('ok');
    my $res = get($id);
    is($res->{status}, 200, 'nginx: a good store, 200');
    ok($res->{content} eq $want, '... the object\'s bytes');

    for my $c (['portal', '200 with an HTML page', 503],
               ['redirect', '301 with a Location', 500],
               ['err500', '500 InternalError', 503],
               ['twocl', 'two Content-Length headers', 503]) {
        my ($mode, $what, $status) = @$c;
        mode($mode);
        $res = get($id);
        is($res->{status}, $status, "nginx, the store answers $what: "
                                    . "$status") or diag($res->{content});
        is($res->{json}{error}{code} // '',
           $status == 503 ? 'retryable_error' : 'internal_error',
           '... in the envelope');
        ok(!$res->{headers}{location}, '... no Location');
        unlike($res->{content}, qr/^PK|<html/, '... none of the store\'s '
                                               . 'bytes');
    }
    is(get($id)->{headers}{'retry-after'}, 1, 'a 503 says Retry-After')
        if mode('err500') || 1;
    mode('ok');
    like(nginx_error_log($n), qr/S3 store answered 301 /,
         'nginx logs the redirect');
    like(nginx_error_log($n), qr/S3 store answered an HTML page/,
         '... the HTML page');
    like(nginx_error_log($n), qr/S3 store sent two Content-Length/,
         '... and the two lengths');
    unlike(nginx_error_log($n), qr/\Q$secret\E|Signature=/,
           'no secret in nginx\'s log');
}

done_testing();
