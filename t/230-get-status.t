# GET /projects/{id} and GET /projects/{id}/status: the full object and the
# seven-field polling object through a project's life, times in RFC 3339,
# and every malformed id a 404 project_not_found, never a 500.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Test;

my $redis = start_redis();
my $nginx = start_nginx(redis => $redis);
my $key = make_key($redis, legacy => 1);
my $K = $key->{key};

my $res = api(POST => '/projects', key => $K,
              json => { project_name => 'Acme CRM', use_ai => 'y' });
my $created = $res->{json}{project};
my $id = $created->{id};

$res = api(GET => "/projects/$id", key => $K);
is($res->{status}, 200, 'GET /projects/{id} is 200');
like($res->{headers}{'content-type'}, qr{^application/json}, 'it is JSON');
is_deeply($res->{json}, $created,
          'GET /projects/{id} is the object the create returned');

my @seven = qw(id status error_message artifact_ready started_at finished_at
               updated_at);

sub status_of {
    my $res = api(GET => "/projects/$id/status", key => $K);
    is($res->{status}, 200, 'GET /projects/{id}/status is 200');
    my @keys = $res->{content} =~ /"(\w+)":/g;
    is_deeply(\@keys, \@seven, 'status has exactly the spec\'s seven fields, '
                               . 'in its order');
    return $res->{json};
}

my $s = status_of();
is_deeply($s, { id => $id, status => 'queued', error_message => '',
                artifact_ready => JSON::PP::false, started_at => undef,
                finished_at => undef, updated_at => $created->{updated_at} },
          'a queued project\'s status');

# fixed times to check the formatting: 2026-03-11T12:00:05Z etc.
set_project_status($redis, $id, 'generating', started_at => 1773230405);
redis_cli($redis, 'HSET', "djass:project:$id", 'updated_at', 1773230420,
          'created_at', 1773230400);
$s = status_of();
is($s->{status}, 'generating', 'a generating project says so');
is($s->{started_at}, '2026-03-11T12:00:05Z', 'started_at in RFC 3339 UTC');
is($s->{updated_at}, '2026-03-11T12:00:20Z', 'updated_at in RFC 3339 UTC');
is($s->{finished_at}, undef, 'finished_at is null while generating');
ok(!$s->{artifact_ready}, 'not artifact_ready while generating');

set_project_status($redis, $id, 'ready', finished_at => 1773230559,
                   artifact => "projects/001/$id.zip");
redis_cli($redis, 'HSET', "djass:project:$id", 'updated_at', 1773230560);
$s = status_of();
is($s->{status}, 'ready', 'a ready project says so');
ok(JSON::PP::is_bool($s->{artifact_ready}) && $s->{artifact_ready},
   'a ready project is artifact_ready: true');
is($s->{finished_at}, '2026-03-11T12:02:39Z', 'finished_at in RFC 3339 UTC');

my $p = api(GET => "/projects/$id", key => $K)->{json};
is($p->{created_at}, '2026-03-11T12:00:00Z', 'created_at in RFC 3339 UTC');
is($p->{started_at}, '2026-03-11T12:00:05Z', 'the object has started_at');
is($p->{finished_at}, '2026-03-11T12:02:39Z', 'the object has finished_at');
ok($p->{artifact_ready}, 'the object is artifact_ready');
is_deeply($p->{input_payload}, $created->{input_payload},
          'input_payload is unchanged');

set_project_status($redis, $id, 'failed',
                   error_message => "Template error: \"x\" line 3\nbad");
$s = status_of();
is($s->{status}, 'failed', 'a failed project says so');
is($s->{error_message}, "Template error: \"x\" line 3\nbad",
   'error_message comes back exactly');
ok(!$s->{artifact_ready}, 'a failed project is not artifact_ready');

# at most one round trip per request: one EVALSHA (none when the read
# cache answers: t/298), nothing else from nginx
redis_cli($redis, 'CONFIG', 'RESETSTAT');
api(GET => "/projects/$id$_", key => $K) for '', '/status', '/download';
api(GET => '/projects/abc', key => $K);
my %calls = map { /^cmdstat_(\w+):calls=(\d+)/ ? ($1 => $2) : () }
            split /\r?\n/, redis_cli($redis, 'INFO', 'commandstats');
ok(($calls{evalsha} // 0) <= 4,
   'four requests cost at most four EVALSHA calls');
ok(!$calls{eval} && !$calls{script}, 'the script is not sent again');
is_deeply([ sort grep { $_ ne 'evalsha' && $_ ne 'hmget' && $_ ne 'config' }
            keys %calls ], [],
          'the script only reads hashes (HMGET) for these endpoints');

# HEAD works wherever GET does
for my $path ("/projects/$id", "/projects/$id/status") {
    my $get = api(GET => $path, key => $K);
    my $head = api(HEAD => $path, key => $K);
    is($head->{status}, 200, "HEAD $path is 200");
    is($head->{content} // '', '', "HEAD $path has no body");
    is($head->{headers}{'content-length'}, length $get->{content},
       "HEAD $path has GET's Content-Length");
}

# ids that name no project
my @ids = ('999999', 'abc', '-1', '0', '00', '012', '1.5', '1e3', '+1',
           '99999999999999999999', '18446744073709551617',
           '999999999999999999', "$id%20");
for my $bad (@ids) {
    for my $suffix ('', '/status', '/download') {
        my $path = "/projects/$bad$suffix";
        my $res = api(GET => $path, key => $K);
        is($res->{status}, 404, "GET $path is 404");
        is($res->{json} && $res->{json}{error}{code}, 'project_not_found',
           "GET $path says project_not_found");
    }
}
$res = api(GET => '/projects/999999', key => $K);
is_deeply($res->{json}{error},
          { code => 'project_not_found', category => 'validation',
            message => 'Project not found.', retryable => JSON::PP::false,
            details => { project_id => 999999 },
            request_id => $res->{headers}{'x-request-id'} },
          'the 404 is the spec\'s, with the id as a number');
$res = api(GET => '/projects/abc/status', key => $K);
is($res->{json}{error}{details}{project_id}, 'abc',
   'a malformed id comes back as the text it was');
$res = api(GET => '/projects/abc');
is($res->{status}, 401, 'a malformed id without a key is 401 first');

done_testing();
