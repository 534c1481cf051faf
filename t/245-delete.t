# DELETE /projects/{id}: a project in each status (queued, generating,
# ready, failed) is gone at once for its owner -- 204, then 404
# project_not_found on get, status, download and a second DELETE, on an
# nginx with the read cache and one without -- and its artifact leaves the
# store (a folder, and an HTTP store by DELETE) within 5 s.  A generating
# project's job is cancelled: its worker logs it, records nothing, leaves
# nothing, and takes the next job.  Another owner gets 404, a key without
# projects:delete 403; the list's total drops, the quota frees a place, and
# an Idempotency-Key of a deleted project answers 404, never a new create.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Jobs;

my $f = slow_factor();
my $tpl = worker_template('slow');

my $redis = start_redis();
my $art = temp_dir('art-245');
my $on = start_nginx(redis => $redis, artifacts => $art, template => $tpl,
                     http => 'djass_quota 1000;');
my $off = start_nginx(redis => $redis, artifacts => $art, template => $tpl,
                      http => "djass_quota 1000;\n    djass_cache off;");

my $owner = make_key($redis, legacy => 1);
my $K = $owner->{key};
my ($rc, $nodel) = djassctl($redis, 'key', 'create', '--profile',
                            $owner->{profile}, '--scopes',
                            'projects:read,projects:create');
chomp $nodel;
my ($rc2, $del_only) = djassctl($redis, 'key', 'create', '--profile',
                                $owner->{profile}, '--scopes',
                                'projects:delete');
chomp $del_only;
is($rc2, 0, 'djassctl key create --scopes projects:delete');
my $other = make_key($redis, legacy => 1)->{key};

sub create {
    my ($n, %payload) = @_;
    my $res = api(POST => '/projects', key => $K, nginx => $n,
                  json => { project_name => 'Del ' . int(rand 1e6),
                            %payload });
    is($res->{status}, 201, 'create: 201') or diag($res->{content});
    return $res->{json}{project}{id};
}

sub total {
    my ($n) = @_;
    return api(GET => '/projects', key => $K, nginx => $n)->{json}{total};
}

sub zip_of { sprintf('%s/projects/%03d/%d.zip', $art, $_[0] % 1000, $_[0]) }

# the project is gone for its owner, through nginx $n and the other one
sub gone {
    my ($id, $what) = @_;
    for my $n ($on, $off) {
        my $which = $n == $on ? 'cache on' : 'cache off';
        for my $path ("/projects/$id", "/projects/$id/status",
                      "/projects/$id/download") {
            my $r = api(GET => $path, key => $K, nginx => $n);
            is($r->{status}, 404, "$what: GET $path is 404 ($which)");
            is($r->{json}{error}{code}, 'project_not_found',
               "$what: project_not_found ($which)");
        }
        my $again = api(DELETE => "/projects/$id", key => $K, nginx => $n);
        is($again->{status}, 404, "$what: a second DELETE is 404 ($which)");
        is($again->{json}{error}{details}{project_id}, $id,
           "$what: with the id in the details ($which)");
    }
    is(redis_cli($redis, 'EXISTS', "djass:project:$id"), 0,
       "$what: no record is left");
    ok(wait_until(sub { !-e zip_of($id) }, 5), "$what: no artifact within 5 s");
}

# --- no worker yet: a queued project ----------------------------------------
my $t0 = total($on);
my $q = create($on);
is(total($on), $t0 + 1, 'the list counts the new project');
# both nginx read it, so that the cache holds it
is(api(GET => "/projects/$q", key => $K, nginx => $on)->{status}, 200,
   'the queued project is read (and cached)');
is(api(GET => "/projects/$q", key => $K, nginx => $on)->{status}, 200,
   'read again');

my $r = api(DELETE => "/projects/$q", key => $nodel, nginx => $on);
is($r->{status}, 403, 'a key without projects:delete: 403');
is($r->{json}{error}{code}, 'insufficient_scope', 'insufficient_scope');
is($r->{json}{error}{details}{required_scope}, 'projects:delete',
   'naming projects:delete');
