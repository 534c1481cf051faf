# Issue 25: POST /projects/{id}/upgrade, and git doing the merge.  A
# project made with template v1 is cloned and edited by its user; nginx
# and the worker move to v2 (which changes a file the user edits, adds one
# and deletes one); the upgrade makes a new project whose commit has the
# old one as its parent, and `git pull <base>/projects/<new>.git main` in
# the user's clone merges: the user's edits stay, the template's come in,
# the new file appears and the deleted one goes; an edit of the same lines
# ends in git's conflict markers.  already_current (409) when nothing
# would change; answers change at the same time; another owner's project
# is 404; bad bodies 400; a project not ready 409; a template change in a
# hook only gives the same tree.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Djass::Test;
use Djass::Jobs;

my $f = slow_factor();
my ($v1, $v2, $v1h) = map { worker_template($_) }
    qw(git-v1 git-v2 git-v1h);

system('git --version >/dev/null 2>&1') == 0
    or skip_or_fail('git is not installed');

my $redis = start_redis();
my $art = temp_dir('art-393');
my $n1 = start_nginx(redis => $redis, artifacts => $art, template => $v1);
my $key = make_key($redis)->{key};
my $other = make_key($redis)->{key};
my $w = start_worker(redis => $redis, artifacts => $art, template => $v1);

sub wait_ready {
    my ($id) = @_;
    my $st = '';
    wait_until(sub {
        $st = project($redis, $id)->{status} // '';
        $st eq 'ready' || $st eq 'failed';
    }, 60 * $f, 0.05);
    return $st;
}

sub git {
    my ($dir, @args) = @_;
    my $cmd = join ' ', map { "'" . s/'/'\\''/gr . "'" } @args;
    my $out = `cd '$dir' && GIT_TERMINAL_PROMPT=0 git -c protocol.version=0 -c user.name=User -c user.email=user\@example.test -c "http.extraHeader=X-API-Key: $key" $cmd 2>&1`;
    return ($? >> 8, $out);
}

sub slurp { local (@ARGV, $/) = ($_[0]); return -e $_[0] ? <> : undef }

sub spew {
    my ($file, $text) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh $text;
    close $fh;
}

sub upgrade {
    my ($nginx, $id, %o) = @_;
    return api(POST => "/projects/$id/upgrade", key => $o{key} // $key,
               nginx => $nginx,
               exists $o{json} ? (json => $o{json}) : (),
               exists $o{body} ? (body => $o{body}) : ());
}

my $a = api(POST => '/projects', key => $key, nginx => $n1,
            json => { project_name => 'Git Demo' })->{json}{project}{id};
is(wait_ready($a), 'ready', 'project A (v1) is ready');

# --- not ready yet, same version: 409s; others: 404; bad bodies: 400 ------
{
    my $r = upgrade($n1, $a);
    is($r->{status}, 409, 'upgrade on the same template, no change: 409');
    is($r->{json}{error}{code}, 'already_current', 'already_current');
    is($r->{json}{error}{category}, 'validation', 'category validation');
    $r = upgrade($n1, $a, json => { answers => { greeting => 'hello' } });
    is($r->{json}{error}{code}, 'already_current',
       'answers equal to the stored ones change nothing: already_current');
    $r = upgrade($n1, $a, key => $other);
    is($r->{status}, 404, 'another owner\'s project: 404');
    is($r->{json}{error}{code}, 'project_not_found', 'project_not_found');
    $r = upgrade($n1, 999999);
    is($r->{status}, 404, 'an unknown project: 404');
    for my $bad ('[]', '{"answers": []}', '{"answers": {"greeting": 1}}',
                 '{"answers": {"nope": "x"}}', '{"other": {}}', 'not json',
                 '{"answers": {"project_name": ""}}',
                 '{"answers": {"_private": "x"}}')
    {
        $r = upgrade($n1, $a, body => $bad);
        is($r->{status}, 400, "body $bad: 400") or diag($r->{content});
        is($r->{headers}{'content-type'}, 'application/json',
           '... an envelope');
    }
    $r = api(GET => "/projects/$a/upgrade", key => $key, nginx => $n1);
    is($r->{status}, 405, 'GET upgrade: 405');
    my $ro = make_key($redis, scopes => 'projects:read')->{key};
    $r = upgrade($n1, $a, key => $ro);
    is($r->{status}, 403, 'a key without projects:create: 403');
}

