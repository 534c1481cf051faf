# djassctl against a real Redis: profiles, keys that are shown once and
# stored only as SHA-256 digests, listing, revoking, and clear failures.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Test;
use Digest::SHA qw(sha256_hex);
use IO::Socket::INET;

my $redis = start_redis();

my ($rc, $out, $err) = djassctl($redis, 'profile', 'create',
                                '--email', 'ada@example.test', '--quota', 7);
is($rc, 0, 'profile create exits 0');
like($out, qr/^\d+\n\z/, 'profile create prints only the id');
chomp(my $pid = $out);
is(redis_cli($redis, 'HGET', "djass:profile:$pid", 'email'),
   'ada@example.test', 'the profile holds its email');
is(redis_cli($redis, 'HGET', "djass:profile:$pid", 'quota'), 7,
   'the profile holds its quota');

($rc, $out) = djassctl($redis, 'profile', 'create', '--email', 'b@x.test');
chomp(my $pid2 = $out);
is($rc, 0, 'a second profile without --quota');
isnt($pid2, $pid, 'profile ids are unique');
ok(!defined redis_cli($redis, 'HGET', "djass:profile:$pid2", 'quota'),
   'no --quota leaves the nginx default in force');

($rc, $out) = djassctl($redis, 'profile', 'show', $pid);
is($rc, 0, 'profile show exits 0');
my $shown = json_decode($out);
is($shown->{email}, 'ada@example.test', 'profile show prints the email');
is($shown->{projects}, 0, 'profile show counts projects');

# keys: shown once, stored as digests, scopes canonical
my %keys;
for my $k ([ scoped => '--scopes', 'projects:read' ],
           [ both   => '--scopes', 'projects:read,projects:create' ],
           [ legacy => '--legacy' ],
           [ plain  => ]) {
    my ($name, @args) = @$k;
    ($rc, $out, $err) = djassctl($redis, 'key', 'create', '--profile', $pid,
                                 '--name', $name, @args);
    is($rc, 0, "key create ($name) exits 0") or diag($err);
    like($out, qr/^djk_[0-9a-f]{64}\n\z/,
         "key create ($name) prints only a 256-bit key");
    chomp($keys{$name} = $out);
}
my %uniq = map { $_ => 1 } values %keys;
is(scalar keys %uniq, 4, 'every key is different');

