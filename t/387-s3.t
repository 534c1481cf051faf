# An S3 artifact store: SeaweedFS's S3 gateway (t/lib/Djass/S3.pm), which
# refuses unsigned and badly signed requests.  The worker uploads with
# --artifacts s3://BUCKET/PREFIX, nginx downloads with djass_s3_* and
# djass_artifacts s3://..., both signing with lib/djass_sigv4.c.
#
# - create -> ready -> download through nginx, byte-identical to
#   `djass-worker render --zip`, streamed (ETag, Last-Modified, Range,
#   If-None-Match) and redirected (302 to a presigned URL);
# - the PUT's x-amz-content-sha256 is the ZIP's SHA-256;
# - the bucket refuses an unsigned GET and a presigned URL past its TTL;
# - an nginx with wrong credentials answers the logged 500, one whose
#   store is unreachable 503 retryable_error, never the object;
# - the store SIGSTOPped 10 s during a burst of 20 creates: all ready;
# - a worker with wrong credentials keeps its jobs waiting, logs the
#   store's code once, and completes them after the file is fixed and
#   SIGHUP.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use HTTP::Tiny;
use Digest::SHA qw(sha256_hex);
use POSIX ();
use Djass::Test;
use Djass::Jobs;
use Djass::S3;
use Djass::Build qw(valgrind_on sanitize_on bin nginx_bin);

plan skip_all => 'too slow under valgrind' if valgrind_on();

my $weed = s3_weed()
    or plan skip_all => 'the SeaweedFS venv could not be made '
                        . '(scripts/venv with t/s3/requirements.txt)';

my $tpl = worker_template('slow');
my $bucket = 'djass-artifacts';
my $prefix = 'fleet/a';
my $store = start_seaweed(weed => $weed, buckets => [$bucket], https => 1);
ok($store, "SeaweedFS serves S3 on $store->{endpoint}");

my $dir = temp_dir('s3');
my $good = s3_creds_file("$dir/good.env");
my $bad = s3_creds_file("$dir/bad.env", secret => 'not-the-secret');

