# GET /projects.zip?...: the one-shot.  With a real worker it answers the
# ZIP itself, byte for byte the one GET /download gives; the same input
# again is the same project, charged to the quota once; its query is
# normalised exactly as a POST body is (each 400 compared with the POST's
# for the same input); both scopes are needed; a stopped worker gives a
# 202 with Location after djass_oneshot_wait, a failing template the 500
# envelope naming the project; a client that leaves while held costs
# nothing; many concurrent calls with one input make one project; an HTTP
# artifact store serves it as a folder does.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX qw(strftime);
use Djass::Test;
use Djass::Jobs;
use Djass::Build qw(valgrind_on);
use HTTP::Tiny;

my $f = slow_factor();
my $today = strftime('%Y%m%d', gmtime);
my $both = 'projects:create,projects:read';

# RFC 3986 escaping of everything but unreserved characters
sub q_esc {
    my ($s) = @_;
    utf8::encode($s) if utf8::is_utf8($s);
    return $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ger;
}

sub query { join '&', map { q_esc($_->[0]) . '=' . q_esc($_->[1]) } @_ }

sub projects_of {
    my ($redis, $profile) = @_;
    return redis_cli($redis, 'ZCARD', "djass:profile:$profile:projects");
}

sub oneshot {
    my ($s, $q, %o) = @_;
    return api(GET => "/projects.zip?$q", key => $o{key} // $s->{key},
               nginx => $s->{nginx}, %o);
}

# --- with a worker: the ZIP, and the same input reused ---------------------
my $redis = start_redis();
my $art = temp_dir('art-236');
my $nginx = start_nginx(redis => $redis, artifacts => $art,
                        http => 'djass_oneshot_wait ' . (20 * $f) . 's;');
my $k = make_key($redis, scopes => $both, quota => 3);
my $s = { nginx => $nginx, key => $k->{key} };
my $w = start_worker(redis => $redis, artifacts => $art);

my $t0 = time;
my $res = oneshot($s, 'project_name=Acme+CRM&use_stripe=n');
is($res->{status}, 200, 'the one-shot answers 200 once the project is ready')
    or diag($res->{content});
is($res->{headers}{'content-type'}, 'application/zip',
   'the one-shot answers a ZIP');
is($res->{headers}{'content-disposition'},
   "attachment; filename=\"acme_crm-$today.zip\"",
   'Content-Disposition is the download\'s');
