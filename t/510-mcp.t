# The MCP endpoint (djass_mcp) as AI agents meet it.
#
# Raw JSON-RPC over HTTP first: the HTTP-level refusals (Origin 403,
# GET/DELETE 405, no or bad key 401 with WWW-Authenticate: Bearer), then
# the protocol's errors (malformed JSON -32700, a batch -32600, unknown
# method -32601, bad params -32602, a missing or unsupported
# MCP-Protocol-Version) in both eras.  Then the official MCP Python SDK
# (build/venv-mcp, t/mcp/requirements.txt) in each of its three modes:
# tools and prompt, options, create, poll, download, and the ZIP fetched
# from download_url byte-identical to the API's download.  Under valgrind
# (VALGRIND=1) the SDK part is skipped unless DJASS_MCP_SDK=1: the raw part
# covers every C path it takes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(sha256_hex);
use Djass::Test;
use Djass::Build qw(repo_dir valgrind_on);

my $redis = start_redis();
my $art = temp_dir('art-510');
my $nginx = start_nginx(redis => $redis, artifacts => $art, server => <<'S',
        location = /mcp {
            djass_mcp;
        }
        location = /mcp-origins {
            djass_mcp;
            djass_mcp_allow_origin https://app.example.test
                                   http://localhost:6274;
            djass_mcp_api_base https://api.example.test/api/v1/;
        }
S
    # a second server on the same port, with names
    conf => sub {
        my ($c) = @_;
        my ($port) = $c =~ /listen (127\.0\.0\.1:\d+);/;
        $c =~ s/\}\s*\z/    server {
        listen $port;
        server_name mcp.example.test .dot.example.test *.wild.example.test;
        location = \/mcp {
            djass_mcp;
        }
    }
}
/;
        return $c;
    });
my $base = "http://127.0.0.1:$nginx->{port}";
my $url = "$base/mcp";

my $legacy = make_key($redis, legacy => 1, email => 'agent@example.test');
my $read = make_key($redis, scopes => 'projects:read');
my $quota = make_key($redis, legacy => 1, quota => 1);
my $K = $legacy->{key};

