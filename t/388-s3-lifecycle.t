# A project's lifecycle on an S3 artifact store (SeaweedFS, as t/387):
# the object goes with the project, and djassctl gc walks the bucket.
#
# - DELETE of a ready project: the worker removes its object (a signed
#   DELETE) within 5 s; a second removal of a missing object is done too;
# - DELETE of a generating project leaves no object, also when it comes
#   between the upload and the record (DJASS_DEBUG_CRASH=published:pause);
# - a removal the store refuses (403, wrong credentials) is logged with the
#   store's code and retried; after the file is fixed and SIGHUP, done;
# - --retention 2s: the expired projects' objects go;
# - djassctl gc --artifacts s3://... with the worker's S3 flags: bad input
#   refused with a message, wrong credentials and an unreachable store
#   exit 1 saying so; a worker killed between the store and the record
#   (DJASS_DEBUG_CRASH=published) leaves an orphan that --dry-run only
#   counts and gc removes; a ready record whose object is gone is
#   reported; many orphans over pages of 2 keys (DJASS_DEBUG_S3_MAX_KEYS)
#   all go, and nothing outside PREFIX/projects/ nor a name a worker does
#   not write is touched; credentials from AWS_* work as from a file.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Jobs;
use Djass::S3;
use Djass::Build qw(valgrind_on);

plan skip_all => 'too slow under valgrind' if valgrind_on();

my $weed = s3_weed()
    or plan skip_all => 'the SeaweedFS venv could not be made '
                        . '(scripts/venv with t/s3/requirements.txt)';

my $f = slow_factor();
my $tpl = worker_template('slow');
my $bucket = 'djass-life';
my $prefix = 'fleet/a';
my $store = start_seaweed(weed => $weed, buckets => [$bucket]);
ok($store, "SeaweedFS serves S3 on $store->{endpoint}");

my $dir = temp_dir('s3-388');
my $good = s3_creds_file("$dir/good.env");
my $bad = s3_creds_file("$dir/bad.env", secret => 'not-the-secret');
my $blob = "$dir/blob.zip";
{
    open my $fh, '>', $blob or die $!;
    print $fh "PK not a real zip\n";
    close $fh;
}

my $redis = start_redis();
my $nginx = start_nginx(redis => $redis, template => $tpl,
                        http => 'djass_quota 1000;');
my $K = make_key($redis, legacy => 1)->{key};

my @s3 = ('--s3-endpoint', $store->{endpoint}, '--s3-region', 'us-east-1');

sub worker {
    my (@args) = @_;
    return start_worker(redis => $redis, template => $tpl,
                        artifacts => "s3://$bucket/$prefix",
                        args => [@s3, '--s3-credentials', $good,
                                 '--work-dir', temp_dir('work'), @args]);
}

sub create {
    my (%payload) = @_;
    my $res = api(POST => '/projects', key => $K,
                  json => { project_name => 'Life ' . int(rand 1e6),
                            use_docs => 'n', %payload });
    is($res->{status}, 201, 'create: 201') or diag($res->{content});
    return $res->{json}{project}{id};
}

sub rel_of { sprintf('projects/%03d/%d.zip', $_[0] % 1000, $_[0]) }
sub path_of { "/$bucket/$prefix/" . rel_of($_[0]) }

# the object's HTTP status: 200 there, 404 not (a GET: curl's -X HEAD
# would wait for the body its Content-Length announces)
sub head_of { (s3_curl($store, 'GET', path_of($_[0])))[0] }

sub gone_within {
    my ($id, $secs) = @_;
    return wait_until(sub { head_of($id) eq '404' }, $secs * $f, 0.05);
}

my @tool = (build_dir() . '/t/store_tool', '--artifacts',
            "s3://$bucket/$prefix", @s3, '--s3-credentials', $good);

sub tool {
    my $out = `'@{[ join("' '", @tool, @_) ]}' 2>&1`;
    return ($? >> 8, $out);
}

sub gc {
    my (@args) = @_;
    my ($rc, $out, $err) = djassctl($redis, 'gc', '--artifacts',
                                    "s3://$bucket/$prefix", @s3,
                                    '--s3-credentials', $good, @args);
    is($rc, 0, "gc @args exits 0") or diag($err);
    my $j = json_decode($out);
    ok($j && $out =~ /\A\{.*\}\n\z/s, "gc @args prints one JSON object")
        or diag($out);
    return $j // {};
}

