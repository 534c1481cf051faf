# HTTP/2: the API answers the same over HTTP/2 (TLS, ALPN h2) as over
# HTTP/1.1: create -> status -> download with a worker, and the error
# envelopes (401, 404, 400 invalid JSON, 413), compared request by request
# (status, JSON body, key headers).  Request bodies nobody reads are
# discarded without breaking HTTP/2's flow control: a POST of 200 KB (more
# than a stream's initial window) to a 404 route, or without a key, is
# answered, and the next request on the same connection too.  With curl
# --http2 against nginx's "listen ... ssl http2" (before 1.25.1) or
# "http2 on" (from 1.25.1), as the harness's tls => 1 picks by version.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Djass::Test;

# curl is a test dependency (scripts/setup): without HTTP/2 the file fails
my $curl_v = `curl -V 2>&1` // '';
if ($curl_v !~ /^Features:.*\bHTTP2\b/m) {
    fail('curl -V lists HTTP2 (this file needs curl with HTTP/2)');
    done_testing();
    exit;
}
pass('curl has HTTP/2');

my $redis = start_redis();
my $art = temp_dir('art-232');
my $nginx = start_nginx(redis => $redis, artifacts => $art, tls => 1);
my $key = make_key($redis)->{key};
my $base = "https://127.0.0.1:$nginx->{tls_port}/api/v1";
my $dir = temp_dir('curl');
my $n = 0;

