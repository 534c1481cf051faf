# POST /projects: what a client may send, what it gets back, and what lands
# in Redis -- validation of every field, slug normalisation, the effective
# options, the profile's email, the body limit, the quota and the order of
# the checks (401, 403, 400, 429).
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Encode qw(encode_utf8);
use Djass::Test;

my $redis = start_redis();
my $nginx = start_nginx(redis => $redis, http => 'djass_quota 2;');

my $key = make_key($redis, legacy => 1, email => 'owner@example.test',
                   quota => 1000);
my $K = $key->{key};

# the catalog, in file order
my @catalog = qw(project_name project_slug caprover_app_name
                 project_description repo_url author_name author_email
                 author_url project_main_color use_posthog use_chatwoot use_s3
                 use_stripe use_sentry generate_blog generate_docs use_mjml
                 use_ai use_logfire use_healthchecks use_apprise use_mcp
                 use_ci use_digitalocean);

sub create { api(POST => '/projects', key => $K, json => $_[0]) }

# --- the spec's example, as sent in its quickstart --------------------------

my %spec = (
    project_name => 'Acme CRM', project_slug => 'acme_crm',
    caprover_app_name => 'acme-crm',
    project_description => 'Internal CRM for support and sales',
    repo_url => 'https://github.com/acme/acme-crm',
    author_name => 'Acme Bot', author_email => 'bot@acme.test',
    author_url => 'https://acme.test', project_main_color => 'green',
    use_posthog => 'y', use_chatwoot => 'n', use_s3 => 'y', use_stripe => 'y',
    use_sentry => 'y', generate_blog => 'y', generate_docs => 'y',
    use_mjml => 'y', use_ai => 'y', use_logfire => 'y',
    use_healthchecks => 'y', use_apprise => 'n', use_mcp => 'n',
    use_ci => 'y', use_digitalocean => 'n',
);

my $t0 = time;
my $res = create(\%spec);
is($res->{status}, 201, 'the spec\'s example body creates a project')
    or diag $res->{content};
like($res->{headers}{'content-type'}, qr{^application/json},
     '201 is JSON');
my $p = $res->{json}{project};
is_deeply([ sort keys %{ $res->{json} } ], ['project'],
          'the answer is {"project": ...}');
is_deeply([ sort keys %$p ],
          [ sort qw(id name slug status error_message created_at updated_at
                    started_at finished_at artifact_ready input_payload
                    expires_at template_version git_commit upgraded_from) ],
          'the project has exactly the spec\'s fields, expires_at and '
          . 'template_version');
like($p->{template_version}, qr/^[0-9a-f]{64}$/,
     'template_version is the catalog\'s: 64 hex digits');
is($p->{expires_at}, undef, 'expires_at is null while queued');
like($p->{id}, qr/^\d+$/, 'id is an integer');
ok(!ref $p->{id} && $res->{content} =~ /"id":\d+,/, 'id is a JSON number');
is($p->{name}, 'Acme CRM', 'name is project_name');
is($p->{slug}, 'acme_crm', 'slug is the normalised project_slug');
is($p->{status}, 'queued', 'a new project is queued');
is($p->{error_message}, '', 'error_message is empty');
like($p->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
     'created_at is RFC 3339 UTC with a Z');
is($p->{updated_at}, $p->{created_at}, 'updated_at starts as created_at');
is($p->{started_at}, undef, 'started_at is null');
is($p->{finished_at}, undef, 'finished_at is null');
ok(JSON::PP::is_bool($p->{artifact_ready}) && !$p->{artifact_ready},
   'artifact_ready is false');
is_deeply($p->{input_payload}, \%spec,
          'input_payload holds the options as given');