my $all = join ' ', @{ redis_cli($redis, 'KEYS', '*') };
for my $name (sort keys %keys) {
    my $k = $keys{$name};
    unlike($all, qr/\Q$k\E/, "the $name key itself is not a Redis key name");
    my $h = redis_cli($redis, 'HGETALL', 'djass:key:' . sha256_hex($k));
    my %h = @{ $h // [] };
    is($h{profile}, $pid, "the $name key is stored under its SHA-256");
    ok(!grep({ index($_, $k) >= 0 } values %h),
       "the $name key's hash does not hold the key");
}
my %scopes = map {
    my %h = @{ redis_cli($redis, 'HGETALL',
                         'djass:key:' . sha256_hex($keys{$_})) };
    $_ => "$h{scopes}|$h{legacy}";
} keys %keys;
is($scopes{scoped}, 'projects:read|0', 'a scoped key keeps only its scope');
is($scopes{both}, 'projects:create,projects:read|0',
   'scopes are stored in canonical order');
is($scopes{legacy}, 'projects:create,projects:read|1',
   'a legacy key has both scopes');
is($scopes{plain}, 'projects:create,projects:read|0',
   'a key without --scopes gets both scopes');

($rc, $out) = djassctl($redis, 'key', 'list', '--profile', $pid);
is($rc, 0, 'key list exits 0');
my @listed = map { json_decode($_) } split /\n/, $out;
is(scalar @listed, 4, 'key list shows the four keys');
for my $k (values %keys) {
    unlike($out, qr/\Q$k\E/, 'key list never shows a key');
}
is_deeply([ sort map { $_->{prefix} } @listed ],
          [ sort map { substr($_, 0, 12) } values %keys ],
          'key list shows each key\'s first 12 characters');

($rc, $out) = djassctl($redis, 'key', 'revoke', $keys{plain});
is($rc, 0, 'key revoke exits 0');
ok(redis_cli($redis, 'HGET', 'djass:key:' . sha256_hex($keys{plain}),
             'revoked_at') > 0, 'a revoked key records when');

# failures: message on stderr, nothing on stdout, non-zero exit
my @fail = (
    [ 'unknown scope', [qw(key create --profile), $pid, '--scopes',
                        'projects:write'], qr/unknown scope "projects:write"/ ],
    [ 'missing profile', [qw(key create --profile 999)], qr/no profile 999/ ],
    [ 'legacy with scopes', [qw(key create --legacy --scopes projects:read
                               --profile), $pid], qr/legacy/ ],
    [ 'bad email', [qw(profile create --email nobody)], qr/invalid email/ ],
    [ 'bad quota', [qw(profile create --email a@b.test --quota -1)],
      qr/--quota must be an integer from 0 to 1000000000, not "-1"/ ],
    [ 'quota with trailing garbage',
      [qw(profile create --email a@b.test --quota 5x)],
      qr/--quota must be an integer from 0 to 1000000000, not "5x"/ ],
    [ 'quota past 64 bits',
      [qw(profile create --email a@b.test --quota 99999999999999999999)],
      qr/--quota must be an integer from 0 to 1000000000/ ],
    [ 'empty quota', [qw(profile create --email a@b.test --quota), ''],
      qr/--quota must be an integer/ ],
    [ 'expires-in not a number',
      [qw(key create --profile), $pid, qw(--expires-in soon)],
      qr/--expires-in must be an integer from 1 to \d+, not "soon"/ ],
    [ 'profile id with trailing garbage', [qw(profile show 1x)],
      qr/profile id must be an integer/ ],
    [ 'unknown key', [qw(key revoke djk_nope)], qr/no such key/ ],
    [ 'profile show of nothing', [qw(profile show 424242)],
      qr/no profile 424242/ ],
    [ 'unknown command', [qw(profile delete 1)], qr/usage/ ],
);
for my $f (@fail) {
    my ($name, $args, $re) = @$f;
    ($rc, $out, $err) = djassctl($redis, @$args);
    is($rc, 1, "$name: exit 1 (bad input)");
    is($out, '', "$name: nothing on stdout");
    like($err, $re, "$name: stderr says why");
}

my $gone = { addr => '127.0.0.1:' . free_port() };
($rc, $out, $err) = djassctl($gone, 'profile', 'create', '--email',
                             'a@b.test');
is($rc, 2, 'an unreachable Redis exits 2');
like($err, qr/cannot reach Redis at 127\.0\.0\.1:\d+/,
     'an unreachable Redis is named on stderr');

# --- --redis-wait: a write counts once replicas have it ------------------
{
    my $replica = start_redis(args => ['--replicaof', '127.0.0.1',
                                       $redis->{port}]);
    ok(wait_replica($redis, $replica), 'a replica follows Redis');
    ($rc, $out, $err) = djassctl($redis, '--redis-wait', 1, 'profile',
                                 'create', '--email', 'w@x.test');
    is($rc, 0, '--redis-wait 1 with a replica: exit 0') or diag($err);
    like($out, qr/^\d+$/, '--redis-wait 1: the profile id is printed');
    chomp(my $wid = $out);
    is(redis_cli($replica, 'HGET', "djass:profile:$wid", 'email'),
       'w@x.test', '--redis-wait 1: the replica has the profile');

    ($rc, $out, $err) = djassctl($redis, '--redis-wait', 2, 'key', 'create',
                                 '--profile', $wid);
    is($rc, 2, '--redis-wait 2 with one replica: exit 2');
    is($out, '', '--redis-wait 2: no key printed');
    like($err, qr/written on the master, but 1 of 2 replica\(s\) confirmed it within 1000 ms \(--redis-wait\): a failover now could lose it/,
         '--redis-wait 2: stderr says the write may be lost');

    for my $bad ('-1', 'x', '65') {
        ($rc, $out, $err) = djassctl($redis, '--redis-wait', $bad,
                                     'profile', 'show', $pid);
        is($rc, 1, "--redis-wait $bad: exit 1 (bad input)");
        like($err, qr/--redis-wait must be an integer from 0 to 64, not "\Q$bad\E"/,
             "--redis-wait $bad: stderr says why");
    }
    stop_process($replica);
}

# --- a Sentinel address whose master moved ----------------------------------
# A fake Sentinel names a fake master first: it says ROLE master, answers
# EXISTS and MULTI, and -READONLY to any write (as a master demoted after
# the connect would); asked again, the Sentinel names the real Redis.
our @fakes;
END { kill 'KILL', @fakes if @fakes }

sub resp_read {
    my ($s) = @_;
    my $n = <$s> // return;
    $n =~ /^\*(\d+)/ or return;
    my @a;
    for (1 .. $1) {
        my $len = <$s> // return;
        $len =~ /^\$(\d+)/ or return;
        read($s, my $v, $1 + 2);
        push @a, substr($v, 0, -2);
    }
    return \@a;
}

sub fake_server {
    my ($answer) = @_;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 8, ReuseAddr => 1) or die $!;
    my $pid = fork;
    if ($pid == 0) {
        my $asked = 0;
        while (my $c = $l->accept) {
            while (my $cmd = resp_read($c)) {
                print $c $answer->(uc $cmd->[0], $cmd, \$asked);
            }
            close $c;
        }
        exit 0;
    }
    my $port = $l->sockport;
    close $l;
    push @fakes, $pid;
    return $port;
}

