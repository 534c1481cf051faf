# GET /api/v1/openapi.json: an OpenAPI 3.1 document of the whole API, built
# from the loaded template, with ETag/304 and no key; valid for
# openapi-spec-validator; and the live server, tested by schemathesis from
# that document (every operation, the authenticated ones with a real key),
# answers as the document says: no 5xx, only documented status codes,
# content types, headers and bodies.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Test;
use Djass::Jobs;
use Djass::Build qw(sanitize_on valgrind_on other_nginx);

my $repo = repo_dir();
my $venv = "$repo/build/venv-openapi";
system("VENV='$venv' REQ='$repo/t/openapi/requirements.txt' "
       . "'$repo/scripts/venv' >&2") == 0
    or skip_or_fail('the OpenAPI venv could not be made '
                    . '(scripts/venv with t/openapi/requirements.txt)');

my $redis = start_redis();
my $art = temp_dir('art-296');
# a one-shot with a valid input waits for the worker: not for long here
my $nginx = start_nginx(redis => $redis, artifacts => $art,
                        http => 'djass_oneshot_wait 2s;');
my $key = make_key($redis, quota => 1000000,
                   scopes => 'projects:create,projects:read,projects:delete')
    ->{key};
my $base = base_url($nginx);

# --- the document ---------------------------------------------------------

my $res = api(GET => '/openapi.json', headers => { 'X-Request-Id' => 'oa-1' });
is($res->{status}, 200, 'GET /openapi.json answers 200 without a key');
like($res->{headers}{'content-type'} // '', qr{^application/json},
     'as application/json');
