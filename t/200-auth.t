# Every way to authenticate and to fail to: the three key forms and their
# precedence, legacy and scoped keys, revoked and expired keys, the query
# form switched off, and owner isolation between two profiles.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(sha256_hex);
use Djass::Test;

my $redis = start_redis();
my $noquery = start_nginx(redis => $redis, location => 'djass_query_auth off;');
my $nginx = start_nginx(redis => $redis);    # the one api() talks to

my $legacy = make_key($redis, legacy => 1, email => 'legacy@example.test');
my $read = make_key($redis, scopes => 'projects:read');
my $create = make_key($redis, scopes => 'projects:create');
my $both = make_key($redis, scopes => 'projects:create,projects:read');
my $revoked = make_key($redis, legacy => 1);
my $expired = make_key($redis, legacy => 1);
my $later = make_key($redis, legacy => 1, expires_in => 3600);
my $other = make_key($redis, legacy => 1, email => 'other@example.test');

my ($rc) = djassctl($redis, 'key', 'revoke', $revoked->{key});
is($rc, 0, 'djassctl revokes a key');
redis_cli($redis, 'HSET', 'djass:key:' . sha256_hex($expired->{key}),
          'expires_at', time - 10);

my $res = api(POST => '/projects', key => $legacy->{key},
              json => { project_name => 'Legacy One' });
is($res->{status}, 201, 'a legacy key creates a project') or diag $res->{content};
my $id = $res->{json}{project}{id};

my $L = $legacy->{key};
my $auth = sub { return { headers => { Authorization => $_[0] } } };

sub unauthorized {
    my ($res) = @_;
    is_deeply($res->{json}{error},
              { code => 'auth_required', category => 'auth',
                message => 'Authentication required.',
                retryable => JSON::PP::false, details => {},
                request_id => $res->{headers}{'x-request-id'} },
              'the 401 body is the spec\'s, word for word');
    is($res->{headers}{'www-authenticate'}, 'Bearer',
       'the 401 says how to authenticate');
}

run_cases(
    { name => 'no key at all', path => '/projects', status => 401,
      code => 'auth_required', check => \&unauthorized },
    { name => 'X-API-Key', path => '/projects', key => $L, status => 200 },
    map({ my $h = $_;
          { name => "Authorization: $h", path => '/projects',
            headers => { Authorization => "$h $L" }, status => 200 } }
        'Bearer', 'bearer', 'BEARER', 'Api-Key', 'api-key', 'apikey',
        'ApiKey', 'token', 'Token'),
    { name => 'Authorization with extra spaces', path => '/projects',
      headers => { Authorization => "Bearer   $L  " }, status => 200 },
    { name => 'Authorization: Basic is no key form', path => '/projects',
      headers => { Authorization => "Basic $L" }, status => 401,
      code => 'auth_required' },
    { name => 'Authorization without a key', path => '/projects',
      headers => { Authorization => 'Bearer' }, status => 401 },
    { name => 'query api_key', path => "/projects?api_key=$L",
      status => 200, like => { Deprecation => qr/^true$/ } },
    { name => 'query api_key among other parameters',
      path => "/projects?limit=1&api_key=$L&offset=0", status => 200 },
    { name => 'a header key gets no Deprecation header', path => '/projects',
      key => $L, status => 200,
      check => sub { ok(!exists $_[0]{headers}{deprecation},
                        'no Deprecation header without the query form') } },
    { name => 'an unknown key', path => '/projects', key => 'djk_nope',
      status => 401, code => 'auth_required' },
    { name => 'an unknown key in the query', path => '/projects?api_key=x',
      status => 401, code => 'auth_required' },
    { name => 'a revoked key', path => '/projects', key => $revoked->{key},
      status => 401, code => 'auth_required' },
    { name => 'an expired key', path => '/projects', key => $expired->{key},
      status => 401, code => 'auth_required' },
    { name => 'a key that expires later', path => '/projects',
      key => $later->{key}, status => 200 },

    # precedence: the first form present is the one used
    { name => 'X-API-Key before Authorization', path => '/projects',
      key => $L, headers => { Authorization => 'Bearer djk_wrong' },
      status => 200 },
    { name => 'a wrong X-API-Key is not saved by Authorization',
      path => '/projects', key => 'djk_wrong',
      headers => { Authorization => "Bearer $L" }, status => 401 },
    { name => 'Authorization before the query',
      path => '/projects?api_key=djk_wrong',
      headers => { Authorization => "Bearer $L" }, status => 200 },
    { name => 'a wrong Authorization is not saved by the query',
      path => "/projects?api_key=$L",
      headers => { Authorization => 'Bearer djk_wrong' }, status => 401 },
    { name => 'an empty X-API-Key counts as absent', path => '/projects',
      headers => { 'X-API-Key' => '', Authorization => "Bearer $L" },
      status => 200 },
    { name => 'an unknown scheme leaves the query form',
      path => "/projects?api_key=$L",
      headers => { Authorization => 'Digest abc' }, status => 200 },
);

