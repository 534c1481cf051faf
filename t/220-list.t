# GET /projects: the caller's projects, newest first, one page at a time,
# optionally of one status; every invalid parameter is a 422 that names it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Test;

my $redis = start_redis();
my $nginx = start_nginx(redis => $redis);

my $key = make_key($redis, legacy => 1, quota => 1000);
my $other = make_key($redis, legacy => 1);
my $writer = make_key($redis, scopes => 'projects:create');
my $K = $key->{key};

my @ids;
for my $n (1 .. 25) {
    my $res = api(POST => '/projects', key => $K,
                  json => { project_name => "Project $n" });
    push @ids, $res->{json}{project}{id};
}
api(POST => '/projects', key => $other->{key},
    json => { project_name => 'Not yours' });

my @newest = reverse @ids;
my %status = (generating => [ @ids[0, 1, 2] ], ready => [ @ids[3 .. 9] ],
              failed => [ $ids[10] ]);
for my $s (sort keys %status) {
    set_project_status($redis, $_, $s) for @{ $status{$s} };
}

sub page_ok {
    my ($query, $want, %o) = @_;
    my $res = api(GET => "/projects$query", key => $K);
    is($res->{status}, 200, "GET /projects$query is 200")
        or return diag $res->{content};
    my $j = $res->{json};
    is_deeply([ sort keys %$j ],
              [qw(filters has_next limit offset projects total)],
              "GET /projects$query: exactly the spec's fields");
    is_deeply([ map { $_->{id} } @{ $j->{projects} } ], $want,
              "GET /projects$query: the right projects, newest first");
    is($j->{total}, $o{total}, "GET /projects$query: total is $o{total}");
    is($j->{limit}, $o{limit}, "GET /projects$query: limit is $o{limit}");
    is($j->{offset}, $o{offset} // 0, "GET /projects$query: offset");
    is(!!$j->{has_next}, !!$o{has_next},
       "GET /projects$query: has_next is " . ($o{has_next} ? 'true' : 'false'));
    ok(JSON::PP::is_bool($j->{has_next}), 'has_next is a boolean');
    is_deeply($j->{filters}, { status => $o{status} },
              "GET /projects$query: filters.status");
    return $j;
}

my $j = page_ok('', [ @newest[0 .. 19] ], total => 25, limit => 20,
                has_next => 1);
is_deeply([ sort keys %{ $j->{projects}[0] } ],
          [ sort qw(id name slug status error_message created_at updated_at
                    started_at finished_at artifact_ready input_payload
                    expires_at template_version git_commit upgraded_from) ],
          'each listed project is a full project object');
is($j->{projects}[0]{name}, 'Project 25', 'the newest comes first');

page_ok('?limit=5&offset=20', [ @newest[20 .. 24] ], total => 25, limit => 5,
        offset => 20);
page_ok('?limit=5&offset=15', [ @newest[15 .. 19] ], total => 25, limit => 5,
        offset => 15, has_next => 1);
page_ok('?offset=25', [], total => 25, limit => 20, offset => 25);
page_ok('?offset=1000', [], total => 25, limit => 20, offset => 1000);
page_ok('?limit=1', [ $newest[0] ], total => 25, limit => 1, has_next => 1);
page_ok('?limit=100', \@newest, total => 25, limit => 100);
page_ok('?limit=007', [ @newest[0 .. 6] ], total => 25, limit => 7,
        has_next => 1);
page_ok('?limit=24&offset=1', [ @newest[1 .. 24] ], total => 25, limit => 24,
        offset => 1);

page_ok('?status=ready', [ reverse @{ $status{ready} } ], total => 7,
        limit => 20, status => 'ready');
page_ok('?status=ready&limit=2&offset=2',
        [ (reverse @{ $status{ready} })[2, 3] ], total => 7, limit => 2,
        offset => 2, has_next => 1, status => 'ready');
page_ok('?status=generating', [ reverse @{ $status{generating} } ],
        total => 3, limit => 20, status => 'generating');
page_ok('?status=failed', [ $ids[10] ], total => 1, limit => 20,
        status => 'failed');
page_ok('?status=queued', [ reverse @ids[11 .. 24] ], total => 14,
        limit => 20, status => 'queued');
page_ok('?status=%72eady', [ reverse @{ $status{ready} } ], total => 7,
        limit => 20, status => 'ready');

$j = page_ok('?status=ready&limit=1', [ $ids[9] ], total => 7, limit => 1,
             has_next => 1, status => 'ready');
ok($j->{projects}[0]{artifact_ready}, 'a ready project is artifact_ready');

# the cost is the page: one EVALSHA, one ZCARD, one ZREVRANGE and one HMGET
# per listed project (plus the key's), whatever the profile's total
sub calls {
    my %c;
    for (split /\r?\n/, redis_cli($redis, 'INFO', 'commandstats')) {
        $c{$1} = $2 if /^cmdstat_(\w+):calls=(\d+)/;
    }
    return \%c;
}
for my $q ('?limit=3&offset=10', '?status=queued&limit=2') {
    redis_cli($redis, 'CONFIG', 'RESETSTAT');
    my $res = api(GET => "/projects$q", key => $K);
    my $c = calls();
    my $n = @{ $res->{json}{projects} };
    is($c->{evalsha}, 1, "GET /projects$q is one Redis call (EVALSHA)");
    is($c->{hmget}, $n + 1,
       "GET /projects$q reads the key and the $n listed projects only");
    is($c->{zrevrange}, 1, "GET /projects$q reads one range of the index");
    ok(!$c->{keys} && !$c->{scan} && !$c->{sort} && !$c->{zrange},
       "GET /projects$q scans nothing");
}

# invalid parameters
my @bad = (
    [ 'limit=0', 'limit' ], [ 'limit=101', 'limit' ], [ 'limit=-1', 'limit' ],
    [ 'limit=abc', 'limit' ], [ 'limit=1.5', 'limit' ], [ 'limit=', 'limit' ],
    [ 'limit=+5', 'limit' ], [ 'limit=99999999999999999999', 'limit' ],
    [ 'offset=-1', 'offset' ], [ 'offset=x', 'offset' ],
    [ 'offset=', 'offset' ], [ 'offset=1e3', 'offset' ],
    [ 'offset=99999999999999999999', 'offset' ],
    [ 'status=done', 'status' ], [ 'status=READY', 'status' ],
    [ 'status=', 'status' ], [ 'limit=5&status=nope', 'status' ],
);
run_cases(map {
    my ($q, $field) = @$_;
    { name => "?$q", path => "/projects?$q", key => $K, status => 422,
      code => 'invalid_query_params',
      check => sub {
          is($_[0]{json}{error}{details}{field}, $field,
             "?$q: details.field is $field");
          is($_[0]{json}{error}{category}, 'validation',
             "?$q: category validation");
      } }
} @bad);

run_cases(
    { name => 'an invalid query without a key: 401 first',
      path => '/projects?limit=0', status => 401, code => 'auth_required' },
    { name => 'an invalid query without the scope: 403 first',
      path => '/projects?limit=0', key => $writer->{key}, status => 403,
      code => 'insufficient_scope' },
    { name => 'unknown parameters are ignored', path => '/projects?x=1',
      key => $K, status => 200 },
);

# other profiles see only theirs
$j = api(GET => '/projects', key => $other->{key})->{json};
is($j->{total}, 1, 'another profile counts only its own project');
is($j->{projects}[0]{name}, 'Not yours', 'another profile lists its own');

# HEAD
my $res = api(HEAD => '/projects', key => $K);
is($res->{status}, 200, 'HEAD /projects is 200');
is($res->{content} // '', '', 'HEAD /projects has no body');
cmp_ok($res->{headers}{'content-length'}, '>', 0,
       'HEAD /projects says how long the body would be');

done_testing();
