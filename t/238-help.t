# GET /api/v1/: the help page.  curl, HTTPie and Wget (by User-Agent) and
# any Accept without JSON get text/plain with every option of the loaded
# template and its default, and example commands on the base URL asked;
# they work as printed: the one-shot line is run with real curl and gives
# the ZIP, the POST line makes a project.  Accept: application/json gets
# links; no key is needed; a hostile Host is never echoed; GET /api/v1 is a
# redirect to /api/v1/.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Djass::Test;
use Djass::Jobs;

my $f = slow_factor();
my $redis = start_redis();
my $art = temp_dir('art-238');
my $nginx = start_nginx(redis => $redis, artifacts => $art,
                        http => 'djass_oneshot_wait ' . (20 * $f) . 's;');
my $base = base_url($nginx) . '/';
my $k = make_key($redis, scopes => 'projects:create,projects:read');

sub help { http_request(GET => $base, headers => { @_ }) }

my %text = (
    'curl'           => [ 'User-Agent' => 'curl/7.88.1' ],
    'HTTPie'         => [ 'User-Agent' => 'HTTPie/3.2.2' ],
    'Wget'           => [ 'User-Agent' => 'Wget/1.21.3' ],
    'Accept text'    => [ 'Accept' => 'text/plain' ],
    'a browser'      => [ 'User-Agent' => 'Mozilla/5.0',
                          'Accept' => 'text/html,application/xhtml+xml,*/*' ],
    'curl, any type' => [ 'User-Agent' => 'curl/8.5.0', 'Accept' => '*/*' ],
);
my $page;
for my $who (sort keys %text) {
    my $res = help(@{ $text{$who} });
    is($res->{status}, 200, "$who: 200 without a key");
    like($res->{headers}{'content-type'}, qr{^text/plain},
         "$who: text/plain");
    like($res->{headers}{vary} // '', qr/Accept/, "$who: Vary: Accept");
    $page //= $res->{content};
}

my %json = (
    'Accept JSON'            => [ 'Accept' => 'application/json' ],
    'curl asking for JSON'   => [ 'User-Agent' => 'curl/8.5.0',
                                  'Accept' => 'application/json' ],
    'a client with no hint'  => [ 'User-Agent' => 'python-requests/2.31' ],
);
for my $who (sort keys %json) {
    my $res = help(@{ $json{$who} });
    is($res->{status}, 200, "$who: 200");
    like($res->{headers}{'content-type'}, qr{^application/json},
         "$who: application/json");
    is($res->{json}{links}{project_options}, '/api/v1/project-options',
       "$who: links to the catalog");
    is($res->{json}{links}{oneshot}, '/api/v1/projects.zip{?options*}',
       "$who: links to the one-shot");
}
my $links = help(Accept => 'application/json')->{json}{links};
for my $name (qw(project_options openapi projects)) {
    my $r = http_request(GET => "http://127.0.0.1:$nginx->{port}"
                                . $links->{$name},
                         headers => { 'X-API-Key' => $k->{key} });
    is($r->{status}, 200, "the link $name leads to a resource");
}

# every option of the catalog, with its default
my $catalog = api(GET => '/project-options')->{json};
my $n = 0;
for my $key (sort keys %{ $catalog->{defaults} }) {
    my $d = $catalog->{defaults}{$key};
    $d = $d->[0] if ref $d eq 'ARRAY';
    like($page, qr/^  \Q$key\E\n      default: "\Q$d\E"/m,
         "the page lists $key with its default \"$d\"");
    $n++;
}
cmp_ok($n, '>', 20, 'the catalog has all the template\'s options');
like($page, qr/^  use_stripe\n.*\n      allowed: y or n\n/m,
     'a flag says y or n');
like($page, qr/\Q$base\E/, 'the page names the base URL it was asked on');

# the commands work as printed
my ($oneshot) = $page =~ /^\s*(curl -fOJ [^\n]*project_name=Acme")$/m;
ok($oneshot, 'the page has the one-shot line');
my $w = start_worker(redis => $redis, artifacts => $art);
my $dir = temp_dir('curl-238');
my $out = `cd $dir && KEY='$k->{key}' sh -c '$oneshot' 2>&1`;
is($?, 0, 'the one-shot line runs with real curl') or diag($out);
my @zips = glob("$dir/*.zip");
is(scalar @zips, 1, 'curl -OJ saved one ZIP under its Content-Disposition');
like($zips[0] // '', qr{/acme-\d{8}\.zip$}, 'named <slug>-YYYYMMDD.zip');
cmp_ok(-s ($zips[0] // '/nonexistent') // 0, '>', 1000, 'a real ZIP');

my ($post) = $page =~ /^\s*(curl -sS -X POST .*?"\Q$base\Eprojects")$/ms;
ok($post, 'the page has the POST lines');
$out = `KEY='$k->{key}' sh -c '@{[ $post =~ s/'/'\\''/gr ]}' 2>&1`;
my $created = json_decode($out);
ok($created && $created->{project}{id}, 'the POST lines create a project')
    or diag($out);
my ($events) = $page =~ /^\s*(curl -N [^\n]*events")$/m;
ok($events, 'the page has the events line');
my ($download) = $page =~ /^\s*(curl -fOJ [^\n]*download")$/m;
if ($created && $created->{project}{id}) {
    my $id = $created->{project}{id};
    ok(wait_status($redis, $id, 'ready'), 'the project made by the page is ready');
    my $ev = api(GET => "/projects/$id/events", key => $k->{key});
    SKIP: {
        skip 'no events stream in this build yet', 1 if $ev->{status} == 404;
        ($events = $events) =~ s/ID/$id/;
        $out = `KEY='$k->{key}' timeout 10 sh -c '$events' 2>&1`;
        like($out, qr/event: status/, 'the events line streams the status');
    }
    (my $dl = $download) =~ s/ID/$id/;
    my $d2 = temp_dir('curl-238-dl');
    $out = `cd $d2 && KEY='$k->{key}' sh -c '$dl' 2>&1`;
    is($?, 0, 'the download line runs') or diag($out);
    is(scalar(() = glob("$d2/*.zip")), 1, 'and saves the ZIP');
}
stop_process($w);

# a hostile Host is not echoed
sub with_host {
    my ($host) = @_;
    my ($r) = parse_responses(raw_http($nginx, "GET /api/v1/ HTTP/1.0\r\n"
                                       . "User-Agent: curl/8\r\n"
                                       . "Host: $host\r\n\r\n"), raw => 1);
    return $r // { status => 0, body => '' };
}
for my $host ('evil.test/<script>', 'a"b', 'x' x 300, 'ok.test;rm -rf',
              "evil\x01ctl", 'evil.test $(id)', "\xc3\xa9vil.test") {
    my $res = with_host($host);
    my $name = 'Host "' . substr($host, 0, 20) =~ s/[^ -~]/?/gr . '"';
    if ($res->{status} == 400) {
        pass("$name: nginx refused it itself (400)");
        next;
    }
    is($res->{status}, 200, "$name: 200");
    unlike($res->{body}, qr/evil|<script>|"b|xxxxx|rm -rf|\(id\)/,
           "$name: not echoed");
    like($res->{body}, qr{http://localhost/api/v1/projects\.zip},
         "$name: the server's name (localhost) stands in");
}
like(with_host('api.example.test:8443')->{body},
     qr{"http://api\.example\.test:8443/api/v1/projects\.zip},
     'a sane Host with a port is the base URL');
like(with_host('[::1]:8080')->{body},
     qr{"http://\[::1\]:8080/api/v1/projects\.zip},
     'an IPv6 Host is the base URL');

# HEAD, POST, and the prefix without its slash
my $res = http_request(HEAD => $base, headers => { 'User-Agent' => 'curl/8' });
is($res->{status}, 200, 'HEAD / is 200');
$res = http_request(POST => $base);
is($res->{status}, 405, 'POST / is 405');
is($res->{json}{error}{code}, 'method_not_allowed', '... in the envelope');
$res = HTTP::Tiny->new(max_redirect => 0)
    ->get("http://127.0.0.1:$nginx->{port}/api/v1");
is($res->{status}, 301, 'GET /api/v1 is a redirect');
like($res->{headers}{location} // '', qr{/api/v1/$}, '... to /api/v1/');

done_testing();