# --- the user's clone, with an edit -----------------------------------------
my $work = temp_dir('git-393');
my $base1 = base_url($n1);
my ($rc, $out) = git($work, 'clone', "$base1/projects/$a.git", 'mine');
is($rc, 0, 'clone of A') or diag($out);
my $dir = "$work/mine";
my $settings = slurp("$dir/app/settings.py");
$settings =~ s/^ALLOWED_HOSTS = \[\]$/ALLOWED_HOSTS = ["me.test"]  # the user's/m;
spew("$dir/app/settings.py", $settings);
spew("$dir/mine.txt", "the user's own file\n");
($rc, $out) = git($dir, 'add', '-A');
($rc, $out) = git($dir, 'commit', '-qm', 'my work');
is($rc, 0, 'the user commits an edit') or diag($out);

# a second clone whose edit touches the lines v2 changes
($rc, $out) = git($work, 'clone', "$base1/projects/$a.git", 'clash');
my $cs = slurp("$work/clash/app/settings.py");
$cs =~ s/^CACHE = "none"$/CACHE = "memcached"/m;
spew("$work/clash/app/settings.py", $cs);
git("$work/clash", 'commit', '-qam', 'my cache');

# --- nginx and the worker move to v2 -----------------------------------------
is(stop_process($w), 0, 'the v1 worker exits 0');
my $n2 = start_nginx(redis => $redis, artifacts => $art, template => $v2);
$w = start_worker(redis => $redis, artifacts => $art, template => $v2);
my $base2 = base_url($n2);
my $opts = api(GET => '/project-options', key => $key, nginx => $n2)->{json};
isnt($opts->{template_version}, project($redis, $a)->{template_version},
     'v2 has another template version');

my $r = upgrade($n2, $a);
is($r->{status}, 201, 'upgrade of A on v2: 201') or diag($r->{content});
my $b = $r->{json}{project}{id};
is($r->{json}{project}{upgraded_from}, $a, 'upgraded_from is A');
is($r->{json}{project}{template_version}, $opts->{template_version},
   'the new project is on nginx\'s template version');
is($r->{json}{project}{status}, 'queued', 'queued, as a create');
is_deeply($r->{json}{project}{input_payload},
          api(GET => "/projects/$a", key => $key,
              nginx => $n2)->{json}{input_payload},
          'with A\'s answers');
is(wait_ready($b), 'ready', 'B is ready') or diag(worker_log($w));
my $rb = project($redis, $b);
is($rb->{parent_commit}, project($redis, $a)->{git_commit},
   'B\'s job had A\'s commit as parent_commit');
my $gb = api(GET => "/projects/$b", key => $key, nginx => $n2)->{json};
is($gb->{upgraded_from}, $a, 'GET shows upgraded_from');

# B's repository on its own: A's commit, then B's
($rc, $out) = git($work, 'clone', "$base2/projects/$b.git", 'fresh');
is($rc, 0, 'a fresh clone of B works (A\'s objects are in its pack)')
    or diag($out);
my (undef, $parents) = git("$work/fresh", 'log', '--format=%H %P');
is($parents, "$rb->{git_commit} " . project($redis, $a)->{git_commit}
             . "\n" . project($redis, $a)->{git_commit} . " \n",
   'B\'s commit has A\'s as its parent');
my ($frc, $fsck) = git("$work/fresh", 'fsck', '--full', '--strict');
is($frc, 0, 'git fsck of B is clean') or diag($fsck);

# --- the pull merges ----------------------------------------------------------
($rc, $out) = git($dir, 'pull', '--no-rebase', '--no-edit',
                  "$base2/projects/$b.git", 'main');
