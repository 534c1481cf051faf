# djassctl against a real Redis: profiles, keys that are shown once and
# stored only as SHA-256 digests, listing, revoking, and clear failures.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Test;
use Digest::SHA qw(sha256_hex);

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
