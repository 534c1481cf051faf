# Request IDs: every answer under the API prefix carries X-Request-Id
# (successes, the module's errors, nginx's own early errors, downloads after
# the internal redirect, 304s); a client's own id is kept when it is 1-128
# characters of [A-Za-z0-9._:-], otherwise nginx's $request_id is used;
# error.request_id equals the header; the create's id travels with its job
# to the worker's log lines; $djass_request_id and $djass_request_safe
# (api_key= values redacted) in an access log, and nginx's own $request_id
# there is the answered id (the module makes it from batches of random
# bytes: each id once, in every worker process its own).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use Djass::Test;
use Djass::Jobs;

my $redis = start_redis();
my $art = temp_dir('art-290');
my $logdir = temp_dir('log-290');
my $nginx = start_nginx(
    redis => $redis, artifacts => $art,
    location => 'client_max_body_size 1k;',
    http => 'log_format djass_safe \'$remote_addr [$time_local] '
            . '"$djass_request_safe" $status rid=$djass_request_id '
            . 'nrid=$request_id\';',
    server => "access_log $logdir/access.log djass_safe;",
);
my $key = make_key($redis)->{key};
my $gen = qr/^[0-9a-f]{32}$/;

sub id_ok {
    my ($res, $name, $want) = @_;
    my $id = $res->{headers}{'x-request-id'};
    ok(defined $id, "$name: the answer carries X-Request-Id") or return;
    ref $want ? like($id, $want, "$name: X-Request-Id is nginx's id")
              : is($id, $want, "$name: X-Request-Id is the client's own");
    if ($res->{status} >= 400 && $res->{json}) {
        is($res->{json}{error}{request_id}, $id,
           "$name: error.request_id equals the header");
        is_deeply([ sort keys %{ $res->{json}{error} } ],
                  [qw(category code details message request_id retryable)],
                  "$name: the envelope gained only request_id");
    }
    return $id;
}

# --- successes and the module's errors -----------------------------------

my $res = api(GET => '/project-options');
is($res->{status}, 200, 'the catalog answers 200');
my $first = id_ok($res, 'GET /project-options', $gen);
$res = api(GET => '/project-options');
isnt($res->{headers}{'x-request-id'}, $first,
     'two requests get two different ids');

for my $c ([ 'a valid id is kept', 'abc-123_X.y:z', 'abc-123_X.y:z' ],
           [ 'one character is enough', 'x', 'x' ],
           [ '128 characters are kept', 'a' x 128, 'a' x 128 ],
           [ '129 characters are replaced', 'a' x 129, $gen ],
           [ 'a space is replaced', 'a b', $gen ],
           [ 'a slash is replaced', 'a/b', $gen ],
           [ 'a quote is replaced', 'a"b', $gen ]) {
    my ($name, $sent, $want) = @$c;
    my $r = api(GET => '/project-options',
                headers => { 'X-Request-Id' => $sent });
    id_ok($r, $name, $want);
    $r = api(GET => '/nope', headers => { 'X-Request-Id' => $sent });
    is($r->{status}, 404, "$name (404): unknown path");
    id_ok($r, "$name (404)", $want);
}

# what HTTP::Tiny would not send: raw bytes
for my $c ([ 'an empty X-Request-Id', '' ],
           [ 'a non-ASCII X-Request-Id', "caf\xc3\xa9" ]) {
    my $raw = raw_http($nginx, "GET /api/v1/nope HTTP/1.1\r\nHost: x\r\n"
                       . "X-Request-Id: $c->[1]\r\nConnection: close\r\n\r\n");
    my ($r0) = parse_responses($raw);
    id_ok($r0, $c->[0], $gen);
}

my $mine = { 'X-Request-Id' => 'trace-290' };
run_cases(
    { name => '401 without a key', path => '/projects', status => 401,
      code => 'auth_required', headers => $mine },
    { name => '405', method => 'DELETE', path => '/projects', status => 405,
      code => 'method_not_allowed', headers => $mine },
    { name => '422', path => '/projects?limit=0', key => $key, status => 422,
      code => 'invalid_query_params', headers => $mine },
    { name => '404 project', path => '/projects/999', key => $key,
      status => 404, code => 'project_not_found', headers => $mine },
);
for my $c (['/projects', 401, undef], ['/projects?limit=0', 422, $key],
           ['/projects/999', 404, $key], ['/projects', 200, $key]) {
    my $r = api(GET => $c->[0], key => $c->[2], headers => $mine);
    is($r->{status}, $c->[1], "GET $c->[0] is $c->[1]");
    id_ok($r, "GET $c->[0] ($c->[1])", 'trace-290');
}

# --- nginx's own early errors --------------------------------------------

$res = api(POST => '/projects', body => 'x' x 4096, headers => {
    'Content-Type' => 'application/json', %$mine });
is($res->{status}, 413, 'a body over client_max_body_size is 413');
id_ok($res, '413 from nginx', 'trace-290');

for my $c (['a lower-case method', "get /api/v1/projects HTTP/1.1\r\nHost: x\r\n", 400],
           ['TRACE', "TRACE /api/v1/projects HTTP/1.1\r\nHost: x\r\n", 405],
           ['a URI over the buffers', 'GET /api/v1/' . ('a' x 9000)
                                      . " HTTP/1.1\r\nHost: x\r\n", 414],
           ['two Host headers', "GET /api/v1/projects HTTP/1.1\r\nHost: x\r\n"
                                . "Host: y\r\n", 400]) {
    my ($name, $head, $status) = @$c;
    my $bytes = raw_http($nginx, "$head\r\n", wait => 3);
    my ($r) = parse_responses($bytes);
    is($r && $r->{status}, $status, "$name: nginx answers $status") or next;
    id_ok($r, "$name ($status)", $gen);
}