my ($id) = ($res->{headers}{'content-location'} // '')
    =~ m{^/api/v1/projects/(\d+)$};
ok($id, 'Content-Location names the project: /api/v1/projects/{id}');
my $zip = $res->{content};

my $dl = api(GET => "/projects/$id/download", key => $s->{key});
is($dl->{status}, 200, 'the same project downloads the normal way');
ok(length $zip > 1000 && $zip eq $dl->{content},
   'the one-shot ZIP is byte-identical to the downloaded one');
my $p = api(GET => "/projects/$id", key => $s->{key})->{json};
is($p->{input_payload}{project_name}, 'Acme CRM', '"+" in the query is a space');
is($p->{input_payload}{use_stripe}, 'n', 'a flag in the query is applied');
is(projects_of($redis, $k->{profile}), 1, 'the quota counts one project');

$t0 = time;
$res = oneshot($s, 'use_stripe=n&project_name=Acme%20CRM&use_posthog=y');
is($res->{status}, 200, 'the same normalised input again: 200');
is($res->{headers}{'content-location'}, "/api/v1/projects/$id",
   'the same input (other order, %20, a default spelt out) is the same '
   . 'project');
ok($res->{content} eq $zip, 'and the same ZIP');
cmp_ok(time - $t0, '<', 2, 'a ready project is answered at once');
is(projects_of($redis, $k->{profile}), 1,
   'the quota is charged once for repeated identical calls');

$res = oneshot($s, 'project_name=Acme+CRM&use_stripe=y');
is($res->{status}, 200, 'a different input: 200');
my ($id2) = ($res->{headers}{'content-location'} // '') =~ m{(\d+)$};
ok($id2 && $id2 != $id, 'a different input is a new project');
is(projects_of($redis, $k->{profile}), 2, 'which the quota counts');

$res = api(HEAD => '/projects.zip?project_name=Acme+CRM&use_stripe=n',
           key => $s->{key});
is($res->{status}, 200, 'HEAD is answered as GET');
is($res->{content} // '', '', 'HEAD has no body');
is($res->{headers}{'content-length'}, length $zip,
   'HEAD has the ZIP\'s length');

# quota: a third input fits, a fourth does not; known inputs still answer
is(oneshot($s, 'project_name=Third')->{status}, 200, 'the third fits');
$res = oneshot($s, 'project_name=Fourth');
is($res->{status}, 429, 'over the quota: 429');
is($res->{json}{error}{code}, 'quota_exceeded', 'quota_exceeded, as create');
is(oneshot($s, 'project_name=Acme+CRM&use_stripe=n')->{status}, 200,
   'a known input at the quota is still answered: it charges nothing');

# deleted: the same input makes a new one
my (undef, $del) = djassctl($redis, 'key', 'create', '--profile',
                            $k->{profile}, '--scopes', 'projects:delete');
chomp $del;
is(api(DELETE => "/projects/$id2", key => $del)->{status}, 204,
   'the owner deletes the second project');
$res = oneshot($s, 'project_name=Acme+CRM&use_stripe=y');
my ($id3) = ($res->{headers}{'content-location'} // '') =~ m{(\d+)$};
ok($res->{status} == 200 && $id3 && $id3 != $id2,
   'its input again, once it is deleted, makes a new project');

# --- auth and scopes --------------------------------------------------------
for my $c ([ 'projects:create', 'projects:read' ],
           [ 'projects:read', 'projects:create' ]) {
    my ($has, $missing) = @$c;
    my $key = make_key($redis, scopes => $has)->{key};
    $res = oneshot($s, 'project_name=Scoped', key => $key);
    is($res->{status}, 403, "a key with only $has: 403");
    is($res->{json}{error}{code}, 'insufficient_scope',
       "... insufficient_scope");
    is($res->{json}{error}{details}{required_scope}, $missing,
       "... naming $missing");
}
$res = api(GET => '/projects.zip?project_name=NoKey');
is($res->{status}, 401, 'no key: 401');
is($res->{json}{error}{code}, 'auth_required', '... auth_required');
$res = api(GET => '/projects.zip?project_name=Bad', key => 'nope');
is($res->{status}, 401, 'an unknown key: 401');
$res = api(GET => "/projects.zip?project_name=Third&API_KEY=$s->{key}");
is($res->{status}, 200, 'the legacy ?api_key= works (any case) ...')
    or diag($res->{content});
is(projects_of($redis, $k->{profile}), 3,
   '... and is no option: the input is a known one, nothing charged');
$res = api(GET => "/projects.zip?project_name=Bad&api_key=x", key => 'nope');
is($res->{status}, 401, 'a bad key and a bad query: 401 first');
is(api(POST => '/projects.zip', key => $s->{key})->{status}, 405,
   'POST /projects.zip: 405');

stop_process($w);

# --- the query is normalised as a POST body ---------------------------------
# Without a worker and with djass_oneshot_wait 0 the one-shot answers 202
# with the project at once; a 400 must be the POST's, code and details.
my $r2 = start_redis();
my $n2 = start_nginx(redis => $r2, http => 'djass_oneshot_wait 0;');
my $k2 = make_key($r2, scopes => $both, quota => 1000);
my $s2 = { nginx => $n2, key => $k2->{key} };

my @same = (
    [ 'missing project_name', [] ],
    [ 'empty project_name', [ [ project_name => '' ] ] ],
    [ 'project_name too long', [ [ project_name => 'x' x 201 ] ] ],
    [ 'a flag not y/n', [ [ project_name => 'A' ], [ use_ai => 'yes' ] ] ],
    [ 'a flag in upper case', [ [ project_name => 'A' ], [ use_ai => 'Y' ] ] ],
    [ 'an unknown option', [ [ project_name => 'A' ], [ bogus => '1' ] ] ],
    [ 'a private key', [ [ project_name => 'A' ], [ _djass_catalog => 'x' ] ] ],
    [ 'an empty name', [ [ project_name => 'A' ], [ '' => 'x' ] ] ],
    [ 'a slug with nothing left', [ [ project_name => 'A' ],
                                    [ project_slug => '!!!' ] ] ],
    [ 'a slug too long', [ [ project_name => 'A' ],
                           [ project_slug => 'a' x 300 ] ] ],
    [ 'a text too long', [ [ project_name => 'A' ],
                           [ author_url => 'u' x 1001 ] ] ],
    [ 'a name of spaces', [ [ project_name => '   ' ] ] ],
    [ 'a name that slugifies to nothing', [ [ project_name => '***' ] ] ],
);
# the same input as a POST body and as a one-shot query: both answers
sub post_and_oneshot {
    my ($pairs) = @_;
    my %body = map { @$_ } @$pairs;
    return (api(POST => '/projects', key => $s2->{key}, json => \%body,
                nginx => $n2),
            oneshot($s2, query(@$pairs)));
}

for my $c (@same) {
    my ($name, $pairs) = @$c;
    my ($post, $get) = post_and_oneshot($pairs);
    is($get->{status}, $post->{status},
       "$name: the one-shot's status is the POST's ($post->{status})");
    if ($post->{status} == 400) {
        is_deeply([ $get->{json}{error}{code}, $get->{json}{error}{details} ],
                  [ $post->{json}{error}{code}, $post->{json}{error}{details} ],
                  "$name: the same 400 code and details as the POST");
    }
}

# what only a body's bytes or a query's can say
my @raw = (
    [ 'bad UTF-8', '{"project_name":"\xff"}', 'project_name=%FF' ],
    [ 'a NUL byte', '{"project_name":"a\u0000b"}', 'project_name=a%00b' ],
    [ 'a repeated option',
      '{"project_name":"a","project_name":"b"}',
      'project_name=a&project_name=b' ],
    [ 'a repeated option, encoded',
      '{"project_name":"a","project_name":"b"}',
      'project_name=a&project%5Fname=b' ],
);
for my $c (@raw) {
    my ($name, $body, $q) = @$c;
    my $post = api(POST => '/projects', key => $s2->{key}, body => $body,
                   headers => { 'Content-Type' => 'application/json' },
                   nginx => $n2);
    my $get = oneshot($s2, $q);
    is($post->{status}, 400, "$name: the POST is 400");
    is($get->{status}, 400, "$name: the one-shot is 400");
    is($get->{json}{error}{code}, $post->{json}{error}{code},
       "$name: the same code ($post->{json}{error}{code})");
    like($get->{json}{error}{message}, qr/query/,
         "$name: the message speaks of the query");
}

# accepted inputs: the same input_payload as the POST's
my @ok = (
    [ 'a plain name', [ [ project_name => 'Acme' ] ] ],
    [ 'UTF-8', [ [ project_name => "Caf\x{e9} \x{2603}" ] ] ],
    [ 'quotes and backslashes',
      [ [ project_name => 'A "q" \\ b' ], [ project_description => "a\tb" ] ] ],
    [ 'every free-text option',
      [ [ project_name => 'Acme CRM' ], [ project_slug => 'Acme-Crm!' ],
        [ author_name => 'A+B' ], [ author_email => 'a@b.test' ],
        [ project_main_color => 'blue' ], [ use_s3 => 'y' ],
        [ use_posthog => 'n' ] ] ],
    [ 'an empty author_email is the profile\'s',
      [ [ project_name => 'Mail' ], [ author_email => '' ] ] ],
    [ 'a long name at the bound', [ [ project_name => 'n' x 200 ] ] ],
);
for my $c (@ok) {
    my ($name, $pairs) = @$c;
    my ($post, $get) = post_and_oneshot($pairs);
    is($post->{status}, 201, "$name: the POST is 201");
    is($get->{status}, 202, "$name: the one-shot (no wait) is 202");
    is_deeply($get->{json}{project}{input_payload},
              $post->{json}{project}{input_payload},
              "$name: the same input_payload as the POST");
    is($get->{headers}{location},
       "/api/v1/projects/$get->{json}{project}{id}",
       "$name: Location names the project");
}
is(oneshot($s2, 'project_name=a%2Bb')->{json}{project}{name}, 'a+b',
   '%2B is a plus');
is(oneshot($s2, 'project_name=50%25+off%zz')->{json}{project}{name},
   '50% off%zz', '%25 is a percent, a "%" without two hex digits is itself');
is(oneshot($s2, 'project_name=Flag&use_ai')->{status}, 400,
   'an option without "=" is "": not a flag value, 400');
is(oneshot($s2, '&&project_name=Amp&&')->{status}, 202,
   'empty parameters ("&&") are skipped');
my $long = 'project_name=' . ('%41' x 2000);
$res = oneshot($s2, $long);
is($res->{status}, 400, 'an over-long value (escaped) is 400');
is($res->{json}{error}{details}{field}, 'project_name', '... naming it');

# --- no worker: 202 after djass_oneshot_wait --------------------------------
my $r3 = start_redis();
my $art3 = temp_dir('art-236-3');
my $n3 = start_nginx(redis => $r3, artifacts => $art3,
                     http => 'djass_oneshot_wait 2s;');
my $k3 = make_key($r3, scopes => $both);
my $s3 = { nginx => $n3, key => $k3->{key} };
$t0 = time;
$res = oneshot($s3, 'project_name=Waiting');
my $held = time - $t0;
is($res->{status}, 202, 'no worker: 202 Accepted');
cmp_ok($held, '>=', 1.9, 'after djass_oneshot_wait (2s) ...');
cmp_ok($held, '<', 4, '... and not much longer');
my $wid = $res->{json}{project}{id};
is($res->{headers}{location}, "/api/v1/projects/$wid",
   'Location: /api/v1/projects/{id}');
is($res->{json}{project}{status}, 'queued', 'the body is the project JSON');
is(api(GET => $res->{headers}{location} =~ s{^/api/v1}{}r, key => $s3->{key},
       nginx => $n3)->{json}{id}, $wid, 'Location can be followed');

# the worker comes while a one-shot is held: it is answered at once
$t0 = time;
my $pid = fork // die;
if (!$pid) {
    sleep 0.5;
    exec(bin('djass-worker'), '--redis', $r3->{addr}, '--template',
         repo_dir() . '/template', '--artifacts', $art3) or exit 1;
}
$res = oneshot($s3, 'project_name=Waiting');
is($res->{status}, 200, 'a held one-shot gets the ZIP when the project '
   . 'turns ready');
is($res->{headers}{'content-location'}, "/api/v1/projects/$wid",
   '... of the project already queued by the same input');
kill 'TERM', $pid;
waitpid($pid, 0);

# a client that leaves while held
for (1 .. 5) {
    raw_http($n3, "GET /api/v1/projects.zip?project_name=Left$_ HTTP/1.1\r\n"
                  . "Host: x\r\nX-API-Key: $s3->{key}\r\n\r\n",
             close_after => 0.3);
}
sleep 2.5;
is(api(GET => "/projects/$wid/status", key => $s3->{key}, nginx => $n3)
   ->{status}, 200, 'clients that left while held: nginx serves on');

# a reload while one-shots are held: answered 202 at once, not after the
# wait; the new workers serve on
SKIP: {
    skip 'no reload with master_process off (valgrind)', 3 if valgrind_on();
    my $n5 = start_nginx(redis => $r3, artifacts => $art3,
                         http => 'djass_oneshot_wait 30s;');
    my $t1 = time;
    my $kid = fork // die;
    if (!$kid) {
        my $r = api(GET => '/projects.zip?project_name=Reloaded',
                    key => $s3->{key}, nginx => $n5);
        exit($r->{status} == 202 ? 0 : 1);
    }
    sleep 1;
    kill 'HUP', $n5->{pid};
    waitpid($kid, 0);
    is($?, 0, 'a one-shot held across a reload is answered 202');
    cmp_ok(time - $t1, '<', 5, '... soon after the reload, not after 30s');
    sleep 0.5;
    is(api(GET => "/projects/$wid/status", key => $s3->{key}, nginx => $n5)
       ->{status}, 200, 'after the reload, requests succeed');
}

# many at once, one input: one project
my $before = projects_of($r3, $k3->{profile});
my @kids;
for my $i (1 .. 12) {
    my $kid = fork // die;
    if (!$kid) {
        my $r = api(GET => '/projects.zip?project_name=Crowd', key => $s3->{key},
                    nginx => $n3);
        exit($r->{status} == 202 ? 0 : 1);
    }
    push @kids, $kid;
}
my $bad = 0;
for (@kids) { waitpid($_, 0); $bad++ if $? }
is($bad, 0, '12 concurrent one-shots of one input all answer 202');
is(projects_of($r3, $k3->{profile}) - $before, 1,
   '... and make exactly one project');

# --- Redis down: 503 at once, and a held one-shot is not left hanging -------
{
    my $r7 = start_redis();
    my $n7 = start_nginx(redis => $r7, http => 'djass_oneshot_wait 20s;');
    my $key = make_key($r7, scopes => $both)->{key};
    my $t1 = time;
    my $kid = fork // die;
    if (!$kid) {
        my $r = api(GET => '/projects.zip?project_name=Dropped', key => $key,
                    nginx => $n7);
        exit($r->{status} == 503
             && ($r->{json}{error}{code} // '') eq 'retryable_error' ? 0 : 1);
    }
    sleep 1;
    stop_process($r7);
    waitpid($kid, 0);
    is($?, 0, 'Redis gone while a one-shot is held: 503 retryable_error');
    cmp_ok(time - $t1, '<', 10, '... within seconds, not after the wait');
    $res = api(GET => '/projects.zip?project_name=Dropped', key => $key,
               nginx => $n7);
    is($res->{status}, 503, 'Redis down: a one-shot is 503 at once');
    is($res->{json}{error}{code}, 'retryable_error', '... retryable_error');
}

# --- a failing template: the failure as 500 ----------------------------------
{
    my $r4 = start_redis();
    my $art4 = temp_dir('art-236-4');
    my $n4 = start_nginx(redis => $r4, artifacts => $art4,
                         http => 'djass_oneshot_wait ' . (20 * $f) . 's;');
    my $key = make_key($r4, scopes => $both)->{key};
    my $fw = start_worker(redis => $r4, artifacts => $art4,
                          template => worker_template('fail'));
    $res = api(GET => '/projects.zip?project_name=Doomed', key => $key,
               nginx => $n4);
    is($res->{status}, 500, 'a failing generation: 500');
    my $e = $res->{json}{error} // {};
    is($e->{code}, 'internal_error', '... internal_error');
    my ($fid) = ($res->{headers}{'content-location'} // '') =~ m{(\d+)$};
    ok($fid && $e->{details}{project_id} == $fid,
       '... naming the project (details.project_id, Content-Location)');
    is($e->{details}{status}, 'failed', '... with status failed');
    like($e->{details}{error_message}, qr/exit status: 3/,
         '... and the error_message');
    $res = api(GET => '/projects.zip?project_name=Doomed', key => $key,
               nginx => $n4);
    is($res->{status}, 500, 'the same input again: the same failure, at once');
    stop_process($fw);
}

# --- an HTTP artifact store -------------------------------------------------
{
    my $store = start_http_store();
    my $r5 = start_redis();
    my $edge = start_nginx(redis => $r5,
                           http => 'djass_oneshot_wait ' . (20 * $f) . 's;',
                           conf => sub { $_[0] =~ s{alias \S+;}
                               {proxy_pass http://127.0.0.1:$store->{port}/;}r });
    my $key = make_key($r5, scopes => $both)->{key};
    my $hw = start_worker(redis => $r5,
                          artifacts => "http://127.0.0.1:$store->{port}/",
                          args => [ '--work-dir', temp_dir('work-236') ]);
    $res = api(GET => '/projects.zip?project_name=Stored', key => $key,
               nginx => $edge);
    is($res->{status}, 200, 'an HTTP store: the one-shot answers the ZIP');
    my ($hid) = ($res->{headers}{'content-location'} // '') =~ m{(\d+)$};
    my $d = api(GET => "/projects/$hid/download", key => $key, nginx => $edge);
    ok(length $res->{content} > 1000 && $res->{content} eq $d->{content},
       '... the same bytes as its download');
    stop_process($hw);
}

# --- an S3 store: streamed, or a redirect to it -----------------------------
SKIP: {
    require Djass::S3;
    my $weed = Djass::S3::s3_weed();
    skip 'the SeaweedFS venv could not be made', 6 unless $weed;
    my $bucket = 'djass-236';
    my $store = Djass::S3::start_seaweed(weed => $weed, buckets => [$bucket]);
    my $creds = Djass::S3::s3_creds_file(temp_dir('s3-236') . '/s3.env');
    my $r6 = start_redis();
    my $key = make_key($r6, scopes => $both)->{key};
    my %edge;
    for my $mode ('stream', 'redirect') {
        $edge{$mode} = start_nginx(
            redis => $r6,
            http => "djass_s3_endpoint $store->{endpoint};\n"
                    . "    djass_s3_region us-east-1;\n"
                    . "    djass_s3_credentials $creds;\n"
                    . '    djass_oneshot_wait ' . (20 * $f) . 's;',
            location => $mode eq 'redirect' ? 'djass_s3_redirect on;' : '',
            conf => sub {
                my $c = shift;
                $c =~ s{djass_artifacts /_djass_artifacts/;}
                       {djass_artifacts s3://$bucket/p/;};
                $c =~ s{location /_djass_artifacts/ \{.*?\}}{}s;
                return $c;
            });
    }
    my $sw = start_worker(redis => $r6, artifacts => "s3://$bucket/p",
                          args => [ '--s3-endpoint', $store->{endpoint},
                                    '--s3-region', 'us-east-1',
                                    '--s3-credentials', $creds,
                                    '--work-dir', temp_dir('work-236-s3') ]);
    $res = api(GET => '/projects.zip?project_name=Bucketed', key => $key,
               nginx => $edge{stream});
    is($res->{status}, 200, 'S3, streamed: the one-shot answers the ZIP')
        or diag($res->{content});
    my ($sid) = ($res->{headers}{'content-location'} // '') =~ m{(\d+)$};
    my $d = api(GET => "/projects/$sid/download", key => $key,
                nginx => $edge{stream});
    ok(length $res->{content} > 1000 && $res->{content} eq $d->{content},
       'S3, streamed: the same bytes as its download');
    my $ua = HTTP::Tiny->new(max_redirect => 0);
    $res = $ua->get("http://127.0.0.1:$edge{redirect}{port}/api/v1/"
                    . 'projects.zip?project_name=Bucketed',
                    { headers => { 'X-API-Key' => $key } });
    is($res->{status}, 302, 'S3, djass_s3_redirect: the one-shot is a 302');
    like($res->{headers}{location} // '', qr/X-Amz-Signature=/,
         '... to a presigned URL');
    is($res->{headers}{'content-location'}, "/api/v1/projects/$sid",
       '... with Content-Location');
    my $got = HTTP::Tiny->new->get($res->{headers}{location} // 'http://x/');
    ok($got->{success} && $got->{content} eq $d->{content},
       '... where the same ZIP is');
    stop_process($sw);
}

done_testing();
