# Many requests at once: 50 concurrent creates against a quota of 10 create
# exactly 10; pipelined requests on one keepalive connection come back in
# order; replies of megabytes are read whole, also many at once; and two
# nginx workers share one Redis.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);
use Djass::Test;

my $redis = start_redis();
# a long timeout: this file is about answers, not about slowness (valgrind
# parses megabytes slowly)
my $nginx = start_nginx(redis => $redis, workers => 2,
                        http => 'djass_redis_timeout 20s;');

sub request {
    my ($method, $path, $key, $body, %o) = @_;
    my $r = "$method /api/v1$path HTTP/1.1\r\nHost: x\r\n";
    $r .= "X-API-Key: $key\r\n" if defined $key;
    $r .= "Connection: close\r\n" if $o{close} // 1;
    if (defined $body) {
        $r .= "Content-Type: application/json\r\n"
              . 'Content-Length: ' . length($body) . "\r\n";
    }
    return "$r\r\n" . ($body // '');
}

# each request on its own connection, all written before any is read
sub concurrent {
    my (@reqs) = @_;
    my (@socks, %index, @buf);
    for my $i (0 .. $#reqs) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $nginx->{port})
            or die "connect: $!";
        push @socks, $s;
        $index{fileno $s} = $i;
    }
    syswrite($socks[$_], $reqs[$_]) for 0 .. $#reqs;
    my $sel = IO::Select->new(@socks);
    my $end = time + 60;
    while ($sel->count && time < $end) {
        for my $s ($sel->can_read(1)) {
            my $i = $index{fileno $s};
            my $n = sysread($s, $buf[$i], 1 << 20, length($buf[$i] // ''));
            next if $n;
            $sel->remove($s);
            close $s;
        }
    }
    return map { my $b = $_ // '';
                 (parse_responses($b, raw => length $b > 100_000))[0] }
           @buf[0 .. $#reqs];
}

# --- 50 creates against a quota of 10 ----------------------------------------

my $q = make_key($redis, legacy => 1, quota => 10);
my @res = concurrent(map {
    request(POST => '/projects', $q->{key},
            json_encode({ project_name => "Race $_" }))
} 1 .. 50);
my %count;
$count{ $_ ? $_->{status} : 'none' }++ for @res;
is($count{201}, 10, '50 concurrent creates, quota 10: exactly 10 are created');
is($count{429}, 40, '50 concurrent creates, quota 10: 40 are refused with 429');
is(redis_cli($redis, 'ZCARD', "djass:profile:$q->{profile}:projects"), 10,
   'the profile holds exactly 10 projects');
my $jobs = redis_cli($redis, 'XRANGE', 'djass:jobs', '-', '+');
my %mine = map { $_->{json}{project}{id} => 1 } grep { $_->{status} == 201 } @res;
is(scalar(grep { $mine{ $_->[1][1] } } @$jobs), 10,
   'exactly 10 jobs were queued');
is(scalar(keys %mine), 10, 'the 10 projects have 10 different ids');

# --- pipelined requests on one keepalive connection -------------------------

my $k = make_key($redis, legacy => 1);
my $id = api(POST => '/projects', key => $k->{key},
             json => { project_name => 'Piped' })->{json}{project}{id};
my @pipe = (
    request(GET => "/projects/$id/status", $k->{key}, undef, close => 0),
    request(GET => '/project-options', undef, undef, close => 0),
    request(GET => '/projects/999999', $k->{key}, undef, close => 0),
    request(POST => '/projects', $k->{key},
            json_encode({ project_name => 'Piped 2' }), close => 0),
    request(GET => "/projects/$id", $k->{key}, undef, close => 0),
    request(GET => '/projects?limit=1', undef, undef, close => 0),
    request(HEAD => "/projects/$id/status", $k->{key}, undef, close => 0),
    request(GET => '/projects?limit=2', $k->{key}, undef, close => 1),
);
my $raw = raw_http($nginx, join('', @pipe), wait => 20);
my @got;
for my $chunk (split /(?=HTTP\/1\.1 )/, $raw) {
    # the answer to HEAD is headers alone
    push @got, parse_responses($chunk, head => $chunk =~ /\r\n\r\n\z/ ? 1 : 0);
}
is_deeply([ map { $_->{status} } @got ],
          [ 200, 200, 404, 201, 200, 401, 200, 200 ],
          'eight pipelined requests: eight answers, in order');
is($got[0]{json}{id}, $id, 'pipelined: the status is the right project');
is($got[3]{json}{project}{name}, 'Piped 2', 'pipelined: the create created');
is($got[4]{json}{id}, $id, 'pipelined: the get is the right project');
is($got[6]{body}, '', 'pipelined: HEAD has no body');
is(scalar @{ $got[7]{json}{projects} }, 2, 'pipelined: the list is whole');
like($got[0]{headers}{connection} // 'keep-alive', qr/keep-alive/i,
     'pipelined: the connection is kept alive');

# --- megabyte replies, read whole, many at once -----------------------------

# a description is at most 1,000 bytes through the API (t/270): the 30 KB
# ones are written into the records directly, as stored JSON
my $big = make_key($redis, legacy => 1, quota => 1000);
my $text = join('', map { chr(65 + $_ % 26) } 0 .. 30_000);
for my $n (1 .. 40) {
    my $r = api(POST => '/projects', key => $big->{key},
                json => { project_name => "Big $n" });
    $r->{status} == 201 or die "create $n: $r->{status} $r->{content}";
    my $p = $r->{json}{project};
    redis_cli($redis, 'HSET', "djass:project:$p->{id}", 'input_payload',
              json_encode({ %{ $p->{input_payload} },
                            project_description => "$n:$text" }));
}
my $list = api(GET => '/projects?limit=100', key => $big->{key});
is($list->{status}, 200, 'a 1 MB list is answered');
cmp_ok(length $list->{content}, '>', 1_200_000, 'the list is over 1.2 MB');
my @p = @{ $list->{json}{projects} };
is(scalar @p, 40, 'all 40 projects are in it');
is(scalar(grep { $_->{input_payload}{project_description} =~ /^\d+:\Q$text\E$/ }
          @p), 40, 'every description came through whole');

my @reqs = ((map { request(GET => '/projects?limit=100', $big->{key}) } 1 .. 8),
            (map { request(GET => "/projects/$id/status", $k->{key}) } 1 .. 40));
@res = concurrent(@reqs);
is(scalar(grep { $_ && $_->{status} == 200 } @res), 48,
   '8 big lists and 40 status polls at once: all 200');
is(scalar(grep { $_ && $_->{body} eq $list->{content} } @res[0 .. 7]), 8,
   'every big list is whole, byte for byte');
is(scalar(grep { $_ && $_->{json} && ($_->{json}{id} // 0) == $id }
          @res[8 .. 47]), 40, 'every status poll got its own answer');

# --- a burst of reads over few connections, pipelined -----------------------

my @bursts;
for my $c (1 .. 10) {
    push @bursts, join('', (map { request(GET => "/projects/$id/status",
                                          $k->{key}, undef, close => 0) }
                            1 .. 19),
                       request(GET => "/projects/$id/status", $k->{key}));
}
my $ok = 0;
for my $raw (map { raw_http($nginx, $_, wait => 20) } @bursts) {
    $ok += grep { $_->{status} == 200 && $_->{json}{id} == $id }
           parse_responses($raw);
}
is($ok, 200, '10 connections x 20 pipelined polls: 200 right answers');

done_testing();
