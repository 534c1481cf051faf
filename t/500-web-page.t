# The generator page (web/) in a real browser: Debian's chromium, driven
# through chromium-driver by selenium (t/web/page_test.py), against real
# Redis, nginx (the API and the README's location block for the page,
# CSP included) and worker processes.  The browser script prints TAP that
# is relayed here; this file then checks what it downloaded against
# `djass-worker render --zip` of the same options.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time);
use Djass::Test;
use Djass::Jobs;
use Djass::Web;

my $repo = repo_dir();
my $started = time;

web_venv();

sub slurp { local (@ARGV, $/) = @_; my $t = <>; $t }

# --- the README's location block, as an operator copies it -------------------
my ($server, $block) = readme_page_block();
ok($block, 'the README shows a location block with a Content-Security-Policy')
    or BAIL_OUT('no page location block in the README');
my ($csp) = $block =~ /Content-Security-Policy\s+"([^"]+)"/;
unlike($csp, qr/unsafe-inline|unsafe-eval/,
       "the README's CSP allows no inline script or style, no eval");
my ($run_csp) = slurp("$repo/scripts/run") =~ /^CSP="([^"]+)"/m;
is($run_csp, $csp, 'make run serves the page under the README\'s CSP');

my $redis = start_redis();
my $art = temp_dir('art-500');
my $nginx = start_nginx(redis => $redis, artifacts => $art,
                        server => $server);
my $origin = "http://127.0.0.1:$nginx->{port}";
my $key = make_key($redis, email => 'web@example.test')->{key};
my $worker = start_worker(redis => $redis, artifacts => $art);

# --- the static files, as nginx serves them ----------------------------------
{
    my $res = http_request(GET => "$origin/");
    is($res->{status}, 200, 'GET / answers the page');
    like($res->{headers}{'content-type'} // '', qr{^text/html},
         'as text/html');
    is($res->{headers}{'content-security-policy'}, $csp,
       'with the README\'s Content-Security-Policy');
    unlike($res->{content}, qr/<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=/i,
           'the page has no inline script, style attribute or handler');
    for my $f (['app.js', qr{^application/javascript; charset=utf-8$}],
               ['app.css', qr{^text/css; charset=utf-8$}]) {
        my $r = http_request(GET => "$origin/$f->[0]");
        is($r->{status}, 200, "GET /$f->[0] answers 200");
        like($r->{headers}{'content-type'} // '', $f->[1],
             "$f->[0] has its content type");
    }
}

# --- slugs the server derives, for the page's live preview -------------------
# (a second key, so that these projects stay out of the list under test)
my @names = ('Acme CRM', 'Ünïcödé Café', '1,000 Things', "Don't &amp; stop",
             'Привет мир', 'Ελλάδα', 'a&#39;b', '日本 x', '  -x- ',
             'Crème brûlée 2.0', 'ß & Œuvre');
my %slugs;
{
    my $other = make_key($redis, email => 'slugs@example.test')->{key};
    for my $n (@names) {
        my $r = api(POST => '/projects', key => $other,
                    json => { project_name => 'Slug probe',
                              project_slug => $n });
        $slugs{$n} = $r->{json}{project}{slug} if $r->{status} == 201;
    }
    is(scalar keys %slugs, scalar @names,
       'the server derives a slug for each probe name');
}

# --- projects for the list's pages -------------------------------------------
my @pre;
for my $i (1 .. 5) {
    my $r = api(POST => '/projects', key => $key,
                json => { project_name => "Listed $i" });
    push @pre, $r->{json}{project}{id} if $r->{status} == 201;
}
is(scalar @pre, 5, 'five projects made through the API for the list');

# --- the browser ----------------------------------------------------------
my $out = temp_dir('web-500');
note(sprintf("set-up done at %.0f s", time - $started));
my ($seen, $status) = run_browser('page_test.py', "$origin/", $key, $out,
                                  DJASS_SLUGS => json_encode(\%slugs),
                                  DJASS_LISTED => json_encode(\@pre));
note(sprintf("browser done at %.0f s", time - $started));
is($status, 0, 'the browser script exits 0');
ok($seen > 20, "the browser script made its checks ($seen)");

# --- what the page downloaded ----------------------------------------------
my $meta = json_decode(slurp("$out/result.json") // '') // {};
for my $run (@{ $meta->{downloads} // [] }) {
    my $name = $run->{what};
    my $zip = "$out/$run->{file}";
    ok(-s $zip, "$name: the page's download was saved") or next;
    my $proj = api(GET => "/projects/$run->{id}", key => $key);
    my $payload = $proj->{json}{input_payload};
    my $ref = render_zip("$repo/template", $payload, "web-$run->{id}",
                         $proj->{json});
    my ($got, $want) = (zip_entries($zip), zip_entries($ref));
    is_deeply([ sort keys %$got ], [ sort keys %$want ],
              "$name: the ZIP has the files `djass-worker render` makes");
    is(file_sha256($zip), file_sha256($ref),
       "$name: the download is byte-identical to `djass-worker render "
       . "--zip` of the same options");
    my $slug = $payload->{project_slug};
    for my $f (sort keys %{ $run->{flags} // {} }) {
        is($payload->{$f}, $run->{flags}{$f},
           "$name: $f=$run->{flags}{$f} reached the server");
    }
    my %has = map { $_ => 1 } keys %$got;
    if (exists $run->{flags}{use_stripe}) {
        ok(!grep({ m{^\Q$slug\E/apps/billing/} } keys %has),
           "$name: use_stripe=n leaves no apps/billing/ in the ZIP");
        ok(grep({ m{^\Q$slug\E/apps/docs/} } keys %has),
           "$name: generate_docs=y puts apps/docs/ in the ZIP");
        like($got->{"$slug/docker-compose.yml"} // '', qr/minio/i,
             "$name: use_s3=y puts MinIO in docker-compose.yml");
    }
    if (exists $run->{flags}{use_ai}) {
        ok($has{"$slug/apps/ai/service.py"},
           "$name: use_ai=y puts apps/ai/service.py in the ZIP");
    }
}
is(scalar @{ $meta->{downloads} // [] }, 2,
   'the mouse flow and the keyboard flow each downloaded a project');

is(stop_process($worker), 0, 'the worker exits 0');
my $took = time - $started;
ok($took < 120, sprintf('the whole file took %.0f s (under 2 minutes)',
                        $took));

done_testing();
