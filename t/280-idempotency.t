# POST /projects with an Idempotency-Key: one key creates one project, however
# often and however concurrently it is sent; a repeat is the first answer
# again, byte for byte, with Idempotent-Replayed: true, also at the quota;
# another input under the key is 422; keys belong to a profile; a bad key
# is 400; only a 201 is remembered, and only for djass_idempotency_ttl.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);
use Djass::Test;

my $redis = start_redis();
# a long timeout: 50 requests at once under valgrind are slow, not late
my $nginx = start_nginx(redis => $redis, workers => 2,
                        http => 'djass_redis_timeout 20s;');

my $seq = 0;
sub fresh_key { 'idem-' . $$ . '-' . ++$seq }

# one request as bytes: headers are [name, value] pairs, sent as they are
sub request {
    my (%o) = @_;
    my $body = $o{body} // '{"project_name":"Acme CRM"}';
    my $r = "POST /api/v1/projects$o{query} HTTP/1.1\r\nHost: x\r\n"
            . "Connection: close\r\nContent-Type: application/json\r\n"
            . 'Content-Length: ' . length($body) . "\r\n";
    $r .= "X-API-Key: $o{key}\r\n" if defined $o{key};
    $r .= "$_->[0]: $_->[1]\r\n" for @{ $o{headers} // [] };
    $r .= "Idempotency-Key: $o{idem}\r\n" if defined $o{idem};
    return "$r\r\n$body";
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
    my $end = time + 120;
    while ($sel->count && time < $end) {
        for my $s ($sel->can_read(1)) {
            my $i = $index{fileno $s};
            my $n = sysread($s, $buf[$i], 1 << 16, length($buf[$i] // ''));
            next if $n;
            $sel->remove($s);
            close $s;
        }
    }
    return map { (parse_responses($_ // '', raw => 1))[0] } @buf[0 .. $#reqs];
}

# one request, the answer with its body as bytes and decoded
sub post {
    my (%o) = @_;
    my ($res) = parse_responses(raw_http($o{nginx} // $nginx,
                                         request(%o, query => $o{query} // '')),
                                raw => 1);
    $res //= { status => 0, headers => {}, body => '' };
    $res->{json} = json_decode($res->{body});
    return $res;
}

sub replayed { ($_[0]{headers}{'idempotent-replayed'} // '') eq 'true' }
sub id_of { $_[0]{json} && $_[0]{json}{project} ? $_[0]{json}{project}{id} : '' }
sub projects { redis_cli($redis, 'ZCARD', "djass:profile:$_[0]:projects") }
sub jobs { redis_cli($redis, 'XLEN', 'djass:jobs') }

# --- 50 at once with one key and one body ------------------------------------

my $pa = make_key($redis, legacy => 1, quota => 100);
my $K = fresh_key();
my $jobs0 = jobs();
my @res = concurrent(map { request(key => $pa->{key}, idem => $K, query => '') }
                     1 .. 50);
is(scalar(grep { $_ && $_->{status} == 201 } @res), 50,
   '50 concurrent creates with one Idempotency-Key: all 50 answer 201')
    or diag explain [ map { $_ && "$_->{status} $_->{body}" } @res ];
my %ids = map { ((json_decode($_->{body}) // {})->{project}{id} // '') => 1 }
          grep { $_ } @res;
is(scalar(keys %ids), 1, 'all 50 answers name the same project');
my %bodies = map { ($_ ? $_->{body} : '') => 1 } @res;
is(scalar(keys %bodies), 1, 'all 50 bodies are byte-identical');
is(scalar(grep { $_ && replayed($_) } @res), 49,
   '49 of them carry Idempotent-Replayed: true');
ok(!(grep { $_ && exists $_->{headers}{'idempotent-replayed'}
            && !replayed($_) } @res),
   'the first answer carries no Idempotent-Replayed header at all');
is(projects($pa->{profile}), 1, 'the profile holds exactly 1 project');
is(jobs() - $jobs0, 1, 'exactly 1 job was queued');
my ($first) = grep { $_ && !replayed($_) } @res;
my $id = (keys %ids)[0];

my @idem = @{ redis_cli($redis, 'KEYS', "djass:idem:$pa->{profile}:*") };
is(scalar(@idem), 1, 'Redis remembers the key once, under the profile');
my $ttl = redis_cli($redis, 'TTL', $idem[0] // 'none');
ok($ttl > 86000 && $ttl <= 86400,
   "the remembered answer expires after djass_idempotency_ttl's 24h ($ttl s)");
unlike($idem[0] // '', qr/\Q$K\E/,
       'the Redis key holds a digest of the Idempotency-Key, not the key');

# --- the first answer again, even after the project moved on -----------------

set_project_status($redis, $id, 'ready', artifact => "x/$id.zip",
                   finished_at => int(time));
my $r = post(key => $pa->{key}, idem => $K);
is($r->{status}, 201, 'a replay after the project is ready is still 201');
is($r->{body}, $first->{body},
   'a replay is the first body byte for byte (status queued, as answered)');
ok(replayed($r), 'a later replay carries Idempotent-Replayed: true');
is(projects($pa->{profile}), 1, 'a later replay creates no project');

# --- key order, whitespace, escapes, defaults: the same input ----------------

my $K2 = fresh_key();
my $o = post(key => $pa->{key}, idem => $K2,
             body => '{"project_name":"Order Test","use_s3":"y"}');
is($o->{status}, 201, 'a create with a second key') or diag $o->{body};
my @same = (
    [ 'keys in another order, with whitespace',
      '{ "use_s3" : "y",' . "\n\t" . '"project_name" : "Order Test" }' ],
    [ 'a JSON escape for a letter',
      '{"project_name":"Order T\u0065st","use_s3":"y"}' ],
    [ 'an option given with its default value',
      '{"project_name":"Order Test","use_s3":"y","use_ci":"'
      . $o->{json}{project}{input_payload}{use_ci} . '"}' ],
);
for my $c (@same) {
    my ($name, $body) = @$c;
    my $r = post(key => $pa->{key}, idem => $K2, body => $body);
    is($r->{status}, 201, "the same input, $name: 201");
    ok(replayed($r), "the same input, $name: Idempotent-Replayed: true");
    is($r->{body}, $o->{body}, "the same input, $name: the first body");
}
is(projects($pa->{profile}), 2, 'rewritten inputs created nothing');

# --- another input under the key: 422, nothing created -----------------------

my $jobs1 = jobs();
$r = post(key => $pa->{key}, idem => $K2,
          body => '{"project_name":"Order Test","use_s3":"n"}');
is($r->{status}, 422, 'the same key with another input is 422');
is($r->{json}{error}{code}, 'idempotency_key_reused',
   '... error.code idempotency_key_reused');
is($r->{json}{error}{category}, 'validation', '... category validation');
ok(JSON::PP::is_bool($r->{json}{error}{retryable})
   && !$r->{json}{error}{retryable}, '... retryable false');
is($r->{json}{error}{details}{idempotency_key}, $K2,
   '... details.idempotency_key is the key sent');
ok(!replayed($r), '... with no Idempotent-Replayed header');
is(projects($pa->{profile}), 2, 'a reused key creates no project');
is(jobs(), $jobs1, 'a reused key queues no job');
$r = post(key => $pa->{key}, idem => $K2,
          body => '{"project_name":"Order Test","use_s3":"y"}');
ok($r->{status} == 201 && replayed($r),
   'the first input still replays after a 422');

# --- replay at the quota -----------------------------------------------------

my $q = make_key($redis, legacy => 1, quota => 1);
my $KQ = fresh_key();
my $q1 = post(key => $q->{key}, idem => $KQ);
is($q1->{status}, 201, 'a create that fills the quota');
is(post(key => $q->{key})->{status}, 429,
   'the profile is at its quota: a create without a key is 429');
is(post(key => $q->{key}, idem => fresh_key())->{status}, 429,
   '... and so is one with a new key');
$r = post(key => $q->{key}, idem => $KQ);
is($r->{status}, 201, 'at the quota, a replay still answers 201');
is($r->{body}, $q1->{body}, '... with the first body');
ok(replayed($r), '... and Idempotent-Replayed: true');
is(projects($q->{profile}), 1, '... and the quota is not charged again');

# --- keys belong to a profile ------------------------------------------------

my $pb = make_key($redis, legacy => 1, quota => 100);
$r = post(key => $pb->{key}, idem => $K);
is($r->{status}, 201, 'another profile with the same key: 201');
ok(!replayed($r), '... a new project, not a replay');
isnt(id_of($r), $id, '... with an id of its own');
is(projects($pb->{profile}), 1, '... counted in its own profile');
my $rb = post(key => $pb->{key}, idem => $K);
ok(replayed($rb) && $rb->{body} eq $r->{body},
   'each profile then replays its own answer');

# --- invalid keys: 400, after auth, nothing created or remembered ------------

my @bad = (
    [ 'an empty key', [ [ 'Idempotency-Key', '' ] ] ],
    [ 'a key of 256 characters', [ [ 'Idempotency-Key', 'k' x 256 ] ] ],
    [ 'a key with a space', [ [ 'Idempotency-Key', 'a b' ] ] ],
    [ 'a key with a 0x7F byte', [ [ 'Idempotency-Key', "a\x7fb" ] ] ],
    [ 'a key with a control byte', [ [ 'Idempotency-Key', "a\x01b" ] ] ],
    [ 'a non-ASCII key', [ [ 'Idempotency-Key', "cl\xc3\xa9" ] ] ],
    [ 'two Idempotency-Key headers',
      [ [ 'Idempotency-Key', 'one' ], [ 'Idempotency-Key', 'two' ] ] ],
);
my $before = projects($pa->{profile});
for my $c (@bad) {
    my ($name, $h) = @$c;
    my $r = post(key => $pa->{key}, headers => $h);
    is($r->{status}, 400, "$name: 400");
    is($r->{json}{error}{code}, 'invalid_idempotency_key',
       "$name: error.code invalid_idempotency_key");
    is($r->{json}{error}{category}, 'validation', "$name: category validation");
    ok(!$r->{json}{error}{retryable}, "$name: not retryable");
    is($r->{json}{error}{details}{header}, 'Idempotency-Key',
       "$name: details.header names the header");
}
is(projects($pa->{profile}), $before, 'invalid keys create nothing');
$r = post(key => $pa->{key}, idem => 'k' x 256,
          body => '{"project_name":""}');
is($r->{json}{error}{code}, 'invalid_idempotency_key',
   'a bad key and a bad body: the key is reported');
is(post(idem => 'a b')->{status}, 401, 'a bad key without an API key: 401');
my $ro = make_key($redis, scopes => 'projects:read');
is(post(key => $ro->{key}, idem => 'a b')->{status}, 403,
   'a bad key with a read-only API key: 403');

for my $good ('k' x 255, '!', '~', '!"#$%&\'()*+,-./09:;<=>?@AZ[\]^_`az{|}~') {
    my $r = post(key => $pa->{key}, idem => $good,
                 body => '{"project_name":"Edge ' . ++$seq . '"}');
    is($r->{status}, 201, 'a key of ' . length($good)
                          . ' printable characters is accepted');
}

# --- only a 201 is remembered ------------------------------------------------

my $c = make_key($redis, legacy => 1, quota => 0);
my ($rc, $key2) = djassctl($redis, 'key', 'create', '--profile',
                           $c->{profile}, '--scopes', 'projects:read');
chomp $key2;
my ($rc3, $key3) = djassctl($redis, 'key', 'create', '--profile',
                            $c->{profile}, '--scopes', 'projects:create');
chomp $key3;
my $KN = fresh_key();
is(post(key => 'dj_wrong_key', idem => $KN)->{status}, 401, 'a 401 with a key');
is(post(key => $key2, idem => $KN)->{status}, 403,
   'a 403 with the key (same profile, no create scope)');
is(post(key => $c->{key}, idem => $KN,
        body => '{"project_name":"x","nope":"1"}')->{status}, 400,
   'a 400 with the key (invalid body)');
is(post(key => $c->{key}, idem => $KN)->{status}, 429,
   'a 429 with the key (quota 0)');
is(scalar(@{ redis_cli($redis, 'KEYS', "djass:idem:$c->{profile}:*") }), 0,
   'none of them is remembered in Redis');
redis_cli($redis, 'HSET', "djass:profile:$c->{profile}", 'quota', 5);
$r = post(key => $key3, idem => $KN,
          body => '{"project_name":"Other body than the 400"}');
is($r->{status}, 201, 'then the same key creates (not a 422)');
ok(!replayed($r), '... as a new project, not a replay');

# --- every auth form, and legacy keys ----------------------------------------

my $s = make_key($redis, scopes => 'projects:create,projects:read',
                 quota => 100);
my $l = make_key($redis, legacy => 1, quota => 100);
my %forms = (
    'X-API-Key'             => sub { (key => $_[0]) },
    'Authorization: Bearer' => sub { (headers => [ [ 'Authorization', "Bearer $_[0]" ] ]) },
    'Authorization: Api-Key' => sub { (headers => [ [ 'Authorization', "Api-Key $_[0]" ] ]) },
    'Authorization: apikey' => sub { (headers => [ [ 'Authorization', "apikey $_[0]" ] ]) },
    'Authorization: token'  => sub { (headers => [ [ 'Authorization', "token $_[0]" ] ]) },
    '?api_key='             => sub { (query => "?api_key=$_[0]") },
);
for my $who ([ 'a scoped key', $s ], [ 'a legacy key', $l ]) {
    my ($kind, $k) = @$who;
    for my $form (sort keys %forms) {
        my $I = fresh_key();
        my $body = '{"project_name":"' . "$form $kind" . '"}';
        my $r1 = post($forms{$form}->($k->{key}), idem => $I, body => $body);
        my $r2 = post($forms{$form}->($k->{key}), idem => $I, body => $body);
        ok($r1->{status} == 201 && !replayed($r1),
           "$kind, $form: the first create is 201") or diag $r1->{body};
        ok($r2->{status} == 201 && replayed($r2) && $r2->{body} eq $r1->{body},
           "$kind, $form: the repeat replays the first body");
        my $r3 = post(key => $k->{key}, idem => $I, body => $body);
        ok(replayed($r3) && $r3->{body} eq $r1->{body},
           "$kind, $form: X-API-Key with the same key replays it too");
    }
}
is(projects($s->{profile}), scalar(keys %forms),
   'one project per key, whichever the auth form (scoped)');
is(projects($l->{profile}), scalar(keys %forms),
   'one project per key, whichever the auth form (legacy)');

# --- djass_idempotency_ttl ---------------------------------------------------

my $short = start_nginx(redis => $redis, http => 'djass_idempotency_ttl 2s;');
my $t = make_key($redis, legacy => 1, quota => 100);
my $KT = fresh_key();
my $t1 = post(nginx => $short, key => $t->{key}, idem => $KT);
is($t1->{status}, 201, 'djass_idempotency_ttl 2s: a create');
my ($ik) = @{ redis_cli($redis, 'KEYS', "djass:idem:$t->{profile}:*") };
my $pttl = redis_cli($redis, 'PTTL', $ik // 'none');
ok($pttl > 0 && $pttl <= 2000,
   "the remembered answer expires within 2 s ($pttl ms)");
wait_until(sub { !redis_cli($redis, 'EXISTS', $ik // 'none') }, 5);
is(redis_cli($redis, 'EXISTS', $ik // 'none'), 0,
   'the remembered answer is gone after its 2 s');
my $t2 = post(nginx => $short, key => $t->{key}, idem => $KT);
is($t2->{status}, 201, 'after the retention, the same key answers 201');
ok(!replayed($t2), '... not a replay');
isnt(id_of($t2), id_of($t1), '... a new project');
is(projects($t->{profile}), 2, 'the profile now holds 2 projects');

done_testing();