# one message, raw: returns the response with {json} decoded
sub rpc {
    my ($body, %o) = @_;
    my %h = ('Content-Type' => 'application/json',
             Accept => 'application/json, text/event-stream',
             %{ $o{headers} // {} });
    $h{Authorization} = "Bearer $o{key}" if defined $o{key};
    $h{Authorization} = "Bearer $K" unless exists $o{key};
    delete $h{Authorization} unless defined $h{Authorization};
    my $b = ref $body ? json_encode($body) : $body;
    return http_request($o{method} // 'POST', $o{url} // $url,
                        headers => \%h, body => $b);
}

my $META = {
    'io.modelcontextprotocol/protocolVersion' => '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities' => {},
    'io.modelcontextprotocol/clientInfo' => { name => 't', version => '1' },
};
my %MODERN = ('MCP-Protocol-Version' => '2026-07-28');

sub modern {
    my ($method, $params, %extra) = @_;
    my %h = (%MODERN, 'Mcp-Method' => $method, %extra);
    return rpc({ jsonrpc => '2.0', id => 1, method => $method,
                 params => { %{ $params // {} }, _meta => $META } },
               headers => \%h);
}

sub rpc_error_is {
    my ($res, $status, $code, $name) = @_;
    is($res->{status}, $status, "$name: HTTP $status") or diag $res->{content};
    is($res->{json}{error}{code}, $code, "$name: JSON-RPC error $code")
        or diag $res->{content};
    like($res->{headers}{'content-type'} // '', qr{^application/json},
         "$name: answered application/json");
}

my $init = { jsonrpc => '2.0', id => 1, method => 'initialize',
             params => { protocolVersion => '2025-06-18', capabilities => {},
                         clientInfo => { name => 't', version => '1' } } };

# --- HTTP level: Origin, method, key ------------------------------------
{
    my $res = rpc($init, key => undef);
    is($res->{status}, 401, 'no key: 401 before any JSON-RPC answer');
    is($res->{headers}{'www-authenticate'}, 'Bearer',
       'no key: WWW-Authenticate: Bearer');
    is($res->{json}{error}{code}, 'auth_required',
       'no key: the API\'s envelope auth_required');

    $res = rpc($init, key => 'djass_nope');
    is($res->{status}, 401, 'an unknown key: 401');
    is($res->{headers}{'www-authenticate'}, 'Bearer',
       'an unknown key: WWW-Authenticate: Bearer');

    $res = rpc('{not json', key => 'djass_nope');
    is($res->{status}, 401, 'a bad key with a malformed body: still 401 '
                            . '(the key comes first)');

    $res = http_request('POST', "$url?api_key=$K",
                        headers => { 'Content-Type' => 'application/json' },
                        body => json_encode($init));
    is($res->{status}, 401, 'the key in the query string is never taken');

    $res = rpc($init, key => undef, headers => { 'X-API-Key' => $K });
    is($res->{status}, 200, 'X-API-Key works too') or diag $res->{content};

    $res = rpc($init, key => undef,
               headers => { Authorization => "Token $K" });
    is($res->{status}, 200, 'Authorization: Token works too');

    for my $m (qw(GET DELETE)) {
        $res = rpc(undef, method => $m,
                   headers => { Accept => 'text/event-stream' });
        is($res->{status}, 405, "$m: 405 (no server-initiated stream)");
        is($res->{headers}{allow}, 'POST', "$m: Allow: POST");
    }

    $res = rpc($init, headers => { Origin => 'https://evil.example' });
    is($res->{status}, 403, 'a foreign Origin: 403');
    $res = rpc($init,
               headers => { Origin => "http://127.0.0.1:$nginx->{port}" });
    is($res->{status}, 200, 'the same host as Origin: allowed')
        or diag $res->{content};
    $res = rpc($init, url => "$base/mcp-origins",
               headers => { Origin => 'https://app.example.test' });
    is($res->{status}, 200, 'an Origin of djass_mcp_allow_origin: allowed');
    $res = rpc($init, url => "$base/mcp-origins",
               headers => { Origin => "http://127.0.0.1:$nginx->{port}" });
    is($res->{status}, 403, 'with an allow-list, the same host is not '
                            . 'enough: 403');
    $res = rpc($init, url => "$base/mcp-origins",
               headers => { Origin => 'null' });
    is($res->{status}, 403, 'Origin: null is refused');
}

# --- Origin without an allow-list: http(s), this server's names, loopback -
# (not "http(s)://" + the request's own Host: a DNS-rebinding page sends
# Host: evil.example with Origin: http://evil.example)

# one raw request (the Host and any bytes chosen), its answer
sub raw_rpc {
    my (%o) = @_;
    my $body = json_encode($o{body} // $init);
    my $h = "POST $o{path} HTTP/1.1\r\nHost: $o{host}\r\n"
          . "Content-Type: application/json\r\n"
          . "Accept: application/json, text/event-stream\r\n"
          . "Authorization: Bearer $K\r\n"
          . join('', map { "$_->[0]: $_->[1]\r\n" } @{ $o{headers} // [] })
          . 'Content-Length: ' . length($body) . "\r\nConnection: close\r\n\r\n";
    my ($res) = parse_responses(raw_http($nginx, $h . $body));
    return $res // { status => 0 };
}

{
    my $port = $nginx->{port};
    my @cases = (
        # [Host, Origin, expected status, what]
        [ "127.0.0.1:$port", "http://127.0.0.1:$port", 200, 'the loopback address' ],
        [ "127.0.0.1:$port", 'http://127.0.0.2', 200, 'another 127/8 address, no port' ],
        [ "127.0.0.1:$port", 'https://LocalHost:6274', 200, 'localhost, https, any port' ],
        [ "127.0.0.1:$port", 'http://[::1]:8080', 200, '[::1]' ],
        [ 'mcp.example.test', 'http://mcp.example.test:8443', 200, 'a server_name of the server' ],
        [ 'mcp.example.test', 'https://dot.example.test', 200, 'a ".name" server_name, its own name' ],
        [ 'evil.example', 'http://evil.example', 403, 'DNS rebinding: Host and Origin both evil.example' ],
        [ "evil.example:$port", "http://evil.example:$port", 403, 'DNS rebinding with the port' ],
        [ 'mcp.example.test', 'http://evil.example', 403, 'a foreign host on a named server' ],
        [ 'mcp.example.test', 'https://x.wild.example.test', 403, 'a wildcard server_name is no match' ],
        [ "127.0.0.1:$port", "evil://127.0.0.1:$port", 403, 'scheme evil://' ],
        [ "127.0.0.1:$port", 'ftp://localhost', 403, 'scheme ftp://' ],
        [ "127.0.0.1:$port", 'http://localhost.evil.example', 403, 'localhost as a prefix' ],
        [ "127.0.0.1:$port", 'http://127.0.0.1.evil.example', 403, '127.0.0.1 as a prefix' ],
        [ "127.0.0.1:$port", 'http://user@localhost', 403, 'a user part' ],
        [ "127.0.0.1:$port", 'http://localhost/path', 403, 'a path' ],
        [ "127.0.0.1:$port", 'http://localhost:99999', 403, 'a port out of range' ],
        [ "127.0.0.1:$port", 'http://localhost:', 403, 'an empty port' ],
        [ "127.0.0.1:$port", 'http://[::2]', 403, 'an IPv6 address not loopback' ],
        [ "127.0.0.1:$port", 'http://', 403, 'no host' ],
        [ "127.0.0.1:$port", 'localhost', 403, 'no scheme' ],
    );
    for my $c (@cases) {
        my ($host, $origin, $want, $what) = @$c;
        my $res = raw_rpc(path => '/mcp', host => $host,
                          headers => [ [ Origin => $origin ] ]);
        is($res->{status}, $want,
           "no allow-list, $what (Host $host, Origin $origin): $want")
            or diag $res->{body};
    }
    # with djass_mcp_allow_origin, only its list counts, loopback included
    my $res = raw_rpc(path => '/mcp-origins', host => "127.0.0.1:$port",
                      headers => [ [ Origin => 'http://localhost:6274' ] ]);
    is($res->{status}, 200, 'with an allow-list: a listed Origin, 200');
    $res = raw_rpc(path => '/mcp-origins', host => "127.0.0.1:$port",
                   headers => [ [ Origin => 'http://localhost:6275' ] ]);
    is($res->{status}, 403, 'with an allow-list: loopback not listed, 403');
}

# --- download_url from configuration, never from Host ----------------------
{
    my $r = api(POST => '/projects', key => $K, nginx => $nginx,
                json => { project_name => 'Url Check' });
    my $id = $r->{json}{project}{id};
    set_project_status($redis, $id, 'ready',
                       artifact => "projects/001/$id.zip",
                       artifact_size => 22, artifact_sha256 => 'ab' x 32,
                       finished_at => int(time));
    my $call = { jsonrpc => '2.0', id => 9, method => 'tools/call',
                 params => { name => 'get_project_download',
                             arguments => { project_id => $id } } };
    my $url_of = sub {
        my (%o) = @_;
        my $res = raw_rpc(body => $call, %o);
        my $j = eval { json_decode($res->{body}) } // {};
        return $j->{result}{structuredContent}{download}{download_url}
            // "(none: $res->{status} $res->{body})";
    };
    my $port = $nginx->{port};
    is($url_of->(path => '/mcp', host => 'evil.example:1'),
       "http://127.0.0.1:$port/api/v1/projects/$id/download",
       'no server_name: the address and port the connection came in on, '
       . 'not the Host (evil.example:1)');
    is($url_of->(path => '/mcp', host => 'mcp.example.test:1'),
       "http://mcp.example.test:$port/api/v1/projects/$id/download",
       'a server with names: its first server_name and the listening port');
    is($url_of->(path => '/mcp-origins', host => 'evil.example'),
       "https://api.example.test/api/v1/projects/$id/download",
       'djass_mcp_api_base as a URL: used as it is');

    # djass_mcp_api_base is checked when nginx loads its configuration
    for my $bad ('ftp://api.example.test/api/v1', 'https://', 'https:///x',
                 'https://api.example.test:0/x', 'https://api.example.test:65536',
                 'https://user@api.example.test/x', 'https://api.example.test/x?y=1',
                 'https://api.example.test/x#y', 'https://api exa/x',
                 'https://api.example.test/"x', '/api/v1<script>', 'api/v1',
                 'https://[zz]/x') {
        my ($rc, $out) = nginx_test_config(redis => $redis, server => <<C);
        location = /m {
            djass_mcp;
            djass_mcp_api_base '$bad';
        }
C
        ok($rc != 0 && $out =~ /djass_mcp_api_base.*must be an absolute path/,
           "djass_mcp_api_base '$bad' is refused at load time")
            or diag $out;
    }
    for my $good ('https://api.example.com/api/v1', 'http://10.0.0.1:8080',
                  'https://[2001:db8::1]:8443/a%20b/v1/', '/djass/api/v1') {
        my ($rc, $out) = nginx_test_config(redis => $redis, server => <<C);
        location = /m {
            djass_mcp;
            djass_mcp_api_base '$good';
        }
C
        is($rc, 0, "djass_mcp_api_base '$good' is accepted") or diag $out;
    }
}

# --- request bytes reach the error log escaped ------------------------------
{
    my $before = length nginx_error_log($nginx);
    my $evil = "http://evil\x1b[31m\x01\x7f\"\\\xff.example";
    my $res = raw_rpc(path => '/mcp', host => "127.0.0.1:$nginx->{port}",
                      headers => [ [ Origin => $evil ],
                                   [ 'X-Request-Id' => "id\x1b[2J\x07" ] ]);
    is($res->{status}, 403, 'an Origin with control bytes: 403');
    unlike($res->{headers}{'x-request-id'} // '', qr/[\x00-\x1f]/,
           'an X-Request-Id with control bytes is not echoed');
    my $log = substr(nginx_error_log($nginx), $before);
    like($log, qr/Origin "http:\/\/evil\\x1B\[31m\\x01\\x7F\\x22\\x5C\\xFF\.example" not allowed/,
         'the refused Origin is logged with its bytes as \xHH, as nginx '
         . 'escapes its access log');
    unlike($log, qr/[\x00-\x08\x0b-\x1f\x7f-\xff]/,
           'no raw control (or non-ASCII) byte reaches the error log');
}

# --- the handshake era --------------------------------------------------
{
    my $res = rpc($init);
    is($res->{status}, 200, 'initialize: 200');
    is($res->{json}{result}{protocolVersion}, '2025-06-18',
       'initialize: the client\'s revision is kept');
    ok($res->{json}{result}{capabilities}{tools},
       'initialize: the tools capability');
    ok(!exists $res->{headers}{'mcp-session-id'},
       'initialize: no Mcp-Session-Id (stateless)');

    for my $v ('2025-11-25', '2025-03-26', '2024-11-05') {
        $res = rpc({ %$init, params => { %{ $init->{params} },
                                         protocolVersion => $v } });
        is($res->{json}{result}{protocolVersion}, $v,
           "initialize at $v: answered at $v");
    }
    $res = rpc({ %$init, params => { %{ $init->{params} },
                                     protocolVersion => '1999-01-01' } });
    is($res->{json}{result}{protocolVersion}, '2025-11-25',
       'initialize at an unknown revision: the server offers 2025-11-25');

    $res = rpc({ jsonrpc => '2.0', method => 'notifications/initialized' },
               headers => { 'MCP-Protocol-Version' => '2025-06-18' });
    is($res->{status}, 202, 'a notification: 202');
    is($res->{content}, '', 'a notification: no body');
    $res = rpc({ jsonrpc => '2.0', id => 9, result => {} });
    is($res->{status}, 202, 'a response: 202');

    $res = rpc({ jsonrpc => '2.0', id => 'a', method => 'tools/list' },
               headers => { 'MCP-Protocol-Version' => '2025-06-18' });
    is($res->{status}, 200, 'tools/list: 200');
    is($res->{json}{id}, 'a', 'tools/list: the id is echoed');
    is(scalar @{ $res->{json}{result}{tools} }, 7, 'tools/list: seven tools');

    $res = rpc({ jsonrpc => '2.0', id => 2, method => 'tools/list' });
    is($res->{status}, 200, 'no MCP-Protocol-Version: 2025-03-26 assumed, '
                            . 'as the specification says');

    $res = rpc({ jsonrpc => '2.0', id => 2, method => 'tools/list' },
               headers => { 'MCP-Protocol-Version' => '2099-01-01' });
    rpc_error_is($res, 400, -32022, 'an unsupported MCP-Protocol-Version');
    is_deeply($res->{json}{error}{data}{supported},
              ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26',
               '2024-11-05'], 'unsupported version: data.supported lists all');

    $res = rpc('{"jsonrpc":"2.0","id":1,"method":');
    rpc_error_is($res, 400, -32700, 'malformed JSON');
    is($res->{json}{id}, undef, 'malformed JSON: id null');
    ok(exists $res->{json}{id}, 'malformed JSON: the id member is there');

    $res = rpc([{ jsonrpc => '2.0', id => 1, method => 'ping' },
                { jsonrpc => '2.0', id => 2, method => 'ping' }]);
    rpc_error_is($res, 400, -32600, 'a batch');
    $res = rpc({ jsonrpc => '1.0', id => 1, method => 'ping' });
    rpc_error_is($res, 400, -32600, 'jsonrpc 1.0');
    $res = rpc({ jsonrpc => '2.0', id => undef, method => 'ping' });
    rpc_error_is($res, 400, -32600, 'id null');
    $res = rpc('"ping"');
    rpc_error_is($res, 400, -32600, 'a JSON string');

    $res = rpc({ jsonrpc => '2.0', id => 3, method => 'resources/list' });
    rpc_error_is($res, 200, -32601, 'an unknown method (handshake era)');
    is($res->{json}{id}, 3, 'unknown method: the id is echoed');

    $res = rpc({ jsonrpc => '2.0', id => 4, method => 'tools/call',
                 params => { name => 'no_such_tool', arguments => {} } });
    rpc_error_is($res, 200, -32602, 'an unknown tool');
    $res = rpc({ jsonrpc => '2.0', id => 4, method => 'tools/call',
                 params => { name => 'list_projects', arguments => [1] } });
    rpc_error_is($res, 200, -32602, 'arguments that are no object');
    $res = rpc({ jsonrpc => '2.0', id => 4, method => 'tools/call',
                 params => [1] });
    rpc_error_is($res, 200, -32602, 'params that are no object');
    $res = rpc({ jsonrpc => '2.0', id => 5, method => 'initialize',
                 params => {} });
    rpc_error_is($res, 200, -32602, 'initialize without protocolVersion');
    $res = rpc({ jsonrpc => '2.0', id => 6, method => 'prompts/get',
                 params => { name => 'generate_project' } });
    rpc_error_is($res, 200, -32602, 'the prompt without app_idea');

    $res = rpc({ jsonrpc => '2.0', id => 7, method => 'ping' });
    is_deeply($res->{json}{result}, {}, 'ping: {}');
}

# --- the 2026-07-28 era -------------------------------------------------
{
    my $res = modern('server/discover');
    is($res->{status}, 200, 'server/discover: 200') or diag $res->{content};
    my $d = $res->{json}{result};
    ok((grep { $_ eq '2026-07-28' } @{ $d->{supportedVersions} }),
       'server/discover: 2026-07-28 is supported');
    is($d->{resultType}, 'complete', 'server/discover: resultType complete');
    ok(defined $d->{ttlMs} && $d->{cacheScope},
       'server/discover: ttlMs and cacheScope');

    $res = modern('tools/list');
    is(scalar @{ $res->{json}{result}{tools} // [] }, 7,
       'tools/list (2026-07-28): seven tools');
    is($res->{json}{result}{resultType}, 'complete',
       'tools/list (2026-07-28): resultType');

    $res = rpc({ jsonrpc => '2.0', id => 1, method => 'tools/list',
                 params => { _meta => $META } },
               headers => { 'Mcp-Method' => 'tools/list' });
    rpc_error_is($res, 400, -32020, 'the 2026-07-28 envelope without '
                                    . 'MCP-Protocol-Version');

    $res = modern('tools/list', {}, 'Mcp-Method' => 'prompts/list');
    rpc_error_is($res, 400, -32020, 'Mcp-Method that is not the method');

    $res = modern('tools/call', { name => 'list_projects', arguments => {} },
                  'Mcp-Name' => 'get_project_status');
    rpc_error_is($res, 400, -32020, 'Mcp-Name that is not the tool');

    $res = rpc({ jsonrpc => '2.0', id => 1, method => 'tools/list',
                 params => {} },
               headers => { %MODERN, 'Mcp-Method' => 'tools/list' });
    rpc_error_is($res, 400, -32602, 'no _meta envelope (2026-07-28)');

    $res = modern('resources/list');
    rpc_error_is($res, 404, -32601, 'an unknown method (2026-07-28)');
    $res = modern('initialize', { protocolVersion => '2025-06-18' });
    rpc_error_is($res, 404, -32601, 'initialize in the 2026-07-28 era');

    $res = modern('tools/call', { name => 'list_projects',
                                  arguments => { limit => 3 } },
                  'Mcp-Name' => 'list_projects');
    is($res->{status}, 200, 'tools/call (2026-07-28): 200')
        or diag $res->{content};
    ok(exists $res->{json}{result}{isError}
       && !$res->{json}{result}{isError},
       'tools/call (2026-07-28): isError false');
    is($res->{json}{result}{structuredContent}{limit}, 3,
       'list_projects: the limit given');
}

# --- tool errors are results, with the API's envelope -------------------
{
    my $call = sub {
        my ($name, $args, %o) = @_;
        return rpc({ jsonrpc => '2.0', id => 1, method => 'tools/call',
                     params => { name => $name, arguments => $args } }, %o);
    };
    my $res = $call->('create_project', { project_name => 'x' },
                      key => $read->{key});
    is($res->{status}, 200, 'read-only key, create_project: HTTP 200');
    ok($res->{json}{result}{isError},
       'read-only key, create_project: isError');
    my $env = json_decode($res->{json}{result}{content}[0]{text});
    is($env->{error}{code}, 'insufficient_scope',
       'read-only key: the text is the envelope insufficient_scope');
    is($env->{error}{details}{required_scope}, 'projects:create',
       'read-only key: details.required_scope');

    $res = $call->('create_project', { project_name => 'x',
                                       use_stripe => 'maybe' });
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'invalid_generator_option',
       'a flag that is not y/n: invalid_generator_option, as the API');

    $res = $call->('create_project', {});
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'invalid_payload',
       'no project_name: invalid_payload, as the API');

    $res = $call->('get_project_download', { project_id => 424242 });
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'project_not_found',
       'an unknown project: project_not_found');

    $res = $call->('list_projects', { status => 'READY' });
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'invalid_query_params',
       'a bad status filter: invalid_query_params');
    is($env->{error}{details}{field}, 'status', '... details.field status');

    $res = $call->('create_project', { project_name => 'Queued one' });
    my $p = $res->{json}{result}{structuredContent}{project};
    is($p->{status}, 'queued', 'create_project: queued')
        or diag $res->{content};
    $res = $call->('get_project_download', { project_id => $p->{id} });
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'artifact_not_ready',
       'download of a queued project: artifact_not_ready');
    $res = $call->('get_project_status', { project_id => $p->{id} });
    ok(!exists $res->{json}{result}{structuredContent}{download},
       'status of a queued project: no download object');

    # idempotency_key works as POST /projects' Idempotency-Key header
    my @same = map {
        $call->('create_project', { project_name => 'Once only',
                                    idempotency_key => 'mcp-key-1' })
    } 1 .. 2;
    my @ids = map { $_->{json}{result}{structuredContent}{project}{id} } @same;
    ok(defined $ids[0] && defined $ids[1] && $ids[0] == $ids[1],
       'create_project twice with one idempotency_key: one project')
        or diag explain [ map { $_->{content} } @same ];
    is($same[0]{json}{result}{content}[0]{text},
       $same[1]{json}{result}{content}[0]{text},
       'the replay is the first answer, byte for byte');
    $res = $call->('create_project', { project_name => 'Another',
                                       idempotency_key => 'mcp-key-1' });
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'idempotency_key_reused',
       'the same idempotency_key with other options: idempotency_key_reused');
    $res = $call->('create_project', { project_name => 'x',
                                       idempotency_key => 'has space' });
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'invalid_idempotency_key',
       'an idempotency_key with a space: invalid_idempotency_key');

    # delete_project: as DELETE /projects/{id}
    $res = $call->('delete_project', { project_id => $p->{id} },
                   key => $read->{key});
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'insufficient_scope',
       'delete_project with a read-only key: insufficient_scope');
    is($env->{error}{details}{required_scope}, 'projects:delete',
       '... naming projects:delete');
    $res = $call->('delete_project', { project_id => $p->{id} });
    ok(!$res->{json}{result}{isError}, 'delete_project: no error')
        or diag $res->{content};
    is_deeply($res->{json}{result}{structuredContent},
              { deleted => JSON::PP::true, project_id => $p->{id} },
              'delete_project: {"deleted":true,"project_id":...}');
    $res = $call->('get_project_status', { project_id => $p->{id} });
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'project_not_found',
       'the deleted project: project_not_found');
    $res = $call->('delete_project', { project_id => $p->{id} });
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'project_not_found',
       'delete_project again: project_not_found');
    is($env->{error}{details}{project_id}, $p->{id}, '... with its id');
    $res = $call->('delete_project', { project_id => 'x' });
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'project_not_found',
       'delete_project of no id: project_not_found');
    $res = $call->('delete_project', { project_id => $ids[0] });
    ok(!$res->{json}{result}{isError}, 'the idempotent create is deleted');
    $res = $call->('create_project', { project_name => 'Once only',
                                       idempotency_key => 'mcp-key-1' });
    $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    is($env->{error}{code}, 'project_not_found',
       'its idempotency_key replayed: project_not_found, no new project');
    is($env->{error}{details}{project_id}, $ids[0], '... naming it');

    my $big = json_encode({ jsonrpc => '2.0', id => 1, method => 'ping',
                            params => { pad => 'x' x (70 * 1024) } });
    $res = rpc($big);
    is($res->{status}, 413, 'a body over djass_max_body_size: 413');
}