# outside the prefix nothing changes
$res = http_request(GET => "http://127.0.0.1:$nginx->{port}/elsewhere");
ok(!exists $res->{headers}{'x-request-id'},
   'outside the API location no X-Request-Id is added');

# --- create: the id travels with the job ---------------------------------

$res = api(POST => '/projects', key => $key, json => { project_name => 'Rid' },
           headers => { 'X-Request-Id' => 'create-290' });
is($res->{status}, 201, 'create answers 201') or diag($res->{content});
id_ok($res, 'create', 'create-290');
my $pid = $res->{json}{project}{id};
my $entries = redis_cli($redis, 'XRANGE', 'djass:jobs', '-', '+');
my %fields = @{ $entries->[-1][1] };
is($fields{project}, $pid, 'the job names the project');
is($fields{request_id}, 'create-290', 'the job carries the request id');

my $w = start_worker(redis => $redis, artifacts => $art);
ok(wait_until(sub { (project($redis, $pid)->{status} // '') eq 'ready' },
              60 * slow_factor(), 0.1),
   'the worker makes the project ready') or diag(worker_log($w));
like(worker_log($w), qr/project $pid: ready in .* request_id=create-290$/m,
     "the worker's line about the project carries the request id");
unlike(worker_log($w), qr/^(?!.*project $pid\b).*request_id=create-290/m,
       'no other line carries it');

# --- downloads: after the internal redirect, and a 304 -------------------

$res = api(GET => "/projects/$pid/download", key => $key, headers => $mine);
is($res->{status}, 200, 'the download answers 200');
id_ok($res, 'download', 'trace-290');
my $etag = $res->{headers}{etag};
$res = api(GET => "/projects/$pid/download", key => $key,
           headers => { %$mine, 'If-None-Match' => $etag });
is($res->{status}, 304, 'a conditional download answers 304');
id_ok($res, 'download 304', 'trace-290');
$res = api(GET => "/projects/$pid/download", key => $key,
           headers => { %$mine, 'If-Match' => '"nope"' });
is($res->{status}, 412, 'a failed If-Match answers 412');
id_ok($res, 'download 412', 'trace-290');
$res = api(GET => '/project-options', headers => { %$mine,
           'If-None-Match' => api(GET => '/project-options')->{headers}{etag} });
is($res->{status}, 304, 'the catalog answers 304');
id_ok($res, 'catalog 304', 'trace-290');

# a missing artifact: the 500 keeps the id
unlink glob("$art/projects/*/$pid.zip");
$res = api(GET => "/projects/$pid/download", key => $key, headers => $mine);
is($res->{status}, 500, 'a missing artifact answers 500');
id_ok($res, 'download 500', 'trace-290');

# --- the access log -------------------------------------------------------

api(GET => '/projects?limit=1&api_key=djk_secret1&API_KEY=djk_secret2'
           . '&x=api_key=djk_secret3', headers => { 'X-Request-Id' => 'log-290' });
api(GET => '/project-options?api_key=djk_secret4', headers => {});
sleep 0.2;
my $log = do { local (@ARGV, $/) = ("$logdir/access.log"); <> } // '';
like($log, qr{"GET /api/v1/projects\?limit=1&api_key=\[REDACTED\]&API_KEY=\[REDACTED\]&x=api_key=djk_secret3 HTTP/1\.1" 401 rid=log-290},
     '$djass_request_safe redacts api_key values, keeps the rest, '
     . 'and $djass_request_id is the answered id');
like($log, qr{"GET /api/v1/project-options\?api_key=\[REDACTED\] HTTP/1\.1" 200 rid=[0-9a-f]{32}},
     'a generated id reaches the log as well');
unlike($log, qr/djk_secret[124]/, 'no key that was read reaches the log');
my @gen = $log =~ m{ rid=([0-9a-f]{32}) nrid=(\S+)$}mg;
ok(@gen >= 2, 'generated ids with their $request_id are in the log');
my $same = grep { $gen[2 * $_] eq $gen[2 * $_ + 1] } 0 .. $#gen / 2;
is($same, @gen / 2, "nginx's \$request_id in the log is the answered id");

# more ids than one batch of random bytes holds: each one different, and
# each the request's $request_id
my %seen;
for (1 .. 600) {
    my $id = api(GET => '/nope')->{headers}{'x-request-id'} // '';
    $seen{$id}++ if $id =~ $gen;
}
is(scalar keys %seen, 600, '600 generated ids, all well formed and distinct');
sleep 0.2;
$log = do { local (@ARGV, $/) = ("$logdir/access.log"); <> } // '';
my %logged = map { $_ => 1 } $log =~ m{"GET /api/v1/nope HTTP/1\.1" 404 rid=[0-9a-f]{32} nrid=([0-9a-f]{32})$}mg;
is(scalar(grep { $logged{$_} } keys %seen), 600,
   'each of them is the request\'s $request_id in the log');
like($log, qr{"GET /elsewhere HTTP/1\.1" 404 rid=[0-9a-f]{32}},
     'the variables work outside the API location too');

done_testing();