# --- 0. bad input: the worker's flags and nginx's directives --------------
{
    my $tplroot = repo_dir() . '/template';
    my @w = (bin('djass-worker'), '--redis', '127.0.0.1:1', '--template',
             $tplroot);
    my @cases = (
        [ 'no region', [ '--artifacts', 's3://djass-b' ],
          qr/--artifacts s3:\/\/djass-b: the S3 region is missing/ ],
        [ 'a bucket name with capitals', [ '--artifacts', 's3://Bad_B',
          '--s3-region', 'us-east-1' ], qr/bucket name is not a bucket name/ ],
        [ 'a prefix with ..', [ '--artifacts', 's3://djass-b/a/../b',
          '--s3-region', 'us-east-1' ], qr/prefix is not usable/ ],
        [ 'an endpoint that is not http(s)', [ '--artifacts', 's3://djass-b',
          '--s3-region', 'r', '--s3-endpoint', 'ftp://x' ],
          qr/endpoint is not http\(s\)/ ],
        [ 'a port that is not one', [ '--artifacts', 's3://djass-b',
          '--s3-region', 'r', '--s3-endpoint', 'http://h:99999' ],
          qr/port is not a port/ ],
        [ '--s3-region without s3://', [ '--artifacts', $dir,
          '--s3-region', 'r' ], qr/go with --artifacts s3:\/\/BUCKET/ ],
        [ 'a missing credentials file', [ '--artifacts', 's3://djass-b',
          '--s3-region', 'r', '--s3-credentials', "$dir/none.env" ],
          qr/cannot read the S3 credentials file \Q$dir\E\/none.env/ ],
        [ 'a file without the secret', [ '--artifacts', 's3://djass-b',
          '--s3-region', 'r', '--s3-credentials',
          do { open my $fh, '>', "$dir/nosecret.env" or die $!;
               print $fh "not a line\nAWS_ACCESS_KEY_ID=x\n"; close $fh;
               chmod 0600, "$dir/nosecret.env"; "$dir/nosecret.env" } ],
          qr/not NAME=value|are both needed/ ],
    );
    for my $c (@cases) {
        my $out = `'@{[ join("' '", @w, @{ $c->[1] }) ]}' 2>&1`;
        is($? >> 8, 2, "worker, $c->[0]: exit 2");
        like($out, $c->[2], "worker, $c->[0]: says so");
    }
    {
        local %ENV = %ENV;
        delete @ENV{qw(AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY)};
        my $out = `'@{[ join("' '", @w, '--artifacts', 's3://djass-b',
                                 '--s3-region', 'r') ]}' 2>&1`;
        like($out, qr/the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are both needed/,
             'worker without a file nor AWS_* variables: says so');
    }

    my $secret_file = s3_creds_file("$dir/nginx-t.env");
    my @bad = (
        [ 'no region', '', "djass_s3_credentials $secret_file;",
          's3://djass-b/p/', qr/S3 region is missing/ ],
        [ 'a bad bucket', 'djass_s3_region r;',
          "djass_s3_credentials $secret_file;", 's3://B/',
          qr/bucket name is not a bucket name/ ],
        [ 'an unreadable credentials file', 'djass_s3_region r;',
          "djass_s3_credentials $dir/none.env;", 's3://djass-b/',
          qr/cannot read the S3 credentials file/ ],
        [ 'an endpoint that does not resolve',
          'djass_s3_region r; djass_s3_endpoint http://no-such-host.invalid:9;',
          "djass_s3_credentials $secret_file;", 's3://djass-b/',
          qr/cannot resolve "no-such-host.invalid" \(the S3 store\)/ ],
    );
    for my $b (@bad) {
        my ($rc, $out) = nginx_test_config(
            http => "$b->[1] $b->[2]",
            conf => sub { $_[0] =~ s{djass_artifacts /_djass_artifacts/;}
                                    {djass_artifacts $b->[3];}r });
        isnt($rc, 0, "nginx -t, $b->[0]: refused");
        like($out, $b->[4], "nginx -t, $b->[0]: says so");
        unlike($out, qr/\Q$Djass::S3::SECRET\E|\Q$Djass::S3::ACCESS\E/,
               "nginx -t, $b->[0]: no credential in the message");
    }
    my ($rc, $out) = nginx_test_config(
        http => "djass_s3_region r; djass_s3_credentials $secret_file;",
        location => 'djass_s3_redirect on 8d;',
        conf => sub { $_[0] =~ s{djass_artifacts /_djass_artifacts/;}
                                {djass_artifacts s3://djass-b/;}r });
    like($out, qr/djass_s3_redirect: the TTL "8d" is not a time from 1s to 7d/,
         'nginx -t: a redirect TTL past 7 days is refused');
    ($rc, $out) = nginx_test_config(
        http => "djass_s3_endpoint http://127.0.0.1:8333; "
                . "djass_s3_region us-east-1; "
                . "djass_s3_credentials $secret_file;",
        conf => sub { $_[0] =~ s{djass_artifacts /_djass_artifacts/;}
                                {djass_artifacts s3://djass-b/p/;}r });
    is($rc, 0, 'nginx -t accepts the pinned configuration') or diag($out);
    unlike($out, qr/\Q$Djass::S3::SECRET\E/, '... and shows no secret');
    # AWS in redirect mode: nothing to resolve (this host may have no DNS)
    ($rc, $out) = nginx_test_config(
        http => "djass_s3_region eu-west-1; djass_s3_credentials $secret_file;",
        location => 'djass_s3_redirect on;',
        conf => sub { $_[0] =~ s{djass_artifacts /_djass_artifacts/;}
                                {djass_artifacts s3://djass-b/;}r });
    is($rc, 0, 'nginx -t accepts AWS (no endpoint) in redirect mode')
        or diag($out);
}

my $redis = start_redis();
my $key = make_key($redis)->{key};

# nginx, with nothing but the pinned directives: no artifacts location
sub s3_nginx {
    my (%o) = @_;
    my $endpoint = $o{endpoint} // $store->{endpoint};
    return start_nginx(
        redis => $redis, template => $tpl,
        http => "djass_s3_endpoint $endpoint;\n"
                . "    djass_s3_region us-east-1;\n"
                . "    djass_s3_credentials $o{creds};",
        location => $o{redirect} ? "djass_s3_redirect $o{redirect};" : '',
        conf => sub {
            my $c = shift;
            $c =~ s{djass_artifacts /_djass_artifacts/;}
                   {djass_artifacts s3://$bucket/$prefix/;};
            $c =~ s{location /_djass_artifacts/ \{.*?\}}{}s;
            return $c;
        });
}

my $stream = s3_nginx(creds => $good);
my $redirect = s3_nginx(creds => $good, redirect => 'on 2s');
my $wrong = s3_nginx(creds => $bad);
my $down = s3_nginx(creds => $good,
                    endpoint => 'http://127.0.0.1:' . free_port());
# https: the store's certificate trusted through SSL_CERT_FILE (OpenSSL's
# default paths, read when nginx loads its configuration), or not at all
my $tls = do {
    local $ENV{SSL_CERT_FILE} = $store->{cert};
    s3_nginx(creds => $good, endpoint => $store->{https_endpoint});
};
my $untrusted = do {
    local $ENV{SSL_CERT_FILE} = '/etc/ssl/certs/ca-certificates.crt';
    s3_nginx(creds => $good, endpoint => $store->{https_endpoint});
};
unlike($stream->{conf}, qr/_djass_artifacts|alias|proxy_pass|proxy_set/,
       'the nginx configuration has no artifacts location, no proxy_*');

sub worker {
    my ($creds, @args) = @_;
    return start_worker(redis => $redis, template => $tpl,
                        artifacts => "s3://$bucket/$prefix",
                        args => ['--s3-endpoint', $store->{endpoint},
                                 '--s3-region', 'us-east-1',
                                 '--s3-credentials', $creds,
                                 '--work-dir', temp_dir('work'), '-v',
                                 @args]);
}
my $worker = worker($good, '--concurrency', 2);

my $ua = HTTP::Tiny->new(timeout => 30, keep_alive => 0, max_redirect => 0);

sub call {
    my ($n, $method, $path, %o) = @_;
    my $body = $o{json};
    my $res = $ua->request($method,
        "http://127.0.0.1:$n->{port}/api/v1$path", {
        headers => { 'X-API-Key' => $key, %{ $o{headers} // {} },
                     $body ? ('Content-Type' => 'application/json') : () },
        $body ? (content => json_encode($body)) : () });
    $res->{json} = json_decode($res->{content})
        if ($res->{headers}{'content-type'} // '') =~ /json/;
    return $res;
}

sub create {
    my ($name) = @_;
    my $res = call($stream, POST => '/projects',
                   json => { project_name => $name, use_docs => 'n' });
    return $res->{status} == 201 ? $res->{json}{project} : undef;
}

sub status_of { project($redis, $_[0])->{status} // '' }

sub object_path {
    my ($id) = @_;
    return sprintf('/%s/%s/projects/%03d/%d.zip', $bucket, $prefix,
                   $id % 1000, $id);
}

my $zip_ref;
my ($id, $project);

# --- 1. create -> ready -> streamed download ---------------------------------
{
    $project = create('S3 One');
    ok($project, 'create answers 201');
    $id = $project->{id};
    ok(wait_finished($redis, [$id], 60) && status_of($id) eq 'ready',
       'the project ends ready: uploaded to the bucket')
        or diag(worker_log($worker));

    $zip_ref = render_zip($tpl, $project->{input_payload}, 's3', $project);
    my $ref_bytes = do { local (@ARGV, $/) = ($zip_ref); binmode ARGV; <> };

    my $dl = call($stream, GET => "/projects/$id/download");
    is($dl->{status}, 200, 'streamed: the download answers 200');
    ok($dl->{content} eq $ref_bytes,
       'streamed: byte-identical to djass-worker render --zip');
    is($dl->{headers}{'content-type'}, 'application/zip',
       'streamed: Content-Type application/zip');
    like($dl->{headers}{'content-disposition'} // '',
         qr/^attachment; filename="s3_one-\d{8}\.zip"$/,
         'streamed: Content-Disposition as for a folder store');
    ok($dl->{headers}{etag}, 'streamed: the store\'s ETag');
    like($dl->{headers}{'last-modified'} // '', qr/GMT$/,
         'streamed: the store\'s Last-Modified');
    is($dl->{headers}{'content-length'}, length $ref_bytes,
       'streamed: Content-Length is the ZIP\'s');

    # 20 clients at once, each its own signed GET to the store
    my @kids;
    for my $k (1 .. 20) {
        pipe(my $r, my $w) or die $!;
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            close $r;
            my $res = call($stream, GET => "/projects/$id/download");
            print $w ($res->{status} == 200 ? sha256_hex($res->{content})
                                            : "status $res->{status}");
            close $w;
            POSIX::_exit(0);
        }
        close $w;
        push @kids, [$pid, $r];
    }
    my %seen;
    for my $k (@kids) {
        my $fh = $k->[1];
        my $got = do { local $/; <$fh> } // '';
        waitpid($k->[0], 0);
        $seen{$got}++;
    }
    is_deeply(\%seen, { sha256_hex($ref_bytes) => 20 },
              '20 concurrent streamed downloads: all 200, all the ZIP');

    my $range = call($stream, GET => "/projects/$id/download",
                     headers => { Range => 'bytes=0-9' });
    is($range->{status}, 206, 'Range: 206 from the store');
    is($range->{content}, substr($ref_bytes, 0, 10),
       'Range: the 10 first bytes');
    like($range->{headers}{'content-range'} // '',
         qr{^bytes 0-9/@{[ length $ref_bytes ]}$}, 'Range: Content-Range');

    my $nm = call($stream, GET => "/projects/$id/download",
                  headers => { 'If-None-Match' => $dl->{headers}{etag} });
    is($nm->{status}, 304, 'If-None-Match with the ETag: 304');
    is($nm->{content} // '', '', 'If-None-Match: no body');

    # what the worker sent: x-amz-content-sha256 (SeaweedFS does not
    # check it against the bytes, AWS does)
    my $log = worker_log($worker);
    my ($sent) = $log =~ /PUT s3:\/\/\Q$bucket\E\/\Q$prefix\E\/projects\/\d+\/$id\.zip, \d+ bytes, x-amz-content-sha256 ([0-9a-f]{64})/;
    is($sent, sha256_hex($ref_bytes),
       'the PUT\'s x-amz-content-sha256 is the SHA-256 of the ZIP');

    # the bucket itself: signed by curl, yes; unsigned, no
    my ($code, $body) = s3_curl($store, 'GET', object_path($id));
    is($code, 200, 'curl --aws-sigv4 reads the object');
    ok($body eq $ref_bytes, '... and it is the ZIP');
    my $plain = HTTP::Tiny->new(timeout => 10)->get($store->{endpoint}
                                                    . object_path($id));
    is($plain->{status}, 403, 'the bucket refuses an unsigned GET');
    ok($plain->{content} ne $ref_bytes, '... and sends no byte of it');
    ($code) = s3_curl($store, 'GET', object_path($id), secret => 'nope');
    is($code, 403, 'the bucket refuses a GET signed with a wrong secret');
}

# --- 1b. https to the store ---------------------------------------------------
{
    my $ref_bytes = do { local (@ARGV, $/) = ($zip_ref); binmode ARGV; <> };
    my $dl = call($tls, GET => "/projects/$id/download");
    is($dl->{status}, 200, 'https endpoint: streamed over TLS, 200');
    ok($dl->{content} eq $ref_bytes,
       'https endpoint: byte-identical to djass-worker render --zip');
    $dl = call($untrusted, GET => "/projects/$id/download");
    is($dl->{status}, 503,
       'https endpoint with an untrusted certificate: 503, nothing sent');
    unlike($dl->{content}, qr/^PK/, '... never the object');
    like(nginx_error_log($untrusted), qr/certificate verify/,
         '... and the verify error is logged');
}

# --- 2. redirect mode -------------------------------------------------------
{
    my $ref_bytes = do { local (@ARGV, $/) = ($zip_ref); binmode ARGV; <> };
    my $dl = call($redirect, GET => "/projects/$id/download");
    is($dl->{status}, 302, 'redirect: the download answers 302 Found');
    my $loc = $dl->{headers}{location} // '';
    like($loc, qr{^\Q$store->{endpoint}\E\Q@{[ object_path($id) ]}\E\?.*X-Amz-Expires=2&.*X-Amz-Signature=[0-9a-f]{64}$},
         'redirect: Location is a presigned URL of the object, TTL 2 s');
    like($dl->{headers}{'content-disposition'} // '',
         qr/^attachment; filename="s3_one-\d{8}\.zip"$/,
         'redirect: with Content-Disposition');
    unlike($loc, qr/\Q$Djass::S3::SECRET\E/, 'redirect: no secret in it');
    my $got = HTTP::Tiny->new(timeout => 10)->get($loc);
    is($got->{status}, 200, 'redirect: the store serves the presigned URL');
    ok($got->{content} eq $ref_bytes,
       'redirect: byte-identical to djass-worker render --zip');
    sleep 3.2;
    my $late = HTTP::Tiny->new(timeout => 10)->get($loc);
    is($late->{status}, 403, 'redirect: the store refuses it after its TTL');
    ok($late->{content} ne $ref_bytes, '... and sends no byte of it');
}

# --- 3. wrong credentials, store down: never the object -----------------------
{
    my $res = call($wrong, GET => "/projects/$id/download");
    is($res->{status}, 500, 'wrong credentials in nginx: 500');
    is($res->{json}{error}{code}, 'internal_error',
       '... in the envelope (internal_error)');
    unlike($res->{content}, qr/^PK/, '... never the object');
    like(nginx_error_log($wrong), qr/S3 store answered 403/,
         '... and logged with the store\'s status');

    $res = call($down, GET => "/projects/$id/download");
    is($res->{status}, 503, 'an unreachable store: 503');
    is($res->{json}{error}{code}, 'retryable_error',
       '... retryable_error in the envelope');
    is($res->{headers}{'retry-after'}, '1', '... with Retry-After');

    for my $n ($stream, $redirect, $wrong, $down, $tls, $untrusted) {
        my $log = nginx_error_log($n);
        unlike($log, qr/\Q$Djass::S3::SECRET\E|not-the-secret|\Q$Djass::S3::ACCESS\E/,
               "nginx $n->{port}: no credential in the error log");
    }
    unlike(worker_log($worker), qr/\Q$Djass::S3::SECRET\E|\Q$Djass::S3::ACCESS\E/,
           'the worker logs no credential');
    local $ENV{LD_PRELOAD} = Djass::Test::asan_preload() if sanitize_on();
    local $ENV{ASAN_OPTIONS} = 'detect_leaks=0' if sanitize_on();
    my $nginx = nginx_bin();
    my $dump = `$nginx -T -p '$stream->{prefix}' -c '$stream->{prefix}/conf/nginx.conf' -e '$stream->{prefix}/logs/t.log' 2>&1`;
    like($dump, qr/djass_s3_credentials \Q$good\E;/,
         'nginx -T shows the credentials file\'s path');
    unlike($dump, qr/\Q$Djass::S3::SECRET\E|\Q$Djass::S3::ACCESS\E/,
           '... and nothing of its contents');
}

# --- 4. the store stopped 10 s during a burst of 20 creates -------------------
{
    kill 'STOP', $store->{pid};
    my $t0 = time;
    my @ids;
    for my $i (1 .. 20) {
        my $p = create("Burst $i");
        push @ids, $p->{id} if $p;
        sleep 0.25;
    }
    is(scalar @ids, 20, 'the 20 creates answer 201 while the store is '
                        . 'stopped');
    sleep 10 - (time - $t0) if time - $t0 < 10;
    kill 'CONT', $store->{pid};
    my $resumed = time;
    ok(wait_finished($redis, \@ids, 120), 'every project of the burst ends')
        or diag(worker_log($worker));
    note(sprintf('the burst: store stopped %.1f s, all 20 ready %.1f s after '
                 . 'it resumed', $resumed - $t0, time - $resumed));
    my @failed = grep { status_of($_) ne 'ready' } @ids;
    is("@failed", '', 'none failed: all ready');
    my $dl = call($stream, GET => "/projects/$ids[-1]/download");
    is($dl->{status}, 200, 'the last one downloads');
    like($dl->{content}, qr/^PK/, '... a ZIP');
}

# --- 4b. SIGHUP to an idle worker (waiting on Redis) changes nothing else ----
{
    my $lines = () = worker_log($worker) =~ /\n/g;
    kill 'HUP', $worker->{pid};
    sleep 1;
    my $p = create('After HUP');
    ok($p && wait_finished($redis, [$p->{id}], 60)
       && status_of($p->{id}) eq 'ready',
       'an idle worker sent SIGHUP still takes and finishes jobs');
    my @new = split /\n/, worker_log($worker);
    splice(@new, 0, $lines);
    my @bad = grep { /error|reconnect|lost|stopp/i } @new;
    is("@bad", '', '... without an error or a reconnection in its log');
    like(worker_log($worker), qr/SIGHUP: the S3 credentials were re-read/,
         '... and it re-read its credentials');
}

# --- 5. wrong credentials on the worker, then fixed with SIGHUP --------------
{
    stop_process($worker);
    my $creds = "$dir/worker.env";
    s3_creds_file($creds, secret => 'wrong-secret');
    my $w = worker($creds);
    my @ids = map { create("Wait $_")->{id} } 1 .. 2;
    ok(wait_until(sub { worker_log($w) =~ /SignatureDoesNotMatch/ }, 30),
       'the worker logs the store\'s code (SignatureDoesNotMatch)')
        or diag(worker_log($w));
    sleep 2;
    my @st = map { status_of($_) } @ids;
    ok(!grep({ $_ eq 'ready' || $_ eq 'failed' } @st),
       'the jobs wait: neither failed nor ready') or diag("@st");
    my @once = worker_log($w) =~ /(SignatureDoesNotMatch)/g;
    is(scalar @once, 1, 'the store\'s code is logged once, not per retry');
    s3_creds_file($creds);
    kill 'HUP', $w->{pid};
    ok(wait_finished($redis, \@ids, 60), 'after SIGHUP the jobs end')
        or diag(worker_log($w));
    is(join(',', map { status_of($_) } @ids), 'ready,ready',
       '... ready, with the re-read credentials');
    like(worker_log($w), qr/SIGHUP: the S3 credentials were re-read/,
         'the worker says it re-read them');
    unlike(worker_log($w), qr/wrong-secret|\Q$Djass::S3::SECRET\E/,
           'no secret in the worker\'s log');
}

# --- 6. the store abstraction (lib/djass_store.c): list, delete, put ---------
{
    my @store = (Djass::Build::build_dir() . '/t/store_tool',
                 '--artifacts', "s3://$bucket/$prefix",
                 '--s3-endpoint', $store->{endpoint},
                 '--s3-region', 'us-east-1', '--s3-credentials', $good);
    my $out = `'@{[ join("' '", @store) ]}' --max-keys 3 list 2>&1`;
    is($?, 0, 'ListObjectsV2 of the prefix, 3 keys a page') or diag($out);
    my %listed = $out =~ m{^(projects/\d{3}/\d+\.zip) (\d+)$}mg;
    ok(scalar(keys %listed) >= 23,
       'every artifact is listed across the pages (' . scalar(keys %listed)
       . ')') or diag($out);
    my $rel = sprintf('projects/%03d/%d.zip', $id % 1000, $id);
    ok($listed{$rel}, "... $rel among them, with its size");

    $out = `'@{[ join("' '", @store) ]}' delete $rel 2>&1`;
    is($?, 0, 'DELETE of an artifact') or diag($out);
    my ($code) = s3_curl($store, 'GET', object_path($id));
    is($code, 404, '... it is gone from the bucket');
    my $res = call($stream, GET => "/projects/$id/download");
    is($res->{status}, 500, 'a download of a deleted object: the logged 500');
    unlike($res->{content}, qr/^PK/, '... never a 502 page nor bytes');
    like(nginx_error_log($stream), qr/S3 store answered 404/,
         '... logged with the store\'s 404');
    $out = `'@{[ join("' '", @store) ]}' delete $rel 2>&1`;
    is($?, 0, 'a second DELETE of it is done too');

    $out = `'@{[ join("' '", @store) ]}' put '$zip_ref' $rel 2>&1`;
    is($?, 0, 'PUT puts it back') or diag($out);
    $res = call($stream, GET => "/projects/$id/download");
    is($res->{status}, 200, '... and it downloads again');
}

# --- 7. a large object streams through a small buffer -------------------------
{
    my $size = 96 << 20;
    my $big = "$dir/big.zip";
    open my $in, '<:raw', '/dev/urandom' or die $!;
    open my $fh, '>:raw', $big or die $!;
    my $left = $size;
    while ($left > 0) {
        read($in, my $chunk, $left > 1 << 20 ? 1 << 20 : $left);
        print $fh $chunk;
        $left -= length $chunk;
    }
    close $fh;
    my $want = Digest::SHA->new(256)->addfile($big, 'b')->hexdigest;

    my @store = (Djass::Build::build_dir() . '/t/store_tool',
                 '--artifacts', "s3://$bucket/$prefix",
                 '--s3-endpoint', $store->{endpoint},
                 '--s3-region', 'us-east-1', '--s3-credentials', $good);
    my $rel = sprintf('projects/%03d/%d.zip', $id % 1000, $id);
    my $out = `'@{[ join("' '", @store) ]}' put '$big' $rel 2>&1`;
    is($?, 0, 'a 96 MB object put in place of the artifact') or diag($out);

    # the nginx worker's peak resident size, before and after
    my ($wpid) = `ps -o pid= --ppid $stream->{pid}` =~ /(\d+)/;
    my $hwm = sub {
        open my $s, '<', "/proc/$wpid/status" or return 0;
        my ($kb) = join('', <$s>) =~ /^VmHWM:\s+(\d+)/m;
        return $kb // 0;
    };
    my $before = $hwm->();
    my $sha = Digest::SHA->new(256);
    my $got = 0;
    my $t0 = time;
    my $res = HTTP::Tiny->new(timeout => 60)->request('GET',
        "http://127.0.0.1:$stream->{port}/api/v1/projects/$id/download",
        { headers => { 'X-API-Key' => $key },
          data_callback => sub { $sha->add($_[0]); $got += length $_[0] } });
    my $took = time - $t0;
    is($res->{status}, 200, 'the 96 MB object streams: 200');
    is($got, $size, '... every byte');
    is($sha->hexdigest, $want, '... the same bytes');
    my $grew = ($hwm->() - $before) / 1024;
    note(sprintf('96 MB streamed in %.2f s (%.0f MB/s); the nginx worker\'s '
                 . 'peak RSS grew %.1f MB', $took, 96 / $took, $grew));
    ok($grew < 24, "the nginx worker never held it: its peak RSS grew "
                   . sprintf('%.1f MB', $grew));
    unlink $big;
}

done_testing();