# the query form switched off
$res = api(GET => "/projects?api_key=$L", nginx => $noquery);
is($res->{status}, 401, 'djass_query_auth off: a query key is ignored');
ok(!exists $res->{headers}{deprecation},
   'djass_query_auth off: no Deprecation header');
$res = api(GET => '/projects', key => $L, nginx => $noquery);
is($res->{status}, 200, 'djass_query_auth off: X-API-Key still works');

# scopes: a scoped key has only what it was granted; legacy has both
sub missing_scope {
    my ($scope) = @_;
    return sub {
        is_deeply($_[0]{json}{error},
                  { request_id => $_[0]{headers}{"x-request-id"},
                    code => 'insufficient_scope', category => 'auth',
                    message => "API key is missing required scope: $scope",
                    retryable => JSON::PP::false,
                    details => { required_scope => $scope } },
                  "the 403 names $scope as the spec shows");
    };
}

my $body = { project_name => 'Scoped' };
run_cases(
    { name => 'read-only key creates', method => 'POST', path => '/projects',
      key => $read->{key}, json => $body, status => 403,
      code => 'insufficient_scope',
      check => missing_scope('projects:create') },
    { name => 'read-only key, invalid body: 403 before 400',
      method => 'POST', path => '/projects', key => $read->{key},
      json => '{nope', status => 403, code => 'insufficient_scope' },
    { name => 'unknown key, invalid body: 401 before 400',
      method => 'POST', path => '/projects', key => 'djk_wrong',
      json => '{nope', status => 401, code => 'auth_required' },
    (map { { name => "create-only key: GET $_", path => $_,
             key => $create->{key}, status => 403,
             code => 'insufficient_scope',
             check => missing_scope('projects:read') } }
     '/projects', "/projects/$id", "/projects/$id/status",
     "/projects/$id/download", '/projects/999999', '/projects?limit=0'),
    { name => 'create-only key creates', method => 'POST',
      path => '/projects', key => $create->{key}, json => $body,
      status => 201 },
    { name => 'read-only key lists', path => '/projects',
      key => $read->{key}, status => 200 },
    { name => 'a key with both scopes creates', method => 'POST',
      path => '/projects', key => $both->{key}, json => $body,
      status => 201 },
    { name => 'a key with both scopes reads', path => '/projects',
      key => $both->{key}, status => 200 },
    { name => 'the legacy key reads its project', path => "/projects/$id",
      key => $L, status => 200 },
    { name => 'the project options need no key', path => '/project-options',
      status => 200 },
);

# owner isolation: another profile's project is as missing as a missing one
for my $path ("/projects/$id", "/projects/$id/status",
              "/projects/$id/download") {
    my $theirs = api(GET => $path, key => $other->{key});
    my $missing_path = $path =~ s/\/$id/\/999999/r;
    my $missing = api(GET => $missing_path, key => $other->{key});
    is($theirs->{status}, 404, "another profile's project: GET $path is 404");
    is($theirs->{json}{error}{code}, 'project_not_found',
       "another profile's project: GET $path says project_not_found");
    delete @{ $_->{json}{error} }{qw(details request_id)} for $theirs, $missing;
    is_deeply($theirs->{json}, $missing->{json},
              "GET $path: someone else's project reads like a missing one");
}
$res = api(GET => '/projects', key => $other->{key});
is($res->{json}{total}, 0, "another profile's list does not show the project");

# one connection, several keys: from a connection's second request on, the
# last key's digest is kept with the connection and taken for the very same
# key only (a proxy may pass several clients' requests over one connection)
{
    my $L = $legacy->{key};
    my @sent = (
        [$L, 200], [$L, 200], [$other->{key}, 404],
        [substr($L, 0, -1) . (substr($L, -1) eq 'a' ? 'b' : 'a'), 401],
        [$L, 200], [substr($L, 0, -1), 401], [$L . 'x', 401],
        ['Bearer ' . $L, 200, 'Authorization'], [$L, 200],
        ['k' x 200, 401], [$revoked->{key}, 401], [undef, 401],
        [$L, 200], [$other->{key}, 404], [$other->{key}, 404], [$L, 200],
    );
    my $bytes = '';
    for my $x (@sent) {
        my ($k, undef, $h) = @$x;
        $bytes .= "GET /api/v1/projects/$id/status HTTP/1.1\r\n"
                  . "Host: localhost\r\n"
                  . (defined $k ? ($h // 'X-API-Key') . ": $k\r\n" : '')
                  . "\r\n";
    }
    $bytes =~ s/\r\n\r\n\z/\r\nConnection: close\r\n\r\n/;
    my @got = map { $_->{status} }
              parse_responses(raw_http($nginx, $bytes));
    is("@got", join(' ', map { $_->[1] } @sent),
       'one connection, 16 requests with the same, other, altered, longer, '
       . 'shorter and no keys: each answered by its own key');
}

# keys never reach the error log
my $log = nginx_error_log($nginx) . nginx_error_log($noquery);
for my $k ($legacy, $read, $create, $revoked) {
    unlike($log, qr/\Q$k->{key}\E/, 'no API key in the error log');
}

done_testing();
