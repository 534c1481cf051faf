# The Redis scripts: redis/*.lua are the only place their Lua is written,
# redis/lua2c refuses a script whose body and header disagree, and a
# request to the module can be followed step by step in a debug log.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Path qw(make_path);
use Test::More;
use Djass::Test;

my $repo = repo_dir();
my $lua2c = "$repo/redis/lua2c";
my $dir = temp_dir('lua2c');

# runs lua2c on one script made of $text: (exit code, output)
sub gen {
    my ($name, $text) = @_;
    make_path("$dir/in");
    open my $fh, '>', "$dir/in/$name.lua" or die $!;
    print $fh $text;
    close $fh;
    my $out = `perl $lua2c $dir/out gen_$name $dir/in/$name.lua 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = gen('good', <<'LUA');
-- a comment that stays out of the C string
--! KEYS project stream
--! ARGV group entry ...rest
--! ARGV.one a b
if group == 'x' then
  --! ARGV.one
  return {a, b, "q\"uote\\", project, stream, entry, #rest}
end
LUA
is($rc, 0, 'lua2c takes a script whose body uses only declared names')
    or diag($out);
my $h = -e "$dir/out/gen_good.h" ? do { local (@ARGV, $/) = ("$dir/out/gen_good.h"); <> } : '';
my $c = -e "$dir/out/gen_good.c" ? do { local (@ARGV, $/) = ("$dir/out/gen_good.c"); <> } : '';
like($h, qr/DJASS_SCRIPT_GOOD_KEY_STREAM\s+1\n/,
     'keys are numbered from 0 as the C caller lays them out');
like($h, qr/DJASS_SCRIPT_GOOD_ARGV_ENTRY\s+3\n/,
     'ARGV positions follow the keys');
like($h, qr/DJASS_SCRIPT_GOOD_NARGS\s+4\n/, 'NARGS counts keys and ARGV');
like($h, qr/DJASS_SCRIPT_GOOD_ONE_ARGV_B\s+5\n/,
     'a branch\'s own arguments follow the common ones');
like($c, qr/local project, stream = KEYS\[1\], KEYS\[2\]/,
     'the generated script names its KEYS first');
like($c, qr/local rest = \{unpack\(ARGV, 3\)\}/,
     'a ...rest name takes the rest of ARGV');
like($c, qr/local a, b = ARGV\[3\], ARGV\[4\]/,
     'a branch\'s names become locals where the body places them');
# the C string, compiled and printed, is the Lua text itself
open my $mf, '>', "$dir/main.c" or die $!;
print $mf qq{#include <stdio.h>\n#include "gen_good.h"\n}
          . qq{int main(void) { fputs(djass_script_good, stdout); }\n};
close $mf;
my $printed = `cc -I$dir/out -o $dir/good $dir/main.c $dir/out/gen_good.c 2>&1 && $dir/good`;
like($printed, qr/\Q  return {a, b, "q\"uote\\", project, stream, entry, #rest}\E\n/,
     'the C string holds the Lua text exactly, quotes and backslashes too');
like($h, qr/DJASS_SCRIPT_GOOD_LEN\s+@{[ length $printed ]}\n/,
     'DJASS_SCRIPT_GOOD_LEN is the length of the script');
unlike($c, qr/a comment/, 'comments stay in the .lua file');

my %bad = (
    'reads ARGV[ directly' =>
        "--! ARGV a\nreturn ARGV[2]\n",
    'reads KEYS[ directly' =>
        "--! KEYS k\nreturn KEYS[1]\n",
    'counts #ARGV directly' =>
        "--! ARGV a\nreturn #ARGV\n",
    'declares a name twice' =>
        "--! KEYS k\n--! ARGV a k\nreturn a\n",
    'declares a name twice in one line' =>
        "--! ARGV a a\nreturn a\n",
    'declares a branch group it never places' =>
        "--! ARGV a\n--! ARGV.g b\nreturn a\n",
    'places a group it never declared' =>
        "--! ARGV a\n--! ARGV.g\nreturn a\n",
    'puts ...rest before the last name' =>
        "--! ARGV ...r a\nreturn a\n",
);
my $n = 0;
for my $what (sort keys %bad) {
    my ($rc, $out) = gen('bad' . $n++, $bad{$what});
    isnt($rc, 0, "lua2c refuses a script that $what");
    like($out, qr/^lua2c: /, "... and says why ($what)");
}

# "--! include lib/x.lua": the file's body in place of the line, with the
# same checks as the script's own body
sub lib_file {
    my ($name, $text) = @_;
    make_path("$dir/in/lib");
    open my $fh, '>', "$dir/in/lib/$name.lua" or die $!;
    print $fh $text;
    close $fh;
}
lib_file('shared', "-- a comment of the shared file\n"
                   . "local function f() return project end\n");
($rc, $out) = gen('inc', "--! KEYS project\n--! include lib/shared.lua\n"
                         . "return f()\n");
is($rc, 0, 'lua2c takes a script that includes a file of plain Lua')
    or diag($out);
$c = -e "$dir/out/gen_inc.c" ? do { local (@ARGV, $/) = ("$dir/out/gen_inc.c"); <> } : '';
like($c, qr/KEYS\[1\]\\n"\n\s*"local function f\(\) return project end\\n"\n\s*"return f\(\)/,
     'the included body stands where the include line was, after the header');
unlike($c, qr/a comment of the shared file|--! include/,
       'the include line and the included comments stay out of the C string');

lib_file('argv', "local function f() return ARGV[1] end\n");
lib_file('keys', "local function f() return #KEYS end\n");
lib_file('directive', "--! ARGV b\nlocal function f() return b end\n");
lib_file('nested', "--! include lib/shared.lua\n");
lib_file('bracket', "--[[ a comment ]]\nlocal x = 1\n");
my %badinc = (
    'includes a file that reads ARGV[ directly' => 'lib/argv.lua',
    'includes a file that counts #KEYS directly' => 'lib/keys.lua',
    'includes a file with a header line' => 'lib/directive.lua',
    'includes a file that includes another' => 'lib/nested.lua',
    'includes a file with a --[[ comment' => 'lib/bracket.lua',
    'includes a file that does not exist' => 'lib/none.lua',
    'includes a file outside its folder' => '../in/lib/shared.lua',
);
for my $what (sort keys %badinc) {
    my ($rc, $out) = gen('bad' . $n++,
        "--! KEYS project\n--! include $badinc{$what}\nreturn 1\n");
    isnt($rc, 0, "lua2c refuses a script that $what");
    like($out, qr/^lua2c: /, "... and says why ($what)");
}
($rc, $out) = gen('bad' . $n++, "--! KEYS project\n--! include lib/shared.lua\n"
                                . "--! include lib/shared.lua\nreturn 1\n");
isnt($rc, 0, 'lua2c refuses a script that includes one file twice');
like($out, qr/included twice/, '... and says so');

# every shared file of redis/lib/ is included by a script, and a change to
# it makes the build generate the scripts again
for my $f (glob("$repo/redis/lib/*.lua")) {
    my ($name) = $f =~ m{(lib/[^/]+\.lua)$};
    (my $re = $name) =~ s/\./[.]/g;
    my @users = grep { length } split /\n/,
        `cd $repo && git grep -l -E -e "^--! include $re\$" -- 'redis/*.lua'`;
    ok(@users, "redis/$name is included by a script (@users)");
    my $plan = `make -C $repo -n -W redis/$name BUILD=@{[ build_dir() ]} worker module 2>&1`;
    like($plan, qr{lua2c \S+/gen djass_scripts},
         "a change to redis/$name generates the worker's scripts again");
    like($plan, qr{lua2c \S+/djass_gen djass_scripts},
         "... and the module's");
}

# no Lua inside C strings anywhere in the repository
my @lua = grep { length }
          split /\n/, `cd $repo && git grep -n -E "redis\\.call|ARGV\\[|KEYS\\[|redis\\.error_reply" -- '*.c' '*.h' 2>/dev/null`;
is_deeply(\@lua, [], 'git grep finds no Lua in the C sources')
    or diag(join("\n", @lua));

# every script of redis/ is generated by the build, for module or worker
for my $f (glob("$repo/redis/*.lua")) {
    my ($name) = $f =~ m{([^/]+)\.lua$};
    # api.lua and stats.lua are the module's, the rest the worker's
    my $gen = $name =~ /^(?:api|stats)$/
              ? build_dir() . '/nginx/djass_gen/djass_scripts.c'
              : build_dir() . '/gen/djass_scripts.c';
    my $text = -e $gen ? do { local (@ARGV, $/) = ($gen); <> } : '';
    like($text, qr/djass_script_\Q$name\E\[\]/,
         "redis/$name.lua is embedded by the build");
}

# one GET /projects/{id}/status in a debug log: every step, never the key
my $nginx_v = nginx_bin();
my $debug = `$nginx_v -V 2>&1` =~ /--with-debug/;
SKIP: {
    skip 'nginx is not built --with-debug', 18 unless $debug;

    my $redis = start_redis();
    # the path without the read cache, as doc/architecture.md follows it
    my $nginx = start_nginx(redis => $redis, http => 'djass_cache off;',
                            server => 'location = /mcp { djass_mcp; }',
                            conf => sub {
        $_[0] =~ s/(error_log \S+) info;/$1 debug;/r
                            });
    my $key = make_key($redis, legacy => 1);
    my $res = api(POST => '/projects', key => $key->{key},
                  json => { project_name => 'Debug Me' });
    my $id = $res->{json}{project}{id};

    my $before = length nginx_error_log($nginx);
    $res = api(GET => "/projects/$id/status", key => $key->{key});
    is($res->{status}, 200, 'the status request is answered 200');
    # this request's own line: the create's is in the log already
    wait_until(sub {
        substr(nginx_error_log($nginx), $before) =~ /djass finalize/ }, 5);
    my $log = substr(nginx_error_log($nginx), $before);

    like($log, qr/djass route: status, project $id, method GET/,
         'the debug log names the route chosen');
    like($log, qr/djass auth: API key from X-API-Key/,
         'the debug log names the form the key came in');
    like($log, qr/djass script call sent: op "status"/,
         'the debug log shows the script call sent, with its operation');
    like($log, qr/djass script reply: ok/,
         'the debug log shows the reply received');
    like($log, qr/djass finalize after the script call: /,
         'the debug log shows the request finalized');
    my @ours = grep { /djass/ } split /\n/, $log;
    ok(!grep({ /\Q$key->{key}\E/ } @ours),
       'no debug line of the module holds the key');

    # a download: the redirect to the artifact is a step too
    set_project_status($redis, $id, 'ready',
                       artifact => "projects/001/$id.zip");
    make_path("$nginx->{artifacts}/projects/001");
    open my $zf, '>', "$nginx->{artifacts}/projects/001/$id.zip" or die $!;
    print $zf "PK\x05\x06" . ("\0" x 18);
    close $zf;
    $res = api(GET => "/projects/$id/download", key => $key->{key});
    is($res->{status}, 200, 'the download is answered 200');
    like(nginx_error_log($nginx),
         qr{djass redirect to the artifact "/_djass_artifacts/projects/001/$id\.zip"},
         'the debug log shows the redirect to the artifact');

    # what a client sends reaches our lines escaped, "\xHH" as nginx's
    # access log escapes, even at debug level: a path segment, an
    # Idempotency-Key, a JSON-RPC method, an Origin
    $before = length nginx_error_log($nginx);
    $res = api(GET => '/x%1B%5B31m%0A%0D%22%5C%FF%07/y', key => $key->{key});
    is($res->{status}, 404, 'a path with control bytes: 404');
    $res = api(POST => '/projects', key => $key->{key},
               headers => { 'Idempotency-Key' => 'ab"c\\d' },
               json => { project_name => 'Escaped Key' });
    is($res->{status}, 201, 'an Idempotency-Key with a quote and a '
                            . 'backslash is valid') or diag $res->{content};
    # (HTTP::Tiny refuses control bytes in a header: the bytes by hand)
    my $body = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    ($res) = parse_responses(raw_http($nginx,
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        . "Content-Type: application/json\r\n"
        . "Accept: application/json, text/event-stream\r\n"
        . "X-API-Key: $key->{key}\r\nOrigin: http://e\x1b]0;x\x07vil\r\n"
        . 'Content-Length: ' . length($body) . "\r\nConnection: close\r\n\r\n"
        . $body));
    is($res->{status}, 403, 'an MCP request with a foreign Origin: 403');
    $res = http_request('POST', base_url($nginx) =~ s{/api/v1$}{}r . '/mcp',
                        headers => { 'Content-Type' => 'application/json',
                                     Accept => 'application/json, '
                                               . 'text/event-stream',
                                     'X-API-Key' => $key->{key} },
                        body => '{"jsonrpc":"2.0","id":1,'
                                . '"method":"tools/\u001b[2J\u0007"}');
    is($res->{json}{error}{code}, -32601, 'an unknown method: -32601');
    wait_until(sub { substr(nginx_error_log($nginx), $before)
                     =~ /djass mcp: method/ }, 5);
    $log = substr(nginx_error_log($nginx), $before);
    like($log, qr/djass route: none for "x\\x1B\[31m\\x0A\\x0D\\x22\\x5C\\xFF\\x07\/y"/,
         'the debug log shows the path with its bytes escaped');
    like($log, qr/djass create: Idempotency-Key "ab\\x22c\\x5Cd"/,
         'the debug log shows the Idempotency-Key escaped');
    like($log, qr/djass mcp: method "tools\/\\x1B\[2J\\x07"/,
         'the debug log shows the JSON-RPC method escaped');
    like($log, qr/djass mcp: Origin "http:\/\/e\\x1B\]0;x\\x07vil" not allowed/,
         'the refused Origin is logged escaped');
    my @lines = grep { /djass (route|create|mcp)/ } split /\n/, $log;
    ok(@lines >= 4 && !grep({ /[\x00-\x08\x0b-\x1f\x7f-\xff]/ } @lines),
       'no line of ours holds a raw control or non-ASCII byte')
        or diag explain \@lines;
}

done_testing();