is($res->{headers}{'x-request-id'}, 'oa-1', 'with X-Request-Id');
my $doc = $res->{json};
is($doc->{openapi}, '3.1.0', 'an OpenAPI 3.1 document');
is($doc->{servers}[0]{url}, '/api/v1', 'its server is the API prefix');
like($res->{headers}{etag} // '', qr/^"[0-9a-f]{32}"$/, 'a strong ETag');
is($res->{headers}{'cache-control'}, 'public, max-age=300',
   'cacheable like the catalog');
my $again = api(GET => '/openapi.json',
                headers => { 'If-None-Match' => $res->{headers}{etag} });
is($again->{status}, 304, 'If-None-Match with its ETag answers 304');
is($again->{content} // '', '', 'the 304 has no body');
$again = api(HEAD => '/openapi.json');
is($again->{status}, 200, 'HEAD answers 200');
is($again->{content} // '', '', 'HEAD has no body');
$again = api(POST => '/openapi.json', body => '{}');
is($again->{status}, 405, 'POST /openapi.json is 405');

# every endpoint and method of the API
my %ops = map { my $p = $_; map { (uc($_) . " $p" => 1) } keys %{ $doc->{paths}{$p} } }
          keys %{ $doc->{paths} };
for my $op ('GET /openapi.json', 'GET /project-options', 'HEAD /project-options',
            'GET /projects', 'HEAD /projects', 'POST /projects',
            'GET /projects/{project_id}', 'DELETE /projects/{project_id}',
            'GET /projects/{project_id}/status',
            'GET /projects/{project_id}/download',
            'HEAD /projects/{project_id}/download', 'GET /projects.zip',
            'GET /', 'POST /projects/{project_id}/upgrade') {
    ok($ops{$op}, "the document has $op");
}

# the options, from the template nginx loaded
my $catalog = api(GET => '/project-options')->{json};
my $props = $doc->{components}{schemas}{CreateProject}{properties};
is_deeply([ sort keys %$props ], [ sort keys %{ $catalog->{defaults} } ],
          'the create body has exactly the template\'s options');
my @flags = map { map { $_->{key} } @{ $_->{options} } } @{ $catalog->{groups} };
ok(@flags > 5, 'the catalog has flags');
for my $f (@flags) {
    is_deeply($props->{$f}{enum}, ['y', 'n'], "flag $f is a y/n enum");
}
is_deeply([ sort @{ $doc->{components}{schemas}{FlagKey}{enum} } ],
          [ sort @flags ], 'the flag keys are the catalog\'s');
is_deeply($doc->{components}{schemas}{Catalog}{example}, $catalog,
          'the catalog example is the catalog served');
is_deeply($doc->{components}{schemas}{CreateProject}{required},
          ['project_name'], 'project_name is required');
is_deeply([ sort keys %{ $doc->{components}{securitySchemes} } ],
          [qw(ApiKeyHeader ApiKeyQuery BearerAuth)],
          'the three key forms are security schemes');
is($doc->{components}{schemas}{ErrorEnvelope}{properties}{error}{properties}
       {request_id}{'$ref'}, '#/components/schemas/RequestId',
   'the envelope has error.request_id');

# another template, another document
my $tpl = temp_dir('tpl-296');
mkdir "$tpl/{{cookiecutter.project_slug}}";
open my $fh, '>', "$tpl/cookiecutter.json" or die $!;
print $fh '{"project_name": "X", "project_slug": "{{ cookiecutter.project_name }}", '
          . '"color": ["red", "blue"], "use_q": "n"}';
close $fh;
my $other = start_nginx(redis => $redis, template => $tpl);
my $d2 = api(GET => '/openapi.json', nginx => $other)->{json};
my $p2 = $d2->{components}{schemas}{CreateProject}{properties};
is_deeply([ sort keys %$p2 ], [qw(color project_name project_slug use_q)],
          'another template: its own options');
is_deeply($p2->{color}{enum}, ['red', 'blue'], 'a choice is an enum');
is_deeply($p2->{use_q}, { type => 'string', enum => ['y', 'n'], default => 'n' },
          'a flag is a y/n enum with its default');
ok(!exists $p2->{project_slug}{default},
   'a templated default is not shown as a literal default');

# --- openapi-spec-validator -------------------------------------------------

my $dir = temp_dir('openapi-296');
open $fh, '>', "$dir/openapi.json" or die $!;
print $fh $res->{content};
close $fh;
my $out = `'$venv/bin/openapi-spec-validator' '$dir/openapi.json' 2>&1`;
is($?, 0, 'openapi-spec-validator finds the document valid') or diag($out);

# --- schemathesis against the live server ----------------------------------

# a ready project, so that downloads can answer 200
my $w = start_worker(redis => $redis, artifacts => $art);
# (through the first nginx: its template is the worker's)
my $c = api(POST => '/projects', key => $key, json => { project_name => 'Ready' },
            nginx => $nginx);
my $rid = $c->{json}{project}{id};
ok(wait_until(sub { (project($redis, $rid)->{status} // '') eq 'ready' },
              60 * slow_factor(), 0.1), 'a ready project to download')
    or diag(worker_log($w));

my @cmd = ("$venv/bin/schemathesis", 'run', "$base/openapi.json",
           '--url', $base,
           '--checks', join(',', qw(not_a_server_error status_code_conformance
                                    content_type_conformance
                                    response_schema_conformance
                                    response_headers_conformance)),
           '--max-examples', $ENV{DJASS_ST_EXAMPLES} // 30,
           '--max-time', $ENV{DJASS_ST_MAX_TIME}
                         // (sanitize_on() || valgrind_on() || other_nginx()
                             ? 60 : 120),
           '--seed', $ENV{DJASS_ST_SEED} // 296,
           '--request-timeout', 10,
           # one worker: hypothesis parses lambdas' source with ast in each
           # worker thread, and CPython 3.11's parser is not thread-safe there
           # (SystemError: AST constructor recursion depth mismatch)
           '--workers', 1,
           '-H', "X-API-Key: $key",
           # a fixed id: link inference would otherwise put an integer id
           # into X-Request-Id, which the HTTP client refuses to send
           '-H', 'X-Request-Id: schemathesis-296',
           # nothing written into the repository (.schemathesis/)
           '--generation-database', 'none',
           '--report', 'junit', '--report-dir', $dir,
           '--no-color');
my $t0 = time;
my $log = "$dir/schemathesis.out";
# from the temporary folder: schemathesis keeps a cache in ./.schemathesis
system("cd '$dir' && " . join(' ', map { "'$_'" } @cmd) . " > '$log' 2>&1");
my $rc = $? >> 8;
my $st = do { local (@ARGV, $/) = ($log); <> } // '';
is($rc, 0, 'schemathesis finds no failure') or diag($st);
like($st, qr/\bpassed\b/i, 'schemathesis ran its tests');
unlike($st, qr/\b[1-9]\d* (?:failures?|errors?)\b/i, 'zero failures, zero errors')
    or diag($st);
cmp_ok(time - $t0, '<=', 180, 'the run stays within its time budget');
note($st);

done_testing();