my $fake_master = fake_server(sub {
    my ($c) = @_;
    return "*3\r\n\$6\r\nmaster\r\n:0\r\n*0\r\n" if $c eq 'ROLE';
    return ":1\r\n" if $c eq 'EXISTS';
    return "+OK\r\n" if $c eq 'MULTI';
    return "-READONLY You can't write against a read only replica.\r\n";
});
sub addr_reply { "*2\r\n\$9\r\n127.0.0.1\r\n\$" . length($_[0]) . "\r\n$_[0]\r\n" }
my $moving = fake_server(sub {
    my ($c, $cmd, $asked) = @_;
    return addr_reply($$asked++ == 0 ? $fake_master : $redis->{port});
});
my $stuck = fake_server(sub { addr_reply($fake_master) });

($rc, $out, $err) = djassctl({ addr => "sentinel://127.0.0.1:$moving/djass" },
                             'key', 'create', '--profile', $pid);
is($rc, 0, 'a master that moved mid-transaction: exit 0') or diag($err);
like($err, qr/READONLY You can't write.*; asking the Sentinels again/,
     'djassctl says it asked the Sentinels again');
like($out, qr/^djk_/, 'the key is printed');
chomp(my $moved_key = $out);
ok(redis_cli($redis, 'SISMEMBER', "djass:profile:$pid:keys",
             sha256_hex($moved_key)),
   'the transaction, begun again on the new master, stored the key');

($rc, $out, $err) = djassctl({ addr => "sentinel://127.0.0.1:$stuck/djass" },
                             'profile', 'create', '--email', 's@x.test');
is($rc, 2, 'a master that stays read-only: exit 2');
is(scalar(() = $err =~ /asking the Sentinels again/g), 1,
   'the Sentinels are asked again once only');
like($err, qr/READONLY.*\n.*command failed/s,
     'the second -READONLY ends it, named on stderr');

# the version operators and bug reports quote: the file VERSION's
{
    my $version = do { local (@ARGV, $/) = (repo_dir() . '/VERSION'); <> };
    chomp $version;
    my ($vrc, $vout) = djassctl($redis, '--version');
    is($vrc, 0, 'djassctl --version exits 0');
    is($vout, "djassctl $version\n",
       'djassctl --version prints the VERSION file\'s');
}

done_testing();