my @order = $res->{content} =~ /"input_payload":\{(.*)\},"expires_at":null,"template_version":"[0-9a-f]{64}","git_commit":null,"upgraded_from":null\}\}$/
            ? ($1 =~ /"(\w+)":"/g) : ();
is_deeply(\@order, \@catalog, 'input_payload is in the catalog\'s order');

# what Redis holds
my $id = $p->{id};
my %rec = @{ redis_cli($redis, 'HGETALL', "djass:project:$id") };
is($rec{status}, 'queued', 'the record says queued');
is($rec{profile}, $key->{profile}, 'the record belongs to the key\'s profile');
cmp_ok(abs($rec{created_at} - $t0), '<=', 2,
       'created_at is stored as Unix seconds');
is_deeply(JSON::PP->new->decode($rec{input_payload}), \%spec,
          'the record holds input_payload');
is(redis_cli($redis, 'ZSCORE', "djass:profile:$key->{profile}:projects", $id),
   $id, 'the project is in its profile\'s index');
is(redis_cli($redis, 'ZSCORE',
             "djass:profile:$key->{profile}:projects:queued", $id),
   $id, 'the project is in its profile\'s queued index');
my $jobs = redis_cli($redis, 'XRANGE', 'djass:jobs', '-', '+');
is_deeply($jobs->[-1][1],
          ['project', $id, 'request_id', $res->{headers}{'x-request-id'},
           'template_version', $p->{template_version}, 'manifest', '1'],
          'a job for it is on djass:jobs, with the create\'s request id, '
          . 'the template version and djass_manifest');

# --- defaults, the slug, the email ------------------------------------------

$res = create({ project_name => 'Acme CRM' });
is($res->{status}, 201, 'project_name alone is enough') or diag $res->{content};
$p = $res->{json}{project}{input_payload};
is_deeply([ sort keys %$p ], [ sort @catalog ],
          'input_payload holds every option of the catalog');
ok(!exists $p->{_djass_catalog}, 'private keys stay out of input_payload');
is($p->{project_slug}, 'acme_crm', 'an absent slug is the template default');
is($p->{caprover_app_name}, 'acme-crm',
   'a default that uses another is rendered (caprover_app_name)');
is($p->{use_posthog}, 'y', 'an absent flag takes the catalog default (y)');
is($p->{use_s3}, 'n', 'an absent flag takes the catalog default (n)');
is($p->{author_email}, 'owner@example.test',
   'an absent author_email comes from the profile');

$res = create({ project_name => 'X', author_email => '' });
is($res->{json}{project}{input_payload}{author_email}, 'owner@example.test',
   'an empty author_email comes from the profile');
$res = create({ project_name => 'X', author_email => 'me@x.test' });
is($res->{json}{project}{input_payload}{author_email}, 'me@x.test',
   'a given author_email is kept');

my $quoted = make_key($redis, legacy => 1);
redis_cli($redis, 'HSET', "djass:profile:$quoted->{profile}", 'email',
          'a"b\\c@example.test');
$res = api(POST => '/projects', key => $quoted->{key},
           json => { project_name => 'Q' });
is($res->{json}{project}{input_payload}{author_email}, 'a"b\\c@example.test',
   'a profile email with quotes and backslashes stays valid JSON');

for my $c (
    [ 'Acme CRM', 'acme_crm', 'spaces' ],
    [ 'acme-crm', 'acme_crm', 'dashes become underscores' ],
    [ 'Ünïcödé Façade', 'unicode_facade', 'accents are transliterated' ],
    [ 'Привет мир', 'privet_mir', 'Cyrillic is transliterated' ],
    [ 'ΑΘΗΝΑ', 'athena', 'Greek is transliterated' ],
    [ '  --Hello, World!--  ', 'hello_world', 'punctuation is trimmed' ],
    [ "C'est la vie", 'c_est_la_vie', 'quotes separate words' ],
    [ '123 Go', '123_go', 'leading digits are kept' ],
    [ 'a_b', 'a_b', 'underscores stay' ],
    [ '1,000 users', '1000_users', 'commas inside numbers go' ],
) {
    my ($in, $out, $what) = @$c;
    $res = create({ project_name => 'Slug', project_slug => $in });
    is($res->{json}{project}{slug}, $out, "slug: $what ($out)")
        or diag $res->{content};
    is($res->{json}{project}{input_payload}{project_slug}, $out,
       "slug: $what, also in input_payload");
}

$res = create({ project_name => 'Ça va!' });
is($res->{json}{project}{slug}, 'ca_va',
   'the default slug from a unicode name is normalised');
$res = create({ project_name => 'Acme.io Tools', project_slug => 'Acme IO' });
is($res->{json}{project}{input_payload}{caprover_app_name}, 'acme-io',
   'later defaults see the normalised slug');
$res = create({ project_name => 'Acme', caprover_app_name => 'My App' });
is($res->{json}{project}{input_payload}{caprover_app_name}, 'My App',
   'a given caprover_app_name is kept as given');

# values are data, never templates
$res = create({ project_name => '{{ 7*7 }}',
                project_description => "{{ cookiecutter.project_name }}" });
is($res->{status}, 201, 'template syntax in values is accepted');
$p = $res->{json}{project};
is($p->{name}, '{{ 7*7 }}', 'project_name is not rendered');
is($p->{input_payload}{project_description},
   '{{ cookiecutter.project_name }}', 'a given value is never rendered');
is($p->{slug}, '7_7', 'the slug of a name with template syntax');

$res = create({ project_name => 'Ærøskøbing — “quotes” ✓',
                project_description => "tab\tnew\nline" });
is($res->{json}{project}{name}, 'Ærøskøbing — “quotes” ✓',
   'UTF-8 names come back intact');
is($res->{json}{project}{input_payload}{project_description},
   "tab\tnew\nline", 'control characters come back intact');

# --- validation -------------------------------------------------------------

sub payload_error {
    my ($details) = @_;
    return sub {
        is($_[0]{json}{error}{category}, 'validation',
           'a 400 is in the validation category');
        is_deeply($_[0]{json}{error}{details}, $details,
                  'details: ' . JSON::PP->new->canonical->encode($details));
    };
}

my @post = (method => 'POST', path => '/projects', key => $K);
run_cases(
    { name => 'malformed JSON', @post, json => '{"project_name":',
      status => 400, code => 'invalid_payload' },
    { name => 'an empty body', @post, body => '',
      headers => { 'Content-Type' => 'application/json' },
      status => 400, code => 'invalid_payload' },
    { name => 'a JSON array', @post, json => '[]', status => 400,
      code => 'invalid_payload' },
    { name => 'a JSON string', @post, json => '"Acme"', status => 400,
      code => 'invalid_payload' },
    { name => 'null', @post, json => 'null', status => 400,
      code => 'invalid_payload' },
    { name => 'trailing garbage', @post, json => '{"project_name":"a"} x',
      status => 400, code => 'invalid_payload' },
    { name => 'a duplicate key', @post,
      json => '{"project_name":"a","project_name":"b"}', status => 400,
      code => 'invalid_payload' },
    { name => 'a number for project_name', @post,
      json => { project_name => 5 }, status => 400, code => 'invalid_payload',
      check => payload_error({ field => 'project_name' }) },
    { name => 'a boolean flag', @post,
      json => { project_name => 'a', use_s3 => JSON::PP::true },
      status => 400, code => 'invalid_payload',
      check => payload_error({ field => 'use_s3' }) },
    { name => 'an object value', @post,
      json => { project_name => 'a', repo_url => {} }, status => 400,
      code => 'invalid_payload', check => payload_error({ field => 'repo_url' }) },
    { name => 'a null value', @post,
      json => { project_name => 'a', author_name => undef }, status => 400,
      code => 'invalid_payload',
      check => payload_error({ field => 'author_name' }) },
    { name => 'no project_name', @post, json => { use_s3 => 'y' },
      status => 400, code => 'invalid_payload',
      check => payload_error({ field => 'project_name' }) },
    { name => 'an empty project_name', @post, json => { project_name => '' },
      status => 400, code => 'invalid_payload',
      check => payload_error({ field => 'project_name' }) },
    { name => 'an unknown option', @post,
      json => { project_name => 'a', use_kafka => 'y' }, status => 400,
      code => 'invalid_generator_option',
      check => payload_error({ unknown => ['use_kafka'],
                               invalid_flags => [] }) },
    { name => 'a private key', @post,
      json => { project_name => 'a', _djass_catalog => 'x' }, status => 400,
      code => 'invalid_generator_option',
      check => payload_error({ unknown => ['_djass_catalog'],
                               invalid_flags => [] }) },
    { name => 'a flag that is not y/n', @post,
      json => { project_name => 'a', use_s3 => 'yes' }, status => 400,
      code => 'invalid_generator_option',
      check => payload_error({ unknown => [], invalid_flags => ['use_s3'] }) },
    { name => 'an upper-case flag', @post,
      json => { project_name => 'a', use_ci => 'Y' }, status => 400,
      code => 'invalid_generator_option',
      check => payload_error({ unknown => [], invalid_flags => ['use_ci'] }) },
    { name => 'unknown keys and bad flags together', @post,
      json => '{"project_name":"a","x1":"y","use_ai":"","x2":"n"}',
      status => 400, code => 'invalid_generator_option',
      check => payload_error({ unknown => ['x1', 'x2'],
                               invalid_flags => ['use_ai'] }) },
    { name => 'a slug of symbols only', @post,
      json => { project_name => 'a', project_slug => '!!! ---' },
      status => 400, code => 'invalid_project_slug',
      check => sub {
          is_deeply($_[0]{json}{error},
                    { request_id => $_[0]{headers}{"x-request-id"},
                      code => 'invalid_project_slug', category => 'validation',
                      message => 'project_slug must contain letters or numbers.',
                      retryable => JSON::PP::false,
                      details => { field => 'project_slug' } },
                    'the invalid slug error is the spec\'s, word for word');
      } },
    { name => 'an empty slug', @post,
      json => { project_name => 'a', project_slug => '' },
      status => 400, code => 'invalid_project_slug' },
    { name => 'a name whose default slug is empty', @post,
      json => { project_name => '¿?' }, status => 400,
      code => 'invalid_project_slug' },
);

# every option of the catalog: a non-string value names it; every flag:
# anything but y/n names it
my @flags = grep { /^(use_|generate_)/ } @catalog;
for my $field (@catalog) {
    my $res = create({ project_name => 'F', $field => [] });
    is_deeply([ $res->{status}, $res->{json}{error}{code},
                $res->{json}{error}{details}{field} ],
              [ 400, 'invalid_payload', $field ],
              "$field as a list: 400 invalid_payload naming $field");
}
for my $flag (@flags) {
    my $res = create({ project_name => 'F', $flag => 'maybe' });
    is_deeply([ $res->{status}, $res->{json}{error}{code},
                $res->{json}{error}{details}{invalid_flags} ],
              [ 400, 'invalid_generator_option', [$flag] ],
              "$flag = maybe: 400 invalid_generator_option naming $flag");
    $res = create({ project_name => 'F', $flag => 'n' });
    is($res->{json}{project}{input_payload}{$flag}, 'n', "$flag = n is kept");
}
for my $field (grep { !/^(use_|generate_)/ } @catalog) {
    next if $field eq 'project_slug' || $field eq 'project_name';
    my $res = create({ project_name => 'F', $field => "free text: $field" });
    is($res->{json}{project}{input_payload}{$field}, "free text: $field",
       "$field takes any string");
}

# --- the body limit ----------------------------------------------------------

# every value is bounded (1,000 bytes for free text, see t/270): a body of
# 60 KiB is the longest description allowed, then JSON whitespace
my $big = 'x' x 1000;
$res = create(json_encode({ project_name => 'Big',
                            project_description => $big })
              =~ s/\}\z/' ' x (60 * 1024) . '}'/er);
