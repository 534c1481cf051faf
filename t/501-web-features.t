# The generator page's share link, terminal command, Explore, favourites
# and history, events progress (web/) in Debian's chromium through
# chromium-driver (t/web/features_test.py), against real Redis, nginx and
# worker processes: the #command's curl text run with real curl gives the
# page's files, the ZIP reader against Python's zipfile output and damaged
# ZIPs served as static files, Explore's screenshots in both schemes.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Jobs;
use Djass::Web;

my $repo = repo_dir();
my $started = time;

my $venv = web_venv('/usr/bin/curl');

sub slurp { local (@ARGV, $/) = @_; my $t = <>; $t }

# --- ZIPs for the page's reader, written by Python's zipfile -----------------
my $fix = temp_dir('web-501-fixtures');
system("$venv/bin/python", "$repo/t/web/fixtures.py", $fix) == 0
    or BAIL_OUT('t/web/fixtures.py failed');

# the README's location block (CSP included) and the fixtures beside it
my ($server, $block) = readme_page_block();
ok($block, 'the README shows the page\'s location block');
(my $fixloc = $block) =~ s!location / \{!location /fixtures/ \{!;
$fixloc =~ s!root /path/to/djass/web;!alias $fix/;!;
$fixloc =~ s!types \{!types \{ application/zip zip; text/event-stream sse;!;
$server .= $fixloc;

my $redis = start_redis();
my $art = temp_dir('art-501');
my $nginx = start_nginx(redis => $redis, artifacts => $art,
                        server => $server);
my $origin = "http://127.0.0.1:$nginx->{port}";
my $base = "$origin/api/v1";
my $key = make_key($redis, email => 'features@example.test')->{key};
my $worker = start_worker(redis => $redis, artifacts => $art);

{
    my $r = http_request(GET => "$origin/fixtures/python.zip");
    is($r->{status}, 200, 'the fixture ZIP is served from the page\'s origin');
}

# which of the push issue's endpoints this server has (issue 24)
my $has_events = do {
    my $p = api(POST => '/projects', key => $key,
                json => { project_name => 'Probe' });
    my $r = api(GET => "/projects/$p->{json}{project}{id}/events",
                key => $key);
    $r->{status} == 200;
};
my $has_oneshot = api(GET => '/projects.zip?project_name=Probe',
                      key => $key)->{status} =~ /^(200|202)$/;
note("this server: events stream " . ($has_events ? 'yes' : 'no')
     . ", one-shot ZIP " . ($has_oneshot ? 'yes' : 'no'));

# --- the browser -------------------------------------------------------------
my $out = temp_dir('web-501');
my ($seen, $status) = run_browser('features_test.py', "$origin/", $key, $out,
                                  DJASS_HAS_EVENTS => $has_events ? 1 : 0,
                                  DJASS_FIXTURES => $fix);
is($status, 0, 'the browser script exits 0');
ok($seen > 30, "the browser script made its checks ($seen)");
note(sprintf("browser done at %.0f s", time - $started));

# --- the #command text, run with real curl -------------------------------------
my $meta = json_decode(slurp("$out/result.json") // '') // {};
my $page_zip = "$out/$meta->{file}" if $meta->{file};
ok($page_zip && -s $page_zip, 'the page\'s download was saved');

# the files of a ZIP, the manifest's per-project fields (issue 25) left out
sub files_of {
    my ($zip) = @_;
    my $e = zip_entries($zip);
    for my $n (grep { m{(^|/)(djass-manifest|project-metadata)\.json$} }
               keys %$e) {
        my $j = json_decode($e->{$n}) or next;
        delete @$j{qw(project_id timestamps)};
        delete $j->{project}{id} if ref $j->{project} eq 'HASH';
        $e->{$n} = json_encode($j);
    }
    return $e;
}

sub same_files {
    my ($zip, $what) = @_;
    my ($got, $want) = (files_of($zip), files_of($page_zip));
    is_deeply([ sort keys %$got ], [ sort keys %$want ],
              "$what: the same paths as the page's download");
    my @diff = grep { ($got->{$_} // '') ne ($want->{$_} // '') }
               sort keys %$want;
    ok(!@diff, "$what: the same bytes in every file") or diag("@diff");
}

sub run_sh {
    my ($cmd, $dir) = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if ($pid == 0) {
        chdir $dir or die "chdir: $!";
        $ENV{DJASS_API_KEY} = $key;
        open STDERR, '>&', \*STDOUT;
        exec '/bin/bash', '-e', '-c', $cmd or die "exec bash: $!";
    }
    local $/;
    my $text = <$fh>;
    close $fh;
    return ($? >> 8, $text);
}

SKIP: {
    skip "no #command text from the page", 7 unless $meta->{post};
    unlike($meta->{post} . $meta->{oneshot}, qr/\Q$key\E/,
           'the command never holds the key itself');
    my $dir = tempdir(DIR => temp_dir('curl-501'));
    my ($rc, $text) = run_sh($meta->{post}, $dir);
    is($rc, 0, 'the POST command runs with curl and exits 0')
        or diag($text);
    my $j = json_decode($text) // {};
    my $id = $j->{project}{id};
    ok($id, 'it answers a created project') or diag($text);
    my $st = '';
    my $end = time + 60;
    while ($id && time < $end) {
        $st = api(GET => "/projects/$id/status", key => $key)
              ->{json}{status} // '';
        last if $st eq 'ready' || $st eq 'failed';
        sleep 0.2;
    }
    is($st, 'ready', "the POST command's project #" . ($id // '?')
       . ' becomes ready');
    my ($rc2, $t2) = run_sh("curl -fsS -o post.zip -H \"X-API-Key: "
                            . "\$DJASS_API_KEY\" '$base/projects/$id/"
                            . "download'", $dir);
    is($rc2, 0, 'and downloads') or diag($t2);
    same_files("$dir/post.zip", "the POST command's ZIP");
}

SKIP: {
    # needs GET /api/v1/projects.zip (issue 24, part 3: helper i24b)
    skip 'the one-shot GET /api/v1/projects.zip is not on this server yet '
         . '(issue 24 part 3): run again after merging it', 4
        unless $has_oneshot && $meta->{oneshot};
    my $dir = tempdir(DIR => temp_dir('curl-501'));
    my ($rc, $text) = run_sh($meta->{oneshot}, $dir);
    is($rc, 0, 'the one-shot command runs with curl and exits 0')
        or diag($text);
    opendir(my $dh, $dir) or die;
    my @zips = grep { /\.zip$/ } readdir $dh;
    is(scalar @zips, 1, 'curl -OJ saved one ZIP (' . ($zips[0] // '')
       . ')');
    same_files("$dir/$zips[0]", "the one-shot command's ZIP") if @zips;
}

is(stop_process($worker), 0, 'the worker exits 0');
check_error_log($nginx);
done_testing();
