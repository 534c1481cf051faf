# Template hooks run with a clean environment: what any program expects
# (PATH, HOME, LANG, LC_*, TZ, TMPDIR...) and none of the worker's own
# variables, which hold secrets (DJASS_REDIS_PASSWORD, the artifact store's
# header, S3 credentials).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use Djass::Test;
use Djass::Jobs;

my $secret = 'hunter2-redis';
my $redis = start_redis(password => $secret);
my $art = temp_dir('art-315');

my %env = (
    DJASS_REDIS_PASSWORD   => $secret,
    DJASS_ARTIFACTS_HEADER => 'Authorization: Bearer store-token',
    DJASS_SOMETHING_ELSE   => 'ours',
    AWS_ACCESS_KEY_ID      => 'AKIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY  => 'aws-secret-value',
    AWS_SESSION_TOKEN      => 'aws-session-value',
    UNRELATED_VARIABLE     => 'not on the list',
    HOME                   => '/nonexistent-home-315',
    LANG                   => 'C.UTF-8',
    LC_TIME                => 'C.UTF-8',
    TZ                     => 'Europe/Paris',
    PATH                   => $ENV{PATH},
);
my $w = start_worker(redis => $redis, artifacts => $art,
                     template => worker_template('env'), env => \%env);

my $id = enqueue_project($redis, profile => 4,
                         payload => { project_name => 'Env Demo' });
ok(wait_status($redis, $id, 'ready'),
   'the worker, given the Redis password only in its environment, renders '
   . 'a template whose hooks dump theirs')
    or diag(explain(project($redis, $id)), worker_log($w));

my $entries = zip_entries("$art/" . (project($redis, $id)->{artifact} // ''));
my $py = eval { decode_json($entries->{'env_demo/ENV.json'} // '') } // {};
ok(%$py, 'the Python hook ran and wrote its environment');
my $sh = { map { /^([^=]+)=(.*)$/ ? ($1 => $2) : () }
           split /\n/, $entries->{'env_demo/SH_ENV.txt'} // '' };
ok(%$sh, 'the shell hook ran and wrote its environment');

for my $hook ([ 'Python', $py ], [ 'shell', $sh ]) {
    my ($name, $got) = @$hook;
    is_deeply([ grep { /^(DJASS_|AWS_)/ } sort keys %$got ], [],
              "$name hook: no DJASS_* nor AWS_* variable reaches it");
    ok(!exists $got->{UNRELATED_VARIABLE},
       "$name hook: a variable not on the allow-list does not reach it");
    my $all = join "\n", values %$got;
    unlike($all, qr/\Q$secret\E|aws-secret-value|aws-session-value|store-token/,
           "$name hook: no secret's value appears in any variable");
    # (a pyenv shim, where python3 is one, puts its own folders first)
    like($got->{PATH} // '', qr/\Q$ENV{PATH}\E\z/,
         "$name hook: PATH is the worker's");
    is($got->{HOME}, '/nonexistent-home-315', "$name hook: HOME is kept");
    is($got->{LANG}, 'C.UTF-8', "$name hook: LANG is kept");
    is($got->{LC_TIME}, 'C.UTF-8', "$name hook: LC_* is kept");
    is($got->{TZ}, 'Europe/Paris', "$name hook: TZ is kept");
    ok(defined $got->{TMPDIR} && length $got->{TMPDIR},
       "$name hook: TMPDIR is set (the job's own folder)");
}

is(stop_process($w), 0, 'the worker stops with status 0');

done_testing();