$r = api(DELETE => "/projects/$q", key => $other, nginx => $on);
is($r->{status}, 404, "another owner's DELETE: 404");
is($r->{json}{error}{code}, 'project_not_found', 'project_not_found');
is(api(DELETE => "/projects/$q", nginx => $on)->{status}, 401,
   'no key: 401');
is(api(DELETE => '/projects/abc', key => $K, nginx => $on)->{status}, 404,
   'a malformed id: 404');
is(api(DELETE => '/projects/99999999', key => $K, nginx => $on)->{status},
   404, 'an unknown id: 404');
is(api(DELETE => "/projects/$q/status", key => $K, nginx => $on)->{status},
   405, 'DELETE on /status: 405');
my $opt = api(POST => "/projects/$q", key => $K, nginx => $on);
is($opt->{status}, 405, 'POST on a project: 405');
like($opt->{headers}{allow} // '', qr/DELETE/, 'Allow names DELETE');

$r = api(DELETE => "/projects/$q", key => $del_only, nginx => $on);
is($r->{status}, 204, 'the owner deletes a queued project: 204');
is($r->{content} // '', '', 'with no body');
gone($q, 'queued');
is(total($on), $t0, 'the list total drops by one');
is(total($off), $t0, 'on the uncached nginx too');

# the worker meets the cancelled job and drops it
my $w = start_worker(redis => $redis, artifacts => $art, template => $tpl,
                     args => ['--visibility-timeout', 2 * $f]);
ok(wait_until(sub { worker_log($w) =~ /project $q: no such project/ },
              10 * $f), 'the worker drops the queued job of the deleted '
              . 'project') or diag(worker_log($w));
is(redis_cli($redis, 'EXISTS', "djass:project:$q"), 0,
   'and does not re-create its record');

# --- ready, on each nginx ---------------------------------------------------
for my $n ($on, $off) {
    my $which = $n == $on ? 'cache on' : 'cache off';
    my $id = create($n);
    ok(wait_status($redis, $id, 'ready'), "ready ($which)")
        or diag(worker_log($w));
    ok(-e zip_of($id), "its ZIP is in the store ($which)");
    is(api(GET => "/projects/$id/download", key => $K, nginx => $n)
       ->{status}, 200, "downloaded ($which)");
    api(GET => "/projects/$id", key => $K, nginx => $n) for 1 .. 2;
    my $before = total($n);
    my $d = api(DELETE => "/projects/$id", key => $K, nginx => $n);
    is($d->{status}, 204, "DELETE a ready project: 204 ($which)");
    gone($id, "ready ($which)");
    is(total($n), $before - 1, "the total drops by one ($which)");
}

# --- failed ------------------------------------------------------------------
my $failed = create($on, hook_sleep => 'not a number');
ok(wait_status($redis, $failed, 'failed'), 'a failing hook: failed');
is(api(DELETE => "/projects/$failed", key => $K, nginx => $on)->{status},
   204, 'DELETE a failed project: 204');
gone($failed, 'failed');

# --- generating: the job is cancelled ---------------------------------------
my $g = create($on, hook_sleep => "" . (1.5 * $f));
ok(wait_status($redis, $g, 'generating'), 'a slow project is generating');
api(GET => "/projects/$g", key => $K, nginx => $on);
is(api(DELETE => "/projects/$g", key => $K, nginx => $on)->{status}, 204,
   'DELETE a generating project: 204');
my $next = create($on);
ok(wait_until(sub { worker_log($w) =~ /project $g: deleted while generating: cancelled/ },
              20 * $f), 'the worker logs the cancellation')
    or diag(worker_log($w));
ok(wait_status($redis, $next, 'ready'), 'and takes the next job')
    or diag(worker_log($w));
unlike(worker_log($w), qr/project $g: ready/,
       'the deleted project is never recorded ready');
gone($g, 'generating');
is_deeply([ temp_files($art) ], [], 'no work files are left');
is(pending_jobs($redis), 0, 'no job is left pending');
is_deeply(status_sets($redis, $owner->{profile})->{generating}, [],
          'nothing is left generating');

# --- deleted between publishing and recording: the worker removes its ZIP ------
{
    stop_process($w);
    local $ENV{DJASS_DEBUG_CRASH} = 'published:pause';
    my $pw = start_worker(redis => $redis, artifacts => $art,
                          template => $tpl);
    my $id = create($on);
    ok(wait_until(sub { -e zip_of($id) }, 20 * $f),
       'the ZIP is published, the record not yet written')
        or diag(worker_log($pw));
    is(project($redis, $id)->{status}, 'generating', 'it says generating');
    is(api(DELETE => "/projects/$id", key => $K, nginx => $on)->{status},
       204, 'DELETE in that window: 204');
    ok(wait_until(sub { worker_log($pw) =~ /project $id: deleted while generating: cancelled.*nothing of it is left/ },
                  20 * $f), 'the worker finds the record gone when it '
                  . 'records, and says it cancelled')
        or diag(worker_log($pw));
    ok(!-e zip_of($id), 'the ZIP it published is removed');
    is(redis_cli($redis, 'EXISTS', "djass:project:$id"), 0,
       'no record is re-created');
    ok(wait_until(sub { pending_jobs($redis) == 0 }, 10 * $f),
       'no job is left pending');
    stop_process($pw);
    $w = start_worker(redis => $redis, artifacts => $art, template => $tpl,
                      args => ['--visibility-timeout', 2 * $f]);
}

# --- the quota counts the projects that exist --------------------------------
{
    my $small = make_key($redis, legacy => 1, quota => 2);
    my @ids = map {
        api(POST => '/projects', key => $small->{key}, nginx => $on,
            json => { project_name => "Quota $_" })->{json}{project}{id}
    } 1 .. 2;
    my $full = api(POST => '/projects', key => $small->{key}, nginx => $on,
                   json => { project_name => 'Quota 3' });
    is($full->{status}, 429, 'the quota of 2 is full');
    is(api(DELETE => "/projects/$ids[0]", key => $small->{key},
           nginx => $on)->{status}, 204, 'one is deleted');
    my $again = api(POST => '/projects', key => $small->{key}, nginx => $on,
                    json => { project_name => 'Quota 3' });
    is($again->{status}, 201, 'and a place is free again');
}

# --- an Idempotency-Key of a deleted project ---------------------------------
{
    my %req = (key => $K, nginx => $off,
               headers => { 'Idempotency-Key' => 'del-245' },
               json => { project_name => 'Idem Del' });
    my $first = api(POST => '/projects', %req);
    is($first->{status}, 201, 'a create with an Idempotency-Key');
    my $id = $first->{json}{project}{id};
    is(api(POST => '/projects', %req)->{status}, 201, 'its replay: 201');
    is(api(DELETE => "/projects/$id", key => $K, nginx => $off)->{status},
       204, 'the project is deleted');
    my $seq = redis_cli($redis, 'GET', 'djass:seq:project');
    for my $n ($off, $on) {
        my $replay = api(POST => '/projects', %req, nginx => $n);
        is($replay->{status}, 404, 'the replay after the delete: 404');
        is($replay->{json}{error}{code}, 'project_not_found',
           'project_not_found');
        is($replay->{json}{error}{details}{project_id}, $id,
           'naming the deleted project');
    }
    is(redis_cli($redis, 'GET', 'djass:seq:project'), $seq,
       'and no second project was created');
}

# --- ten DELETEs of one project at once: one 204 ---------------------------------
{
    my $id = create($off);
    my $n0 = redis_cli($redis, 'HGET', 'djass:stats', 'deleted:api') // 0;
    my $dir = temp_dir('race-245');
    my @pids;
    for my $i (1 .. 10) {
        my $pid = fork;
        if ($pid == 0) {
            my $n = $i % 2 ? $on : $off;
            my $r = api(DELETE => "/projects/$id", key => $K, nginx => $n);
            open my $fh, '>', "$dir/$i" or POSIX::_exit(1);
            print $fh $r->{status};
            close $fh;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    waitpid($_, 0) for @pids;
    my @codes = sort map { local (@ARGV, $/) = ("$dir/$_"); scalar <> } 1 .. 10;
    is_deeply(\@codes, [204, (404) x 9],
              'ten DELETEs at once: one 204, nine 404');
    is(redis_cli($redis, 'HGET', 'djass:stats', 'deleted:api'), $n0 + 1,
       'and one delete counted');
}

# --- a DELETE with a body, and HEAD ------------------------------------------------
{
    my $id = create($on);
    my $r = api(DELETE => "/projects/$id", key => $K, nginx => $on,
                body => '{"ignored": true}');
    is($r->{status}, 204, 'a DELETE with a body: 204 (the body discarded)');
    is(api(HEAD => "/projects/$id", key => $K, nginx => $on)->{status}, 404,
       'HEAD afterwards: 404');
}

# --- the fleet's counts --------------------------------------------------------
my $deleted = redis_cli($redis, 'HGET', 'djass:stats', 'deleted:api');
cmp_ok($deleted, '>=', 6, 'djass:stats counts the deletes');
my $stats = redis_cli($redis, 'HGETALL', 'djass:stats');
my %s = @$stats;
my $profiles_total = 0;
for my $st (qw(queued generating ready failed)) {
    $profiles_total += $s{"projects:$st"} // 0;
}
my $records = scalar @{ redis_cli($redis, 'KEYS', 'djass:project:*') };
is($profiles_total, $records, 'projects by status equal the records left');

stop_process($w);

# --- an HTTP store: the artifact goes by DELETE --------------------------------
{
    my $store = start_http_store();
    my ($store_port, $store_dir) = @$store{qw(port store_dir)};
    my $r2 = start_redis();
    my $edge = start_nginx(redis => $r2, template => $tpl,
                           conf => sub { $_[0] =~ s{alias \S+;}
                               {proxy_pass http://127.0.0.1:$store_port/;}r });
    my $k2 = make_key($r2, legacy => 1)->{key};
    my $hw = start_worker(redis => $r2, template => $tpl,
                          artifacts => "http://127.0.0.1:$store_port/",
                          args => ['--work-dir', temp_dir('work-245')]);
    my $res = api(POST => '/projects', key => $k2, nginx => $edge,
                  json => { project_name => 'Http Store' });
    my $id = $res->{json}{project}{id};
    ok(wait_status($r2, $id, 'ready'), 'HTTP store: ready')
        or diag(worker_log($hw));
    my $file = sprintf('%s/projects/%03d/%d.zip', $store_dir, $id % 1000,
                       $id);
    ok(-e $file, 'HTTP store: the ZIP was PUT');
    is(api(GET => "/projects/$id/download", key => $k2, nginx => $edge)
       ->{status}, 200, 'HTTP store: downloaded through the edge');
    is(api(DELETE => "/projects/$id", key => $k2, nginx => $edge)->{status},
       204, 'HTTP store: DELETE 204');
    ok(wait_until(sub { !-e $file }, 5),
       'HTTP store: the ZIP is removed by DELETE within 5 s')
        or diag(worker_log($hw));
    is(api(GET => "/projects/$id/download", key => $k2, nginx => $edge)
       ->{status}, 404, 'HTTP store: the download is 404');
    stop_process($hw);
    stop_process($edge);
    stop_process($store);
}

# --- Redis down: a DELETE is a retryable 503 -------------------------------------
{
    my $id = create($off);
    stop_process($redis);
    my $r = api(DELETE => "/projects/$id", key => $K, nginx => $off);
    is($r->{status}, 503, 'Redis down: DELETE answers 503');
    is($r->{json}{error}{code}, 'retryable_error', 'retryable_error');
    ok($r->{json}{error}{retryable}, 'retryable: true');
}

done_testing();