# --- the official SDK, three modes --------------------------------------
SKIP: {
    skip 'the SDK part under valgrind needs DJASS_MCP_SDK=1', 1
        if valgrind_on() && !$ENV{DJASS_MCP_SDK};
    my $repo = repo_dir();
    my $venv = "$repo/build/venv-mcp";
    system("VENV='$venv' REQ='$repo/t/mcp/requirements.txt' "
           . "'$repo/scripts/venv' >&2") == 0
        or skip_or_fail('the MCP SDK venv could not be made '
                        . '(scripts/venv with t/mcp/requirements.txt)', 1);

    my $worker = start_worker(redis => $redis, artifacts => $art);
    # the quota key's profile is full: one project already
    my $r = api(POST => '/projects', key => $quota->{key},
                json => { project_name => 'Fills the quota' },
                nginx => $nginx);
    is($r->{status}, 201, 'the quota profile gets its one project');

    my $seen_tools;
    for my $mode ('auto', 'legacy', '2026-07-28') {
        my $zip = temp_dir("sdk-$mode") . '/got.zip';
        my $out = `'$venv/bin/python' '$repo/t/mcp/sdk_client.py' '$url' \\
                   '$mode' '$K' '$read->{key}' '$quota->{key}' \\
                   'djass_bad_key' '$zip' 2>&1`;
        my $o = json_decode((split /\n/, $out)[-1] // '');
        ok($o, "SDK ($mode): the client ran to the end") or do {
            diag $out;
            next;
        };
        is($o->{protocol_version},
           $mode eq 'legacy' ? '2025-11-25' : '2026-07-28',
           "SDK ($mode): the revision negotiated");
        my $t = $o->{tools};
        is_deeply([sort keys %$t],
                  [sort qw(get_generator_options create_project list_projects
                           get_project_status get_project_download
                           delete_project upgrade_project)],
                  "SDK ($mode): the seven tools");
        ok((!grep { ref $t->{$_}{input} ne 'HASH'
                    || ref $t->{$_}{output} ne 'HASH' } keys %$t),
           "SDK ($mode): each tool has an inputSchema and an outputSchema");
        is_deeply($t->{create_project}{input}{properties}{use_stripe}{enum},
                  ['y', 'n'], "SDK ($mode): create_project's flags are y|n");
        is($t->{create_project}{input}{properties}{author_name}{default},
           'Djass Developer', "SDK ($mode): the template's defaults");
        is_deeply($o->{prompts}, [{ name => 'generate_project',
                                    arguments => ['app_idea'] }],
                  "SDK ($mode): the prompt generate_project(app_idea)");
        like($o->{prompt_text}, qr/bakeries.*get_generator_options.*
                                   create_project.*get_project_status.*
                                   get_project_download/sx,
             "SDK ($mode): the prompt gives the order of the calls");
        ok($o->{options}{structured}{groups},
           "SDK ($mode): get_generator_options gives the catalog");
        is($o->{options}{text}, api(GET => '/project-options',
                                    nginx => $nginx)->{content},
           "SDK ($mode): the catalog is GET /project-options' body");
        my $created = $o->{create}{structured}{project};
        is($created->{status}, 'queued', "SDK ($mode): created, queued");
        is($created->{input_payload}{use_stripe}, 'n',
           "SDK ($mode): the flipped flag use_stripe=n is in input_payload");
        is($created->{input_payload}{use_s3}, 'y',
           "SDK ($mode): the flipped flag use_s3=y is in input_payload");
        is($o->{statuses}[-1], 'ready', "SDK ($mode): polled until ready")
            or diag explain $o->{statuses}, $o->{status};
        ok($o->{status}{structured}{download},
           "SDK ($mode): a ready status carries the download object");

        my $d = $o->{download}{structured}{download};
        ok(!$o->{download}{is_error}, "SDK ($mode): get_project_download")
            or diag $o->{download}{text};
        is($d->{download_url},
           "$base/api/v1/projects/$created->{id}/download",
           "SDK ($mode): download_url is the API's download, absolute");
        is_deeply($d->{auth}, { type => 'header', header => 'X-API-Key' },
                  "SDK ($mode): auth says to send the key in X-API-Key");
        like($d->{filename}, qr/^\Q$created->{slug}\E-\d{8}\.zip$/,
             "SDK ($mode): the filename is the download's");
        is($o->{fetch_status}, 200, "SDK ($mode): download_url fetched");
        is($o->{fetch_sha256}, $d->{sha256},
           "SDK ($mode): the ZIP's SHA-256 is the one announced");
        is($o->{fetch_len}, $d->{size_bytes},
           "SDK ($mode): its size is size_bytes");
        my $api = api(GET => "/projects/$created->{id}/download", key => $K,
                      nginx => $nginx);
        open my $fh, '<:raw', $zip or die $!;
        my $bytes = do { local $/; <$fh> };
        ok($bytes eq $api->{content},
           "SDK ($mode): byte-identical to the API's download");

        ok($o->{missing}{is_error}
           && $o->{missing}{text} =~ /project_not_found/,
           "SDK ($mode): an unknown project is isError project_not_found");
        ok($o->{bad_list}{is_error}
           && $o->{bad_list}{text} =~ /invalid_query_params/,
           "SDK ($mode): limit 0 is isError invalid_query_params");
        ok(!$o->{list}{is_error}
           && @{ $o->{list}{structured}{projects} } >= 1,
           "SDK ($mode): list_projects status=ready finds the project");

        ok(!$o->{bad_key}{connected},
           "SDK ($mode): a bad key fails to connect");
        my @http = @{ $o->{bad_key}{http} // [] };
        ok(@http && !grep({ $_->[1] != 401 || ($_->[2] // '') ne 'Bearer' }
                          @http),
           "SDK ($mode): ... its initialize (or discover) answered 401 "
           . 'with WWW-Authenticate: Bearer')
            or diag explain $o->{bad_key};
        ok($o->{read_only}{is_error}
           && $o->{read_only}{text} =~ /insufficient_scope/,
           "SDK ($mode): a read-only key's create_project is isError "
           . 'insufficient_scope') or diag explain $o->{read_only};
        ok($o->{quota}{is_error} && $o->{quota}{text} =~ /quota_exceeded/,
           "SDK ($mode): a full profile's create_project is isError "
           . 'quota_exceeded') or diag explain $o->{quota};
        $seen_tools = 1;
    }
    is(stop_process($worker), 0, 'the worker exits 0');
}

# --- Redis down: a tool answers isError retryable_error ----------------
{
    stop_process($redis);
    my $res = rpc({ jsonrpc => '2.0', id => 1, method => 'tools/call',
                    params => { name => 'list_projects', arguments => {} } });
    is($res->{status}, 200, 'Redis down, a tool call: HTTP 200');
    my $env = json_decode($res->{json}{result}{content}[0]{text} // '');
    ok($res->{json}{result}{isError}
       && $env->{error}{code} eq 'retryable_error',
       'Redis down, a tool call: isError with the envelope retryable_error')
        or diag $res->{content};
    $res = rpc($init);
    is($res->{status}, 503, 'Redis down, initialize: 503 (the key cannot '
                            . 'be checked)');
    is($res->{json}{error}{code}, 'retryable_error',
       '... in the envelope retryable_error');
}

done_testing();