# --- 0. gc: bad input, wrong credentials, an unreachable store ---------------
{
    my @cases = (
        [ 'an S3 store without a region',
          [ '--artifacts', "s3://$bucket", '--s3-credentials', $good ],
          qr/the S3 region is missing/ ],
        [ '--s3-region with a folder',
          [ '--artifacts', $dir, '--s3-region', 'r' ],
          qr/go with --artifacts s3:\/\/BUCKET/ ],
        [ 'a bucket name that is not one',
          [ '--artifacts', 's3://Bad_B', @s3, '--s3-credentials', $good ],
          qr/bucket name is not a bucket name/ ],
        [ 'a missing credentials file',
          [ '--artifacts', "s3://$bucket", @s3, '--s3-credentials',
            "$dir/none.env" ],
          qr/cannot read the S3 credentials file/ ],
        [ 'wrong credentials',
          [ '--artifacts', "s3://$bucket/$prefix", @s3, '--s3-credentials',
            $bad ],
          qr/cannot list the artifact store: .*SignatureDoesNotMatch/ ],
        [ 'an unreachable store',
          [ '--artifacts', "s3://$bucket/$prefix", '--s3-endpoint',
            'http://127.0.0.1:' . free_port(), '--s3-region', 'us-east-1',
            '--s3-credentials', $good ],
          qr/cannot list the artifact store/ ],
        [ 'an HTTP store', [ '--artifacts', 'http://127.0.0.1:1/' ],
          qr/an HTTP store cannot be listed/ ],
    );
    for my $c (@cases) {
        my ($rc, $out, $err) = djassctl($redis, 'gc', @{ $c->[1] });
        is($rc, 1, "gc, $c->[0]: exit 1");
        like($err, $c->[2], "gc, $c->[0]: says so") or diag($err);
        unlike($err, qr/\Q$Djass::S3::SECRET\E|not-the-secret/,
               "gc, $c->[0]: no secret in the message");
        is($out, '', "gc, $c->[0]: nothing on stdout");
    }
    {
        local %ENV = %ENV;
        delete @ENV{qw(AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY)};
        my ($rc, $out, $err) = djassctl($redis, 'gc', '--artifacts',
                                        "s3://$bucket/$prefix", @s3);
        is($rc, 1, 'gc without a credentials file nor AWS_*: exit 1');
        like($err, qr/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are both needed/,
             '... says so');
    }
    my ($rc, $out, $err) = djassctl($redis, '--help');
    like($err, qr/--s3-endpoint URL.*--s3-credentials FILE/s,
         'djassctl --help names the S3 flags');
}

my $j = gc();
is_deeply([ @$j{qw(artifacts orphans removed missing temporary)} ],
          [0, 0, 0, 0, 0], 'gc of an empty bucket: nothing to do');

# --- 1. DELETE of a ready project: its object goes within 5 s ------------------
my $w = worker('--concurrency', 2);
my $live = create();
my $ready = create();
ok(wait_status($redis, $live, 'ready') && wait_status($redis, $ready, 'ready'),
   'two projects are ready') or diag(worker_log($w));
is(head_of($ready), '200', 'the object is in the bucket');
my $t0 = time;
is(api(DELETE => "/projects/$ready", key => $K)->{status}, 204,
   'DELETE of a ready project: 204');
ok(gone_within($ready, 5), 'its object is gone from the bucket within 5 s')
    or diag(worker_log($w));
my $took = time - $t0;
note(sprintf('DELETE to the object gone: %.2f s', $took));
ok(wait_until(sub { pending_jobs($redis) == 0 }, 10 * $f),
   'no removal job is left pending');
is(head_of($live), '200', 'the other project\'s object stays');

# the removal of an object already gone is done too: the job does not stay
{
    my $id = create();
    ok(wait_status($redis, $id, 'ready'), 'another project is ready');
    my ($code) = s3_curl($store, 'DELETE', path_of($id));
    is(head_of($id), '404', 'its object removed behind the worker\'s back');
    is(api(DELETE => "/projects/$id", key => $K)->{status}, 204,
       'DELETE of it: 204');
    ok(wait_until(sub { pending_jobs($redis) == 0
                        && redis_cli($redis, 'XLEN', 'djass:jobs') == 0 },
                  10 * $f), 'the removal of a missing object is done')
        or diag(worker_log($w));
    unlike(worker_log($w), qr/project $id: deleted, but its artifact could not be removed/,
           '... without a retry');
}

# --- 2. DELETE of a generating project leaves no object -------------------------
{
    my $g = create(hook_sleep => '' . (1.5 * $f));
    ok(wait_status($redis, $g, 'generating'), 'a slow project is generating');
    is(api(DELETE => "/projects/$g", key => $K)->{status}, 204,
       'DELETE of a generating project: 204');
    ok(wait_until(sub { worker_log($w) =~ /project $g: deleted while generating: cancelled/ },
                  20 * $f), 'the worker cancels it') or diag(worker_log($w));
    ok(wait_until(sub { pending_jobs($redis) == 0 }, 10 * $f),
       'no job is left pending');
    is(head_of($g), '404', 'no object of it is in the bucket');
}
stop_process($w);