is($res->{status}, 201, 'a 60 KiB body is accepted (through a temp file)')
    or diag $res->{content};
is(length $res->{json}{project}{input_payload}{project_description},
   length $big, 'the longest description is stored whole');

$res = create({ project_name => 'Too big', project_description => 'x' x 66000 });
is($res->{status}, 413, 'a body over 64 KiB is 413');
is($res->{json}{error}{code}, 'payload_too_large',
   '413 is in the error envelope');

# chunked bodies are counted too
my $json = '{"project_name":"' . ('x' x 70000) . '"}';
my $raw = raw_http($nginx, join("\r\n",
    'POST /api/v1/projects HTTP/1.1', 'Host: x', "X-API-Key: $K",
    'Content-Type: application/json', 'Transfer-Encoding: chunked',
    'Connection: close', '', sprintf('%x', length $json), $json, '0', '',
    ''));
my ($r1) = parse_responses($raw);
is($r1 && $r1->{status}, 413, 'a chunked body over 64 KiB is 413');

# --- quota --------------------------------------------------------------------

my $small = make_key($redis, legacy => 1, quota => 2);
for my $n (1 .. 2) {
    $res = api(POST => '/projects', key => $small->{key},
               json => { project_name => "Q$n" });
    is($res->{status}, 201, "quota 2: project $n is created");
}
run_cases(
    { name => 'quota 2: the third', method => 'POST', path => '/projects',
      key => $small->{key}, json => { project_name => 'Q3' }, status => 429,
      code => 'quota_exceeded',
      check => sub {
          is_deeply($_[0]{json}{error},
                    { request_id => $_[0]{headers}{"x-request-id"},
                      code => 'quota_exceeded', category => 'quota',
                      message => 'Project quota exceeded for this API '
                                 . 'identity.',
                      retryable => JSON::PP::false,
                      details => { quota => 2,
                                   retry_guidance => 'Delete old projects or '
                                                     . 'request limit bump.' } },
                    'the 429 body is the spec\'s');
          ok(!exists $_[0]{headers}{'retry-after'},
             'a quota 429 is not retryable: no Retry-After');
      } },
    { name => 'quota reached, invalid body: 400 before 429', method => 'POST',
      path => '/projects', key => $small->{key},
      json => { project_name => '' }, status => 400,
      code => 'invalid_payload' },
);
is(redis_cli($redis, 'ZCARD', "djass:profile:$small->{profile}:projects"), 2,
   'a refused create leaves nothing behind');

# a profile without its own quota gets djass_quota (2 here)
my $dflt = make_key($redis, legacy => 1);
api(POST => '/projects', key => $dflt->{key}, json => { project_name => $_ })
    for 'D1', 'D2';
$res = api(POST => '/projects', key => $dflt->{key},
           json => { project_name => 'D3' });
is($res->{status}, 429, 'djass_quota is the quota of a profile without one');
is($res->{json}{error}{details}{quota}, 2, 'details.quota is djass_quota');

# a quota of 0 creates nothing
my $none = make_key($redis, legacy => 1, quota => 0);
$res = api(POST => '/projects', key => $none->{key},
           json => { project_name => 'Z' });
is($res->{status}, 429, 'a quota of 0 refuses the first project');

done_testing();
