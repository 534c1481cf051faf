# Redis memory stays flat under a steady flow of projects with retention:
# a thousand projects are created through the API, generated, expired
# by djass-worker --retention 1s and deleted, and afterwards Redis'
# used_memory is back at its level before them -- within 256 KiB, while
# the same projects kept alive would take several times that (measured
# here per project) -- the keyspace holds what it held, and the artifact
# store is empty.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Jobs;
use Djass::Build qw(sanitize_on valgrind_on);

plan skip_all => 'thousands of renders: too slow under valgrind'
    if valgrind_on();

# bounded in time: 20 to 60 renders a second on two plain processes
# (with the deletions' own jobs), fewer under the sanitizers
my $N = sanitize_on() ? 500 : 1000;
my $BOUND = 256 * 1024;

my $tpl = Djass::Build::repo_dir() . '/t/render-templates/basic';
my $redis = start_redis();
my $art = temp_dir('art-395');
my $nginx = start_nginx(redis => $redis, artifacts => $art, template => $tpl,
                        http => 'djass_quota 1000000;');
my $K = make_key($redis, legacy => 1)->{key};
# first without retention: what a project costs while it lives
my $w = start_worker(redis => $redis, artifacts => $art, template => $tpl,
                     args => ['--concurrency', 2]);

sub used {
    my ($m) = (redis_cli($redis, 'INFO', 'memory') // '')
              =~ /^used_memory:(\d+)/m;
    return $m;
}

my $peak = 0;

# creates $n projects through the API, $round at a time, and waits until
# every one is gone again: record, list entry, job, artifact
sub flow {
    my ($n, $name) = @_;
    my @ids;
    my $ua = HTTP::Tiny->new(keep_alive => 1, timeout => 10);
    my $url = base_url($nginx) . '/projects';
    for my $i (1 .. $n) {
        my $r = $ua->post($url, { headers => {
            'X-API-Key' => $K, 'Content-Type' => 'application/json' },
            content => qq({"project_name":"Flow $name $i"}) });
        die "create: $r->{status} $r->{content}" unless $r->{status} == 201;
        push @ids, $i;
        if ($i % 250 == 0) {
            my $m = used();
            $peak = $m if $m > $peak;
        }
    }
    return wait_until(sub {
        my $m = used();
        $peak = $m if $m > $peak;
        my @a = artifact_files($art);
        return !@a
            && redis_cli($redis, 'ZCARD', 'djass:finished') == 0
            && (redis_cli($redis, 'EXISTS', 'djass:jobs')
                ? redis_cli($redis, 'XLEN', 'djass:jobs') == 0 : 1)
            && !@{ redis_cli($redis, 'KEYS', 'djass:project:*') };
    }, 150, 0.5);
}

# a warm-up: the scripts cached, the stream and its group made; 200
# projects kept, to weigh them
my $t0 = time;
my $before = used();
my @warm = map {
    api(POST => '/projects', key => $K,
        json => { project_name => "Warm $_" })->{json}{project}{id}
} 1 .. 200;
ok(wait_finished($redis, \@warm, 60), '200 projects are ready')
    or diag(worker_log($w));
my $each = (used() - $before) / 200;
note(sprintf('a ready project costs Redis about %.0f bytes', $each));
cmp_ok($N * $each, '>', 4 * $BOUND,
       "$N projects kept would take more than four times the bound");
stop_process($w);

# now with --retention 1s: the 200 go, and then the flow
$w = start_worker(redis => $redis, artifacts => $art, template => $tpl,
                  args => ['--concurrency', 2, '--retention', '1s']);
ok(flow(0, 'warm'), 'the 200 expire') or diag(worker_log($w));
sleep 1;
my $keys0 = redis_cli($redis, 'DBSIZE');
my $m0 = used();
$peak = $m0;

ok(flow($N, 'main'), "$N projects are created, generated and expired")
    or diag(worker_log($w));
sleep 1;
my $m1 = used();
my $keys1 = redis_cli($redis, 'DBSIZE');

note(sprintf('used_memory: %d before, %d at the peak, %d after (%+d); '
             . '%.1f s', $m0, $peak, $m1, $m1 - $m0, time - $t0));
cmp_ok(abs($m1 - $m0), '<', $BOUND,
       "used_memory is back within 256 KiB of its start ($m0 -> $m1)");
is($keys1, $keys0, "the keyspace holds as many keys as before ($keys0)");
my @left = artifact_files($art);
is_deeply(\@left, [], 'the artifact store is empty');
is_deeply([ temp_files($art) ], [], 'and its work folder');
is(redis_cli($redis, 'HGET', 'djass:stats', 'deleted:retention'), 200 + $N,
   'every project was deleted by the retention, once');
is(api(GET => '/projects', key => $K)->{json}{total}, 0,
   'the owner lists none');

stop_process($w);
done_testing();