{
    local $ENV{DJASS_DEBUG_CRASH} = 'published:pause';
    my $pw = worker();
    my $id = create();
    ok(wait_until(sub { head_of($id) eq '200' }, 20 * $f, 0.05),
       'the object is uploaded, the record not yet written')
        or diag(worker_log($pw));
    is(project($redis, $id)->{status}, 'generating', 'it says generating');
    is(api(DELETE => "/projects/$id", key => $K)->{status}, 204,
       'DELETE in that window: 204');
    ok(wait_until(sub { worker_log($pw) =~ /project $id: deleted while generating: cancelled.*nothing of it is left in the store/ },
                  20 * $f), 'the worker cancels it and removes what it '
                  . 'uploaded') or diag(worker_log($pw));
    is(head_of($id), '404', 'the object it uploaded is gone');
    ok(wait_until(sub { pending_jobs($redis) == 0 }, 10 * $f),
       'no job is left pending');
    stop_process($pw);
}

# --- 2b. a removal the store refuses (403) is retried, then done -----------
{
    my $creds = s3_creds_file("$dir/worker.env");
    my $hw = start_worker(redis => $redis, template => $tpl,
                          artifacts => "s3://$bucket/$prefix",
                          args => [@s3, '--s3-credentials', $creds,
                                   '--visibility-timeout', 1,
                                   '--work-dir', temp_dir('work')]);
    my $id = create();
    ok(wait_status($redis, $id, 'ready'), 'a project is ready')
        or diag(worker_log($hw));
    s3_creds_file($creds, secret => 'now-wrong');
    kill 'HUP', $hw->{pid};     # read again before the next request
    is(api(DELETE => "/projects/$id", key => $K)->{status}, 204,
       'DELETE of it: 204');
    ok(wait_until(sub { worker_log($hw) =~ /project $id: deleted, but its artifact could not be removed yet: .*SignatureDoesNotMatch.*retried/ },
                  20 * $f), 'the store refuses the removal: logged with '
                  . 'its code, to be retried') or diag(worker_log($hw));
    is(head_of($id), '200', 'the object is still there');
    s3_creds_file($creds);
    kill 'HUP', $hw->{pid};
    ok(gone_within($id, 20), 'with the credentials fixed (SIGHUP) the '
       . 'retried removal takes the object') or diag(worker_log($hw));
    ok(wait_until(sub { pending_jobs($redis) == 0 }, 10 * $f),
       'no job is left pending');
    unlike(worker_log($hw), qr/now-wrong|\Q$Djass::S3::SECRET\E/,
           'no secret in the worker\'s log');
    stop_process($hw);
}

# --- 3. --retention 2s: the expired projects' objects go ------------------------
{
    my $rw = worker('--retention', '2s', '--concurrency', 2);
    my @ids = map { create() } 1 .. 3;
    my %seen;
    ok(wait_until(sub {
            $seen{$_} ||= head_of($_) eq '200' for @ids;
            return !grep { !$seen{$_} } @ids;
        }, 20 * $f, 0.05), 'three objects are uploaded')
        or diag(worker_log($rw));
    ok(wait_until(sub { !grep { head_of($_) ne '404' } @ids }, 20 * $f, 0.2),
       'all three objects are gone after the retention')
        or diag(worker_log($rw));
    is(redis_cli($redis, 'EXISTS', map { "djass:project:$_" } @ids), 0,
       'and their records');
    is(head_of($live), '404', 'the older project expired too (retention '
       . 'counts from when it finished)');
    stop_process($rw);
}