is($rc, 0, 'git pull of B into the user\'s clone merges') or diag($out);
my $merged = slurp("$dir/app/settings.py");
like($merged, qr/^ALLOWED_HOSTS = \["me.test"\]  # the user's$/m, 'the user\'s edit stays');
like($merged, qr/^CACHE = "redis"$/m, 'the template\'s edit comes in');
is(slurp("$dir/new.txt"), "this file comes with v2\n",
   'the file v2 adds is there');
ok(!-e "$dir/old.txt", 'the file v2 deletes is gone');
is(slurp("$dir/mine.txt"), "the user's own file\n",
   'the user\'s own file stays');
ok(-x "$dir/run.sh", 'run.sh is still executable');
my (undef, $st) = git($dir, 'status', '--porcelain');
is($st, '', 'nothing left uncommitted');

($rc, $out) = git("$work/clash", 'pull', '--no-rebase', '--no-edit',
                  "$base2/projects/$b.git", 'main');
isnt($rc, 0, 'the same lines edited on both sides: the pull stops');
like($out, qr/CONFLICT \(content\)/, 'git reports a conflict') or diag($out);
my $clash = slurp("$work/clash/app/settings.py");
like($clash, qr/^<<<<<<< .*\nCACHE = "memcached"\n=======\nCACHE = "redis"\n>>>>>>> /m,
     'with both sides in git\'s conflict markers: no edit is lost');

# --- upgrade with answers -----------------------------------------------------
{
    my $r = upgrade($n2, $b);
    is($r->{status}, 409, 'B is current: 409 already_current');
    is($r->{json}{error}{code}, 'already_current', 'already_current');
    $r = upgrade($n2, $b, json => { answers => { greeting => 'bonjour' } });
    is($r->{status}, 201, 'upgrade with a changed answer: 201')
        or diag($r->{content});
    my $c = $r->{json}{project}{id};
    is($r->{json}{project}{input_payload}{greeting}, 'bonjour',
       'the new answer is in input_payload');
    is(wait_ready($c), 'ready', 'C is ready');
    ($rc, $out) = git($dir, 'pull', '--no-rebase', '--no-edit',
                      "$base2/projects/$c.git", 'main');
    is($rc, 0, 'pull of C merges') or diag($out);
    like(slurp("$dir/app/settings.py"), qr/^GREETING = "bonjour"$/m,
         'the changed answer reaches the file');
    like(slurp("$dir/app/settings.py"), qr/^ALLOWED_HOSTS = \["me.test"\]  # the user's$/m,
         'the user\'s edit still stays');
}

# --- MCP: upgrade_project ---------------------------------------------------------
{
    my $nm = start_nginx(redis => $redis, artifacts => $art, template => $v2,
                         server => "location = /mcp { djass_mcp; }\n");
    my $call = sub {
        my ($args, $k) = @_;
        my $res = http_request(POST => "http://127.0.0.1:$nm->{port}/mcp",
            headers => { 'Content-Type' => 'application/json',
                         Accept => 'application/json, text/event-stream',
                         Authorization => 'Bearer ' . ($k // $key) },
            body => json_encode({ jsonrpc => '2.0', id => 1,
                                  method => 'tools/call',
                                  params => { name => 'upgrade_project',
                                              arguments => $args } }));
        my $r = json_decode($res->{content}) // {};
        return ($r->{result} // {},
                json_decode($r->{result}{content}[0]{text} // '') // {});
    };
    my ($res, $j) = $call->({ project_id => $b + 0 });
    ok($res->{isError}, 'upgrade_project with nothing to change: an error');
    is($j->{error}{code}, 'already_current', '... already_current');
    ($res, $j) = $call->({ project_id => $b + 0 }, $other);
    is($j->{error}{code}, 'project_not_found',
       'upgrade_project of another owner\'s project: project_not_found');
    ($res, $j) = $call->({ project_id => $b + 0,
                           answers => { greeting => 'salut' } });
    ok(!$res->{isError}, 'upgrade_project with a changed answer: no error')
        or diag(explain($j));
    is($res->{structuredContent}{project}{upgraded_from}, $b,
       '... a new project upgraded from B');
    is($res->{structuredContent}{project}{input_payload}{greeting}, 'salut',
       '... with the answer changed');
    ($res, $j) = $call->({ project_id => $b + 0,
                           answers => { greeting => 7 } });
    is($j->{error}{code}, 'invalid_payload',
       'upgrade_project with a bad answer: invalid_payload');
    check_error_log($nm);
}

# --- a damaged parent pack: the upgrade fails, and says so ------------------
{
    my $rel = project($redis, $b)->{artifact} =~ s/\.zip\z//r;
    open my $fh, '+<:raw', "$art/$rel.idx" or die "$rel.idx: $!";
    seek $fh, 1100, 0;
    print $fh 'XXXX';
    close $fh;
    my $r = upgrade($n2, $b, json => { answers => { greeting => 'hola' } });
    is($r->{status}, 201, 'upgrade of a project whose index was damaged: 201');
    my $d = $r->{json}{project}{id};
    is(wait_ready($d), 'failed', '... the new project fails');
    like(project($redis, $d)->{error_message}, qr/git pack is damaged/,
         '... saying the parent\'s git pack is damaged');
}

# --- a queued project cannot be upgraded yet ----------------------------------
{
    is(stop_process($w), 0, 'the worker stops');
    my $q = api(POST => '/projects', key => $key, nginx => $n2,
                json => { project_name => 'Later' })->{json}{project}{id};
    my $r = upgrade($n2, $q, json => { answers => { greeting => 'x' } });
    is($r->{status}, 409, 'upgrade of a queued project: 409');
    is($r->{json}{error}{code}, 'artifact_not_ready', 'artifact_not_ready');
}

# --- a template change in a hook only: the same tree --------------------------
{
    my $nh = start_nginx(redis => $redis, artifacts => $art, template => $v1h,
                         location => 'djass_manifest off;');
    my $wh = start_worker(redis => $redis, artifacts => $art,
                          template => $v1h);
    my $n1o = start_nginx(redis => $redis, artifacts => $art, template => $v1,
                          location => 'djass_manifest off;');
    my $wv1 = start_worker(redis => $redis, artifacts => $art,
                           template => $v1);
    stop_process($wh);
    my $p = api(POST => '/projects', key => $key, nginx => $n1o,
                json => { project_name => 'Hooked' })->{json}{project}{id};
    is(wait_ready($p), 'ready', 'a v1 project without manifest');
    stop_process($wv1);
    $wh = start_worker(redis => $redis, artifacts => $art, template => $v1h);
    my $r = upgrade($nh, $p);
    is($r->{status}, 201, 'upgrade onto v1h (only a hook added): 201')
        or diag($r->{content});
    my $u = $r->{json}{project}{id};
    is(wait_ready($u), 'ready', 'ready') or diag(worker_log($wh));
    ($rc, $out) = git($work, 'clone', base_url($n1o) . "/projects/$p.git",
                      'hooked');
    my (undef, $head0) = git("$work/hooked", 'rev-parse', 'HEAD^{tree}');
    ($rc, $out) = git("$work/hooked", 'pull', '--no-rebase', '--no-edit',
                      base_url($nh) . "/projects/$u.git", 'main');
    is($rc, 0, 'the pull works') or diag($out);
    my (undef, $head1) = git("$work/hooked", 'rev-parse', 'HEAD^{tree}');
    is($head1, $head0, 'the new commit has the same tree: the pull changes '
                       . 'no file');
    stop_process($wh);
}

# --- an HTTP store: the packs go by PUT, the parent's comes back by GET ------
{
    my $store = start_http_store();
    my ($port, $sdir) = @$store{qw(port store_dir)};
    my $r2 = start_redis();
    my %edge = (redis => $r2, conf => sub {
        $_[0] =~ s{alias \S+;}{proxy_pass http://127.0.0.1:$port/;}r });
    my $e1 = start_nginx(%edge, template => $v1);
    my $e2 = start_nginx(%edge, template => $v2);
    my $k2 = make_key($r2, scopes => 'projects:create,projects:read,'
                                      . 'projects:delete')->{key};
    my %w = (redis => $r2, artifacts => "http://127.0.0.1:$port/",
             args => ['--work-dir', temp_dir('work-393')]);
    my $hw = start_worker(%w, template => $v1);
    my $id = api(POST => '/projects', key => $k2, nginx => $e1,
                 json => { project_name => 'Http Git' })->{json}{project}{id};
    ok(wait_until(sub { (project($r2, $id)->{status} // '') eq 'ready' },
                  60 * $f, 0.05), 'HTTP store: ready') or diag(worker_log($hw));
    my $rel = sprintf('projects/%03d/%d', $id % 1000, $id);
    ok(-e "$sdir/$rel.pack" && -e "$sdir/$rel.idx",
       'HTTP store: the pack and the index were PUT beside the ZIP');
    stop_process($hw);
    $hw = start_worker(%w, template => $v2);
    my $r = api(POST => "/projects/$id/upgrade", key => $k2, nginx => $e2);
    is($r->{status}, 201, 'HTTP store: upgrade 201') or diag($r->{content});
    my $u = $r->{json}{project}{id};
    ok(wait_until(sub { (project($r2, $u)->{status} // '') eq 'ready' },
                  60 * $f, 0.05), 'HTTP store: the upgrade is ready')
        or diag(explain(project($r2, $u)), worker_log($hw));
    my $out = `cd '$work' && git -c "http.extraHeader=X-API-Key: $k2" clone -q '@{[ base_url($e2) ]}/projects/$u.git' http-up 2>&1`;
    is($?, 0, 'HTTP store: the upgrade clones through the edge') or diag($out);
    my $log = `cd '$work/http-up' && git log --format=%H`;
    is(scalar(split /\n/, $log), 2, 'HTTP store: two commits, A\'s and B\'s');
    ok(!glob("$w{args}[1]/.tmp/*parent*"),
       'HTTP store: the fetched parent pack is not left behind');
    is(api(DELETE => "/projects/$u", key => $k2, nginx => $e2)->{status}, 204,
       'HTTP store: DELETE 204');
    my $urel = sprintf('projects/%03d/%d', $u % 1000, $u);
    ok(wait_until(sub { !-e "$sdir/$urel.pack" && !-e "$sdir/$urel.idx" },
                  10 * $f, 0.05),
       'HTTP store: DELETE removes the pack and the index');
    stop_process($hw);
    check_error_log($e2);
}

check_error_log($n1);
check_error_log($n2);
done_testing();
