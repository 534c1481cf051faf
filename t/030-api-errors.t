# Whatever is not an endpoint gets the spec's error envelope: unknown paths
# 404, wrong methods 405 with Allow, nginx's own errors (413) as JSON too.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Test;

my $nginx = start_nginx(location => 'client_max_body_size 1k;');

sub envelope_ok {
    my ($res, $name, $code) = @_;
    like($res->{headers}{'content-type'} // '', qr{^application/json},
         "$name: Content-Type is application/json");
    my $e = $res->{json} && $res->{json}{error};
    ok($e, "$name: body is the error envelope") or return;
    is_deeply([ sort keys %$e ],
              [qw(category code details message request_id retryable)],
              "$name: the envelope has exactly the six fields");
    is($e->{request_id}, $res->{headers}{'x-request-id'},
       "$name: error.request_id is the X-Request-Id answered");
    is($e->{code}, $code, "$name: error.code is $code");
    ok(JSON::PP::is_bool($e->{retryable}), "$name: retryable is a boolean");
    is(ref $e->{details}, 'HASH', "$name: details is an object");
}

# ('/' is the help page: t/238)
for my $path ('/nope', '/projects/', '/projects/1/', '/projects/1/zip',
              '/projects.zip/', '/projects.zipx',
              '/project-options/', '/PROJECTS', '/projects/1/status/x',
              '/projects/1/download/') {
    my $res = api(GET => $path);
    is($res->{status}, 404, "GET $path is 404");
    envelope_ok($res, "GET $path", 'not_found');
}

for my $c ([ DELETE => '/projects', 'GET, HEAD, POST' ],
           [ PUT => '/projects/1', 'GET, HEAD, DELETE' ],
           [ POST => '/project-options', 'GET, HEAD' ],
           [ POST => '/projects/1/status', 'GET, HEAD' ],
           [ PATCH => '/projects/1/download', 'GET, HEAD' ]) {
    my ($m, $path, $allow) = @$c;
    my $res = api($m => $path, body => '{}');
    is($res->{status}, 405, "$m $path is 405");
    is($res->{headers}{allow}, $allow, "$m $path: Allow: $allow");
    envelope_ok($res, "$m $path", 'method_not_allowed');
}

my $res = api(POST => '/projects', body => 'x' x 4096,
              headers => { 'Content-Type' => 'application/json' });
is($res->{status}, 413, 'a body over the limit is 413');
envelope_ok($res, '413', 'payload_too_large');

$res = api(HEAD => '/nope');
is($res->{status}, 404, 'HEAD of an unknown path is 404');
is($res->{content} // '', '', 'HEAD has no body');

# outside the API location nginx answers as it always does
$res = http_request(GET => "http://127.0.0.1:$nginx->{port}/elsewhere");
is($res->{status}, 404, 'a 404 outside the API location');
unlike($res->{headers}{'content-type'} // '', qr/json/,
       'outside the API location nginx keeps its own pages');

done_testing();