# --- 4. gc: a worker killed between the store and the record ------------------
$w = worker();
$live = create();
ok(wait_status($redis, $live, 'ready'), 'a live project is ready');
stop_process($w);
{
    local $ENV{DJASS_DEBUG_CRASH} = 'published';
    my $c = worker('--visibility-timeout', 1);
    my $p = create();
    ok(wait_until(sub { head_of($p) eq '200' }, 20 * $f, 0.05),
       'the crashing worker uploaded the object') or diag(worker_log($c));
    ok(wait_until(sub { !kill(0, $c->{pid}) || waitpid($c->{pid}, 1) }, 10),
       'and was killed right after');
    like(worker_log($c), qr/DJASS_DEBUG_CRASH: killed at "published"/,
         'at the crash point "published"');
    is(project($redis, $p)->{status}, 'generating',
       'its record still says generating');

    $j = gc('--dry-run');
    is($j->{orphans}, 0, 'a generating project\'s object is no orphan');
    is($j->{artifacts}, 2, 'two objects are listed');

    is(api(DELETE => "/projects/$p", key => $K)->{status}, 204,
       'the project is deleted (no worker running)');
    $j = gc('--dry-run');
    is_deeply([ @$j{qw(artifacts orphans removed)} ], [2, 1, 0],
              'dry run: two objects, one orphan, nothing removed');
    ok($j->{dry_run}, 'dry run: says so');
    is(head_of($p), '200', 'dry run: the object is still there');
    $j = gc();
    is_deeply([ @$j{qw(artifacts orphans removed remove_failed)} ],
              [2, 1, 1, 0], 'gc: one orphan, removed');
    is(head_of($p), '404', 'the orphan is gone from the bucket');
    is(head_of($live), '200', 'the live project\'s object stays');
    is($j->{missing}, 0, 'nothing is missing');

    # a normal worker ends the left jobs without re-creating anything
    $w = worker('--visibility-timeout', 1);
    ok(wait_until(sub { pending_jobs($redis) == 0
                        && redis_cli($redis, 'XLEN', 'djass:jobs') == 0 },
                  20 * $f), 'the left jobs are dropped')
        or diag(worker_log($w));
    is(head_of($p), '404', 'and no object comes back');
    stop_process($w);
}

# --- 5. a ready record whose object is gone is reported -------------------------
{
    s3_curl($store, 'DELETE', path_of($live));
    $j = gc();
    is($j->{missing}, 1, 'a ready record without its object is reported');
    is_deeply($j->{missing_ids}, [ $live ], 'by id');
    my ($rc, $out) = tool('put', $blob, rel_of($live));
    is($rc, 0, 'the object put back') or diag($out);
    $j = gc();
    is($j->{missing}, 0, 'then nothing is missing');
}

# --- 6. many orphans over many pages; what is not ours stays --------------------
{
    my @orphans = map { 900000 + $_ } 1 .. 9;
    for my $id (@orphans) {
        my ($rc, $out) = tool('put', $blob, rel_of($id));
        is($rc, 0, "orphan $id put") or diag($out);
    }
    # not a name a worker writes, deeper than projects/NNN/, another
    # prefix: none is gc's to judge
    my @others = ('projects/001/notes.zip', 'projects/001/x/1.zip',
                  'projects/001/12.txt');
    for my $rel (@others) {
        my ($rc, $out) = tool('put', $blob, $rel);
        is($rc, 0, "$rel put") or diag($out);
    }
    my @b = (build_dir() . '/t/store_tool', '--artifacts',
             "s3://$bucket/fleet/b", @s3, '--s3-credentials', $good);
    my $out = `'@{[ join("' '", @b) ]}' put '$blob' projects/900/900001.zip 2>&1`;
    is($?, 0, 'an object under another prefix') or diag($out);

    local $ENV{DJASS_DEBUG_S3_MAX_KEYS} = 2;
    $j = gc('--dry-run');
    is_deeply([ @$j{qw(artifacts orphans removed)} ], [10, 9, 0],
              'dry run over pages of 2 keys: 10 objects, 9 orphans');
    is(scalar(grep { head_of($_) eq '200' } @orphans), 9,
       'dry run: every orphan is still there');

    $j = gc();
    is_deeply([ @$j{qw(artifacts orphans removed remove_failed missing)} ],
              [10, 9, 9, 0, 0], 'gc over pages of 2 keys: 9 removed');
    is(scalar(grep { head_of($_) eq '404' } @orphans), 9,
       'every orphan is gone from the bucket');
    is(head_of($live), '200', 'the live project\'s object stays');
    for my $rel (@others) {
        my ($code) = s3_curl($store, 'GET', "/$bucket/$prefix/$rel");
        is($code, '200', "$rel stays");
    }
    my ($code) = s3_curl($store, 'GET',
                         "/$bucket/fleet/b/projects/900/900001.zip");
    is($code, '200', 'the other prefix\'s object stays');

    # the credentials from the environment, as the worker's
    local $ENV{AWS_ACCESS_KEY_ID} = $Djass::S3::ACCESS;
    local $ENV{AWS_SECRET_ACCESS_KEY} = $Djass::S3::SECRET;
    my ($rc, $o, $err) = djassctl($redis, 'gc', '--artifacts',
                                  "s3://$bucket/$prefix", @s3, '--dry-run');
    is($rc, 0, 'gc with the credentials from AWS_*') or diag($err);
    $j = json_decode($o) // {};
    is_deeply([ @$j{qw(artifacts orphans)} ], [1, 0],
              '... lists the store: one object, no orphan');
}

done_testing();
