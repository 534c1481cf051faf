# djassctl gc --artifacts STORE [--dry-run]: the store against the
# records.  A worker killed between the store and the record leaves a ZIP
# that no record points to, in both orders -- killed after publishing and
# before recording (DJASS_DEBUG_CRASH=published, then the project deleted),
# and after the record was deleted and before the ZIP was removed
# (DJASS_DEBUG_CRASH=recorded) -- and gc removes it (--dry-run only
# counts); ZIPs of live projects stay; a ready record whose ZIP is gone is
# reported.  One JSON object with the counts.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Djass::Test;
use Djass::Jobs;

my $f = slow_factor();
my $tpl = worker_template('slow');
my $redis = start_redis();
my $art = temp_dir('art-045');
my $nginx = start_nginx(redis => $redis, artifacts => $art, template => $tpl);
my $K = make_key($redis, legacy => 1)->{key};

sub zip_of { sprintf('%s/projects/%03d/%d.zip', $art, $_[0] % 1000, $_[0]) }

sub gc {
    my (@args) = @_;
    my ($rc, $out, $err) = djassctl($redis, 'gc', '--artifacts', $art, @args);
    is($rc, 0, "gc @args exits 0") or diag($err);
    my $j = json_decode($out);
    ok($j && $out =~ /\A\{.*\}\n\z/s, "gc @args prints one JSON object")
        or diag($out);
    return $j // {};
}

sub create {
    my $r = api(POST => '/projects', key => $K,
                json => { project_name => 'Gc ' . int(rand 1e6) });
    return $r->{json}{project}{id};
}

sub crash_worker {
    my ($point) = @_;
    local $ENV{DJASS_DEBUG_CRASH} = $point;
    return start_worker(redis => $redis, artifacts => $art, template => $tpl,
                        args => ['--visibility-timeout', 1]);
}

# --- usage ---------------------------------------------------------------------
{
    my ($rc, $out, $err) = djassctl($redis, 'gc');
    is($rc, 1, 'gc without --artifacts: exit 1');
    like($err, qr/gc needs --artifacts STORE/, 'saying what it needs');
    ($rc, $out, $err) = djassctl($redis, 'gc', '--artifacts',
                                 'http://127.0.0.1:1/');
    is($rc, 1, 'gc of an HTTP store: exit 1');
    like($err, qr/an HTTP store cannot be listed/, 'saying why');
    ($rc, $out, $err) = djassctl($redis, 'gc', '--artifacts', "$art/nope");
    is($rc, 1, 'gc of a missing folder: exit 1');
}

my $j = gc();
is_deeply([ @$j{qw(artifacts orphans removed missing)} ], [0, 0, 0, 0],
          'an empty store: nothing to do');

# --- a live, ready project stays -------------------------------------------------
my $w = start_worker(redis => $redis, artifacts => $art, template => $tpl);
my $live = create();
ok(wait_status($redis, $live, 'ready'), 'a live project is ready');
stop_process($w);

# --- order 1: killed after the ZIP is in the store, before the record ------------
my $c1 = crash_worker('published');
my $p1 = create();
ok(wait_until(sub { $c1->{pid} && !kill(0, $c1->{pid}) || -e zip_of($p1) },
              20 * $f), 'the worker published the ZIP');
ok(wait_until(sub { !kill(0, $c1->{pid}) || waitpid($c1->{pid}, 1) }, 10),
   'and was killed right after');
like(worker_log($c1), qr/DJASS_DEBUG_CRASH: killed at "published"/,
     'at the crash point "published"');
ok(-e zip_of($p1), 'its ZIP is in the store');
is(project($redis, $p1)->{status}, 'generating',
   'its record still says generating');

$j = gc('--dry-run');
is($j->{orphans}, 0, 'a generating project\'s ZIP is no orphan');

# the project is deleted meanwhile: nothing will record the ZIP
is(api(DELETE => "/projects/$p1", key => $K)->{status}, 204,
   'the project is deleted');
$j = gc('--dry-run');
is($j->{artifacts}, 2, 'dry run: two ZIPs in the store');
is($j->{orphans}, 1, 'dry run: one orphan');
is($j->{removed}, 0, 'dry run: nothing removed');
ok($j->{dry_run}, 'dry run: says so');
ok(-e zip_of($p1), 'dry run: the ZIP is still there');
$j = gc();
is($j->{orphans}, 1, 'gc: one orphan');
is($j->{removed}, 1, 'gc: removed');
ok(!-e zip_of($p1), 'the orphan is gone');
ok(-e zip_of($live), 'the live project\'s ZIP stays');

# --- order 2: the record deleted, killed before the ZIP is removed -----------------
my $p2 = create();
$w = start_worker(redis => $redis, artifacts => $art, template => $tpl);
ok(wait_status($redis, $p2, 'ready'), 'another project is ready');
stop_process($w);
is(api(DELETE => "/projects/$p2", key => $K)->{status}, 204,
   'it is deleted (no worker running)');
ok(-e zip_of($p2), 'its ZIP waits for a worker');
my $c2 = crash_worker('recorded');
ok(wait_until(sub { worker_log($c2) =~ /killed at "recorded"/ }, 20 * $f),
   'the worker is killed between the record and the store')
    or diag(worker_log($c2));
ok(-e zip_of($p2), 'the ZIP is left behind');
stop_process($c2);
$j = gc();
is($j->{orphans}, 1, 'gc finds it');
is($j->{removed}, 1, 'and removes it');
ok(!-e zip_of($p2), 'the orphan is gone');

# --- a ready record whose ZIP is missing ---------------------------------------------
unlink zip_of($live);
$j = gc();
is($j->{missing}, 1, 'a ready record without its ZIP is reported');
is_deeply($j->{missing_ids}, [ $live ], 'by id');
is($j->{records}, 1, 'one record was looked at');

# a normal worker afterwards: the pending jobs end without re-creating
# anything
$w = start_worker(redis => $redis, artifacts => $art, template => $tpl,
                  args => ['--visibility-timeout', 1]);
ok(wait_until(sub { pending_jobs($redis) == 0
                    && redis_cli($redis, 'XLEN', 'djass:jobs') == 0 },
              20 * $f), 'the left jobs are dropped')
    or diag(worker_log($w));
is(redis_cli($redis, 'EXISTS', "djass:project:$p1"), 0,
   'the deleted project is not re-created');
ok(!-e zip_of($p1) && !-e zip_of($p2), 'and no ZIP comes back');
stop_process($w);

done_testing();
