# What an attacker tried and what must hold: a body left unread is never
# parsed as the next request (no smuggling on any path or method); every
# non-2xx under the API prefix is the envelope as JSON, nginx's own early
# errors (400, 405, 412, 414, 501) included; every string written is
# valid UTF-8; conditional and range outcomes of a download reach the
# client as themselves; fields are bounded by what they feed; query values
# are decoded alike; a create answered 503 after the deadline says that it
# may have been applied.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use Encode qw(decode FB_CROAK);
use Djass::Test;

my $redis = start_redis(args => ['--enable-debug-command', 'yes']);
my $nginx = start_nginx(redis => $redis,
                        http => 'djass_redis_timeout 500ms;');
my $K = make_key($redis, legacy => 1)->{key};

sub envelope_ok {
    my ($r, $name, $status, $code) = @_;
    is($r->{status}, $status, "$name: HTTP $status") or diag $r->{body};
    like($r->{headers}{'content-type'} // '', qr{^application/json},
         "$name: Content-Type is application/json");
    my $j = json_decode($r->{body} // $r->{content} // '');
    my $e = $j && $j->{error};
    ok($e && ref $e->{details} eq 'HASH' && defined $e->{category}
       && JSON::PP::is_bool($e->{retryable}),
       "$name: the body is the error envelope");
    is($e && $e->{code}, $code, "$name: error.code is $code") if $code;
    return $e;
}

# --- 1. request smuggling ----------------------------------------------------

# the attacker's body is a request line and an open header; the victim's
# request follows on the same connection.  Unread, the body would become a
# request of its own carrying the victim's headers.
my $smuggled = "GET /api/v1/projects?limit=1 HTTP/1.1\r\nX-Ignore: ";
my $victim = "GET /api/v1/project-options HTTP/1.1\r\nHost: x\r\n"
           . "Connection: close\r\n\r\n";

my @smuggle = (
    [ POST   => '/api/v1/nothing',              404 ],
    [ POST   => '/api/v1/project-options',      405 ],
    [ POST   => '/api/v1/projects/1',           405 ],
    [ POST   => '/api/v1/projects/1/status',    405 ],
    [ POST   => '/api/v1/projects/1/download',  405 ],
    [ PUT    => '/api/v1/projects',             405 ],
    [ DELETE => '/api/v1/projects/1',           401 ],
    [ DELETE => '/api/v1/projects/1/status',    405 ],
    [ DELETE => '/api/v1/projects/abc',         404, $K ],
    [ PATCH  => '/api/v1/projects',             405 ],
    [ GET    => '/api/v1/projects',             401 ],
    [ GET    => '/api/v1/project-options',      200 ],
    [ GET    => '/api/v1/projects/abc',         404, $K ],
    [ POST   => '/api/v1/projects',             401 ],
);
for my $c (@smuggle) {
    my ($m, $path, $status, $key) = @$c;
    my $auth = $key ? "X-API-Key: $key\r\n" : '';
    for my $framing ('length', 'chunked') {
        my $head = "$m $path HTTP/1.1\r\nHost: x\r\n$auth";
        my $req = $framing eq 'length'
            ? $head . 'Content-Length: ' . length($smuggled) . "\r\n\r\n"
              . $smuggled
            : $head . "Transfer-Encoding: chunked\r\n\r\n"
              . sprintf('%x', length $smuggled) . "\r\n$smuggled\r\n0\r\n\r\n";
        my $out = raw_http($nginx, $req . $victim, wait => 5);
        my @r = parse_responses($out, raw => 1);
        my $name = "$m $path with a $framing body";
        is(scalar @r, 2, "$name: two answers, the body is no request")
            or diag $out;
        is($r[0]{status}, $status, "$name: the first answer is $status");
        is($r[1]{status}, 200,
           "$name: the victim's request is answered as itself");
        like($r[1]{body} // '', qr/"groups"/,
             "$name: the victim gets the catalog, not the attacker's list");
    }
}

# --- 4. nginx's own early errors are envelopes too --------------------------

sub raw1 {
    my ($bytes) = @_;
    my @r = parse_responses(raw_http($nginx, $bytes, wait => 5), raw => 1);
    return $r[0] // { status => 0, headers => {}, body => '' };
}

my $long = '/api/v1/projects/' . ('a' x 9000);
my @early = (
    [ 'two Authorization headers',
      "GET /api/v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
      . "Authorization: Bearer b\r\nConnection: close\r\n\r\n", 400 ],
    [ 'a NUL in the path',
      "GET /api/v1/projects\0x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      400 ],
    [ 'an obs-folded header',
      "GET /api/v1/projects HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n"
      . "Connection: close\r\n\r\n", 400 ],
    [ 'a lower-case method',
      "get /api/v1/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      400 ],
    [ 'a 9,000-character URI',
      "GET $long HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 414 ],
    [ 'TRACE',
      "TRACE /api/v1/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      405 ],
    [ 'TE: gzip',
      "POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
      . "Connection: close\r\n\r\n", 501 ],
    [ 'If-Match on /project-options',
      "GET /api/v1/project-options HTTP/1.1\r\nHost: x\r\nIf-Match: \"x\"\r\n"
      . "Connection: close\r\n\r\n", 412 ],
);
for my $c (@early) {
    my ($name, $bytes, $status) = @$c;
    envelope_ok(raw1($bytes), $name, $status);
}

# outside the API prefix nginx keeps its own pages
my $r = raw1("get /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
is($r->{status}, 400, 'outside the API prefix: a bad request is 400');
unlike($r->{headers}{'content-type'} // '', qr/json/,
       'outside the API prefix: nginx keeps its own page');

# --- 5. valid UTF-8 in every string ------------------------------------------

for my $path ('/projects/%ff%fe', '/projects/%c3%28', '/projects/%ed%a0%80',
              '/projects/%f4%90%80%80', '/projects/%c0%af') {
    my $res = api(GET => $path, key => $K);
    is($res->{status}, 404, "GET $path: 404");
    my $ok = eval { decode('UTF-8', $res->{content}, FB_CROAK); 1 };
    ok($ok, "GET $path: the body is valid UTF-8");
    ok($res->{json} && defined $res->{json}{error}{details}{project_id},
       "GET $path: the body is JSON with details.project_id");
}

# --- 6. conditional and range outcomes of a download -------------------------

my $res = api(POST => '/projects', key => $K,
              json => { project_name => 'Cond' });
my $id = $res->{json}{project}{id};
my $rel = sprintf('projects/%03d/%d.zip', $id % 1000, $id);
make_path("$nginx->{artifacts}/" . ($rel =~ s{/[^/]+$}{}r));
open my $fh, '>', "$nginx->{artifacts}/$rel" or die $!;
print $fh 'PK' . ("\0" x 98);
close $fh;
set_project_status($redis, $id, 'ready', finished_at => time,
                   artifact => $rel, artifact_size => 100);

$res = api(GET => "/projects/$id/download", key => $K);
is($res->{status}, 200, 'a ready download is 200');
my $etag = $res->{headers}{etag};
ok($etag, 'the download has an ETag');

$res = api(GET => "/projects/$id/download", key => $K,
           headers => { 'If-Match' => '"x"' });
envelope_ok({ %$res, body => $res->{content} }, 'If-Match that fails', 412);

$res = api(GET => "/projects/$id/download", key => $K,
           headers => { 'If-None-Match' => $etag });
is($res->{status}, 304, 'If-None-Match with the ETag is 304');
is($res->{content} // '', '', '304 has no body');

$res = api(GET => "/projects/$id/download", key => $K,
           headers => { 'Range' => 'bytes=500-' });
envelope_ok({ %$res, body => $res->{content} }, 'a range past the end', 416);

my $log = nginx_error_log($nginx);
unlike($log, qr/is the artifact store mounted/,
       'no false alarm about the artifact store in the error log');

# --- 7. fields bounded by what they feed -------------------------------------

run_cases(
    { name => 'a 300-character project name', method => 'POST',
      path => '/projects', key => $K, json => { project_name => 'n' x 300 },
      status => 400, code => 'invalid_payload',
      check => sub { is($_[0]{json}{error}{details}{field}, 'project_name',
                        '300-character name: details.field') } },
    { name => 'a name whose slug is too long', method => 'POST',
      path => '/projects', key => $K,
      json => { project_name => "\x{449}" x 150 },
      status => 400, code => 'invalid_project_slug',
      check => sub { is($_[0]{json}{error}{details}{field}, 'project_slug',
                        'slug too long: details.field') } },
    { name => 'a 243-character slug', method => 'POST',
      path => '/projects', key => $K,
      json => { project_name => 'x', project_slug => 's' x 243 },
      status => 400, code => 'invalid_project_slug',
      check => sub { is($_[0]{json}{error}{details}{field}, 'project_slug',
                        '243-character slug: details.field') } },
    { name => 'a 20,000-byte description', method => 'POST',
      path => '/projects', key => $K,
      json => { project_name => 'x', project_description => 'd' x 20000 },
      status => 400, code => 'invalid_payload',
      check => sub { is($_[0]{json}{error}{details}{field},
                        'project_description', 'long description: field') } },
    { name => 'a 200-character name is accepted', method => 'POST',
      path => '/projects', key => $K, json => { project_name => 'n' x 200 },
      status => 201 },
);

# --- 8. query values decoded alike, the full integer range -------------------

run_cases(
    { name => 'offset 2^63-1', path => '/projects?offset=9223372036854775807',
      key => $K, status => 200,
      check => sub { is_deeply($_[0]{json}{projects}, [], 'an empty page');
                     ok(!$_[0]{json}{has_next}, 'has_next is false') } },
    { name => 'offset 2^63', path => '/projects?offset=9223372036854775808',
      key => $K, status => 422, code => 'invalid_query_params' },
    { name => 'limit=%31', path => '/projects?limit=%31', key => $K,
      status => 200,
      check => sub { is($_[0]{json}{limit}, 1, 'limit=%31 is limit 1') } },
    { name => 'offset=%30', path => '/projects?offset=%30', key => $K,
      status => 200 },
    { name => 'status=%72eady', path => '/projects?status=%72eady', key => $K,
      status => 200,
      check => sub { is($_[0]{json}{filters}{status}, 'ready',
                        'status=%72eady is ready') } },
    { name => 'limit=1%00', path => '/projects?limit=1%00', key => $K,
      status => 422, code => 'invalid_query_params' },
);

# --- 10. a late create may have been applied ---------------------------------

my $pid = fork;
if ($pid == 0) { redis_cli($redis, 'DEBUG', 'SLEEP', '1.5'); exit 0 }
Time::HiRes::sleep(0.2);
$res = api(POST => '/projects', key => $K, json => { project_name => 'Late' });
waitpid($pid, 0);
is($res->{status}, 503, 'a create Redis answers too late is 503');
my $d = $res->{json} && $res->{json}{error}{details};
ok($d && $d->{may_have_been_applied} && JSON::PP::is_bool(
       $d->{may_have_been_applied}),
   'its details say that it may have been applied');
like($d && $d->{retry_guidance} // '', qr/Idempotency-Key/,
     'its retry guidance points to Idempotency-Key');

done_testing();