# curl_run($proto, @requests): the requests, in this order, in ONE curl
# run (one connection, reused when curl can: --next between them); each
# { method, path, key, json, body_file, headers => [...] }.  $proto is
# '--http2' or '--http1.1'.  Returns one answer each: { status, version,
# connects, headers => { lc name => value }, content, json }, and curl's
# verbose output.
sub curl_run {
    my ($proto, @reqs) = @_;
    my @cmd = ('curl');
    my @files;
    for my $i (0 .. $#reqs) {
        my $r = $reqs[$i];
        my $id = ++$n;
        my %f = (body => "$dir/$id.body", head => "$dir/$id.head");
        push @files, \%f;
        push @cmd, '--next' if $i;
        push @cmd, '-sS', '-k', $proto, '-X', $r->{method} // 'GET',
            '-o', $f{body}, '-D', $f{head},
            '-w', '%{http_code} %{http_version} %{num_connects}\n';
        push @cmd, '-H', "X-API-Key: $r->{key}" if defined $r->{key};
        push @cmd, '-H', $_ for @{ $r->{headers} // [] };
        if (exists $r->{json}) {
            my $file = "$dir/$id.req";
            open my $fh, '>', $file or die $!;
            print $fh ref $r->{json} ? json_encode($r->{json}) : $r->{json};
            close $fh;
            push @cmd, '-H', 'Content-Type: application/json',
                '--data-binary', "\@$file";
        } elsif ($r->{body_file}) {
            push @cmd, '--data-binary', "\@$r->{body_file}";
        }
        push @cmd, "$base$r->{path}";
    }
    my $err = "$dir/$n.verbose";
    open my $save, '>&', \*STDERR or die $!;
    open STDERR, '>', $err or die $!;
    my $out = do {
        open my $ph, '-|', @cmd, '-v' or die "curl: $!";
        local $/;
        <$ph>;
    };
    open STDERR, '>&', $save or die $!;
    my @w = split /\n/, $out // '';
    my @res;
    for my $i (0 .. $#reqs) {
        my ($code, $ver, $conn) = split ' ', $w[$i] // '';
        my %r = (status => $code // 0, version => $ver // '',
                 connects => $conn // -1);
        local $/;
        if (open my $fh, '<', $files[$i]{head}) {
            for (split /\r?\n/, <$fh>) {
                $r{headers}{lc $1} = $2 if /^([\w-]+):\s*(.*?)\s*$/;
            }
        }
        if (open my $fh, '<', $files[$i]{body}) {
            binmode $fh;
            $r{content} = <$fh>;
        }
        $r{content} //= '';
        $r{json} = json_decode($r{content})
            if ($r{headers}{'content-type'} // '') =~ m{application/json};
        push @res, \%r;
    }
    my $verbose = do { local (@ARGV, $/) = ($err); <> } // '';
    return (\@res, $verbose);
}

# one request over each protocol, separately: (h1 answer, h2 answer)
sub both {
    my (%r) = @_;
    my ($h1) = curl_run('--http1.1', \%r);
    my ($h2) = curl_run('--http2', \%r);
    return ($h1->[0], $h2->[0]);
}

# what must not differ between the protocols: the status, the JSON body
# (or the bytes), and these headers (request IDs and dates differ anyway,
# their presence must not)
my @same = qw(content-type content-length content-disposition location
              www-authenticate allow retry-after cache-control etag);
my @present = qw(x-request-id);

sub same_answer {
    my ($name, $h1, $h2) = @_;
    is($h1->{version}, '1.1', "$name: answered over HTTP/1.1");
    is($h2->{version}, '2', "$name: answered over HTTP/2");
    is($h2->{status}, $h1->{status}, "$name: the same status over HTTP/2 "
       . "($h1->{status})");
    # an error's request_id is its answer's X-Request-Id: unique per request
    for my $r ($h1, $h2) {
        next unless ref $r->{json} eq 'HASH' && ref $r->{json}{error};
        my $rid = delete $r->{json}{error}{request_id};
        is($rid, $r->{headers}{'x-request-id'}, "$name: HTTP/$r->{version} "
           . "error.request_id is the X-Request-Id");
    }
    if (defined $h1->{json}) {
        is_deeply($h2->{json}, $h1->{json}, "$name: the same JSON body");
    } else {
        ok($h2->{content} eq $h1->{content}, "$name: the same body bytes "
           . '(' . length($h1->{content}) . ')');
    }
    for my $h (@same) {
        is($h2->{headers}{$h}, $h1->{headers}{$h}, "$name: header $h");
    }
    for my $h (@present) {
        is(defined $h2->{headers}{$h}, defined $h1->{headers}{$h},
           "$name: header $h there on both");
    }
}

# --- the error envelopes -----------------------------------------------------
{
    my $big = temp_dir('bodies') . '/big.json';
    open my $fh, '>', $big or die $!;
    print $fh '{"project_name": "' . ('x' x (100 * 1024)) . '"}';
    close $fh;

    my @cases = (
        [ 'no key', method => 'GET', path => '/projects' ],
        [ 'a wrong key', method => 'GET', path => '/projects',
          key => 'djass_live_nope' ],
        [ 'a route that is not there', method => 'GET', path => '/nope',
          key => $key ],
        [ 'POST to a route that is not there', method => 'POST',
          path => '/nope', key => $key, json => { a => 1 } ],
        [ 'invalid JSON', method => 'POST', path => '/projects',
          key => $key, json => '{"project_name": ' ],
        [ 'a body over djass_max_body_size', method => 'POST',
          path => '/projects', key => $key, body_file => $big,
          headers => ['Content-Type: application/json'] ],
        [ 'a method the route has not', method => 'DELETE',
          path => '/projects', key => $key ],
        [ 'the project options', method => 'GET',
          path => '/project-options' ],
    );
    my %want = ('no key' => 401, 'a wrong key' => 401,
                'a route that is not there' => 404,
                'POST to a route that is not there' => 404,
                'invalid JSON' => 400, 'a body over djass_max_body_size' => 413,
                'a method the route has not' => 405,
                'the project options' => 200);
    for my $c (@cases) {
        my ($name, %r) = @$c;
        my ($h1, $h2) = both(%r);
        is($h1->{status}, $want{$name}, "$name: HTTP/1.1 answers "
           . $want{$name}) or diag($h1->{content});
        ok($want{$name} == 200 || defined $h2->{json}{error}{code},
           "$name: the error envelope over HTTP/2")
            or diag($h2->{content});
        same_answer($name, $h1, $h2);
    }
}

# --- create -> status -> download, with a worker -----------------------------
{
    my $w = start_worker(redis => $redis, artifacts => $art);
    my %ids;
    my %payload = (project_name => 'Acme H2', project_slug => 'acme_h2',
                   use_stripe => 'n');
    for my $proto ('--http1.1', '--http2') {
        my ($r) = curl_run($proto, { method => 'POST', path => '/projects',
                                     key => $key, json => \%payload });
        is($r->[0]{status}, 201, "create over $proto answers 201")
            or diag($r->[0]{content});
        $ids{$proto} = $r->[0]{json}{project}{id};
        $ids{"$proto-answer"} = $r->[0];
    }
    # the two creates differ only by the project (id, times, links)
    my ($c1, $c2) = @ids{'--http1.1-answer', '--http2-answer'};
    is($c2->{version}, '2', 'create: answered over HTTP/2');
    my %p1 = %{ $c1->{json}{project} // {} };
    my %p2 = %{ $c2->{json}{project} // {} };
    my @varies = grep { /(^id$|_at$|url|link)/ } keys %p1;
    delete @p1{@varies};
    delete @p2{@varies};
    is_deeply(\%p2, \%p1, 'create: the same project over HTTP/2 (but '
              . join(', ', sort @varies) . ')');
    is($c2->{headers}{'content-type'}, $c1->{headers}{'content-type'},
       'create: the same Content-Type');
    is(defined $c2->{headers}{location}, defined $c1->{headers}{location},
       'create: Location there on both or neither');

    for my $proto ('--http1.1', '--http2') {
        my $id = $ids{$proto};
        my $st = '';
        wait_until(sub {
            my ($r) = curl_run($proto, { method => 'GET', key => $key,
                                         path => "/projects/$id/status" });
            $st = $r->[0]{json}{status} // "HTTP $r->[0]{status}";
            return $st eq 'ready' || $st eq 'failed';
        }, 60, 0.1);
        is($st, 'ready', "the project created over $proto gets ready");
    }

    # the same project read over both: status, the project, the ZIP
    my $id = $ids{'--http2'};
    my ($s1, $s2) = both(method => 'GET', key => $key,
                         path => "/projects/$id/status");
    same_answer('status', $s1, $s2);
    my ($g1, $g2) = both(method => 'GET', key => $key,
                         path => "/projects/$id");
    same_answer('get', $g1, $g2);
    my ($d1, $d2) = both(method => 'GET', key => $key,
                         path => "/projects/$id/download");
    is($d1->{status}, 200, 'download over HTTP/1.1 answers 200');
    same_answer('download', $d1, $d2);
    like($d2->{headers}{'content-disposition'} // '',
         qr/^attachment; filename="acme_h2-\d{8}\.zip"$/,
         'download over HTTP/2: Content-Disposition names the ZIP');
    is(substr($d2->{content}, 0, 4), "PK\x03\x04",
       'download over HTTP/2: the body is a ZIP');
    stop_process($w);
}

# --- bodies nobody reads, then the same connection ---------------------------
{
    my $file = temp_dir('bodies') . '/200k';
    open my $fh, '>', $file or die $!;
    print $fh 'a' x (200 * 1024);
    close $fh;

    for my $first (
        [ 'POST of 200 KB to a route that is not there', 404,
          { method => 'POST', path => '/nope', key => $key,
            body_file => $file } ],
        [ 'POST of 200 KB without a key', 401,
          { method => 'POST', path => '/projects', body_file => $file,
            headers => ['Content-Type: application/json'] } ],
        [ 'POST of 200 KB to a GET route', 405,
          { method => 'POST', path => '/project-options',
            body_file => $file } ],
        # no Content-Length: the module reads the body, and stops at
        # djass_max_body_size
        [ 'a create of 200 KB without Content-Length', 413,
          { method => 'POST', path => '/projects', key => $key,
            body_file => $file, headers => ['Content-Length:',
                                            'Content-Type: application/json'] } ],
    ) {
        my ($name, $status, $req) = @$first;
        my ($r, $verbose) = curl_run('--http2', $req,
            { method => 'GET', path => '/project-options' },
            { method => 'GET', path => '/projects', key => $key });
        is($r->[0]{status}, $status, "$name: $status over HTTP/2")
            or diag($verbose);
        ok(defined $r->[0]{json}{error}{code}, "$name: in the envelope");
        is($r->[1]{status}, 200, "$name: the next request on the "
           . 'connection answers 200') or diag($verbose);
        ok(ref $r->[1]{json} eq 'HASH' && $r->[1]{json}{groups},
           "$name: with the project options")
            or diag($r->[1]{content});
        is($r->[2]{status}, 200, "$name: and the one after it too");
        is($r->[1]{connects}, 0, "$name: the next request reused the "
           . 'connection (no new connect)');
        like($verbose, qr/Re-using existing connection/,
             "$name: curl says it re-used the connection");
        is($r->[$_]{version}, '2', "$name: request $_ over HTTP/2")
            for 0 .. 2;
    }
}

# the events stream over HTTP/2 (it waits with its request) and over
# HTTP/1.1 on TLS (parked without it: the module writes its events through
# OpenSSL and ends with a TLS close): the same events
for my $proto (['--http2', '2', 'HTTP/2'], ['--http1.1', '1.1', 'HTTP/1.1 on TLS']) {
    my ($flag, $version, $name) = @$proto;
    my $res = api(POST => '/projects', key => $key, nginx => $nginx,
                  json => { project_name => "Events $version" });
    my $id = $res->{json}{project}{id};
    open my $ph, '-|', 'curl', '-sS', '-k', $flag, '-N', '--max-time',
        '20', '-H', "X-API-Key: $key", '-H', 'Last-Event-ID: 12',
        '-w', '%{http_version}\n', "$base/projects/$id/events"
        or die "curl: $!";
    select(undef, undef, undef, 1);
    set_project_status($redis, $id, 'generating', started_at => time);
    select(undef, undef, undef, 0.5);
    set_project_status($redis, $id, 'ready', finished_at => time);
    my $out = do { local $/; <$ph> };
    my $ok = close $ph;
    my @st = $out =~ /^data: \{"id":\d+,"status":"(\w+)"/mg;
    is_deeply(\@st, [ 'queued', 'generating', 'ready' ],
              "events over $name: queued, generating, ready, the end")
        or diag($out);
    like($out, qr/^\Q$version\E$/m, "... over $name");
    ok($ok, "... curl exits 0 (the body ended properly)");
}
check_error_log($nginx);

done_testing();
