# Issue 25: every ready project is a git repository, served by nginx over
# git's dumb HTTP protocol at <base>/projects/{id}.git with the download's
# key, scope and ownership.  Real git clones it: one commit on main whose
# tree is the ZIP's files (bytes and executable bits), author and
# committer "Djass <djass@localhost>" dated created_at, the pinned
# message; git fsck finds nothing.  The same inputs give the same commit
# id (two workers, two renders).  Before ready: 409 artifact_not_ready
# (git fails); another key's project: 404; hostile paths: 404 envelopes;
# DELETE removes the pack and the index from the store.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Path qw(make_path);
use Time::HiRes qw(sleep);
use Djass::Test;
use Djass::Jobs;

my $f = slow_factor();
my $v1 = worker_template('git-v1');

system('git --version >/dev/null 2>&1') == 0
    or skip_or_fail('git is not installed');

my $redis = start_redis();
my $art = temp_dir('art-391');
my $nginx = start_nginx(redis => $redis, artifacts => $art, template => $v1);
my $owner = make_key($redis, scopes => 'projects:create,projects:read,'
                                       . 'projects:delete');
my $key = $owner->{key};
my $other = make_key($redis)->{key};
my $base = base_url($nginx);
my $w = start_worker(redis => $redis, artifacts => $art, template => $v1);

sub create {
    my ($payload) = @_;
    my $res = api(POST => '/projects', key => $key, json => $payload,
                  nginx => $nginx);
    is($res->{status}, 201, 'create answers 201') or diag($res->{content});
    return $res->{json}{project}{id};
}

sub wait_ready {
    my ($id) = @_;
    my $st;
    wait_until(sub {
        $st = api(GET => "/projects/$id/status", key => $key,
                  nginx => $nginx)->{json}{status} // '';
        $st eq 'ready' || $st eq 'failed';
    }, 60 * $f, 0.05);
    return $st;
}

# git with the key as git sends headers; output and exit code
sub git {
    my ($dir, @args) = @_;
    my $cmd = join ' ', map { "'" . s/'/'\\''/gr . "'" } @args;
    my $out = `cd '$dir' && GIT_TERMINAL_PROMPT=0 git -c protocol.version=0 $cmd 2>&1`;
    return ($? >> 8, $out);
}

my $id = create({ project_name => 'Git Demo' });
is(wait_ready($id), 'ready', 'the project is ready')
    or diag(worker_log($w));
my $rec = project($redis, $id);
like($rec->{git_commit} // '', qr/^[0-9a-f]{40}$/,
     'the record holds git_commit');
like($rec->{git_pack} // '', qr/^[0-9a-f]{40}$/, 'and git_pack');
my $pj = api(GET => "/projects/$id", key => $key, nginx => $nginx)->{json};
is($pj->{git_commit}, $rec->{git_commit},
   'the project object shows git_commit (an added field)');
ok(exists $pj->{upgraded_from}
   && !defined $pj->{upgraded_from},
   'and upgraded_from, null for a create');
like($rec->{template_version} // '', qr/^[0-9a-f]{64}$/,
     'the record holds the template version');

# --- clone ---------------------------------------------------------------------
my $work = temp_dir('git-391');
my ($rc, $out) = git($work, '-c', "http.extraHeader=X-API-Key: $key",
                     'clone', "$base/projects/$id.git", 'a');
is($rc, 0, 'git clone of projects/{id}.git works') or diag($out);
my ($rc2, $log) = git("$work/a", 'log', '--format=%H|%an <%ae>|%cn <%ce>|%at|%ct|%ad|%s|%P', '--date=raw');
chomp $log;
my $created = $rec->{created_at};
my $slug = $rec->{slug};
my $tv = $rec->{template_version} // 'unknown';
is($log, "$rec->{git_commit}|Djass <djass\@localhost>|Djass <djass\@localhost>"
         . "|$created|$created|$created +0000|Generate $slug from template $tv|",
   'one commit: the pinned author, committer, dates and message, no parent');
my (undef, $branch) = git("$work/a", 'rev-parse', '--abbrev-ref', 'HEAD');
is($branch, "main\n", 'on branch main');
my ($frc, $fsck) = git("$work/a", 'fsck', '--full', '--strict');
is($frc, 0, 'git fsck --full --strict is clean') or diag($fsck);
my (undef, $msg) = git("$work/a", 'cat-file', 'commit', 'HEAD');
like($msg, qr/\n\nGenerate \Q$slug\E from template \S+\n\z/,
     'the message ends in one newline, as git commit writes it');

# the tree is the ZIP's files, bytes and modes
my $dl = api(GET => "/projects/$id/download", key => $key, nginx => $nginx);
my $zip = "$work/$id.zip";
open my $fh, '>:raw', $zip or die $!;
print $fh $dl->{content};
close $fh;
my $entries = zip_entries($zip);
my %want;
for my $name (keys %$entries) {
    next if $name =~ m{/\z};
    (my $rel = $name) =~ s{^[^/]+/}{} or next;
    $want{$rel} = $entries->{$name};
}
my (undef, $ls) = git("$work/a", 'ls-files', '-s');
my %mode = map { (split /\s+/, $_, 4)[3] => (split /\s+/)[0] } split /\n/, $ls;
is_deeply([ sort keys %mode ], [ sort keys %want ],
          'the tree holds exactly the ZIP\'s files');
my @diff = grep {
    open my $g, '<:raw', "$work/a/$_" or die "$_: $!";
    local $/;
    my $c = <$g>;
    $c ne $want{$_};
} keys %want;
is_deeply(\@diff, [], 'each byte for byte');
is($mode{'run.sh'}, '100755', 'the executable bit is kept (run.sh)');
is($mode{'README.md'}, '100644', 'a plain file is 100644');

# --- the same inputs give the same commit (two workers, two renders) ---------
{
    my $art2 = temp_dir('art-391-b');
    my $redis2 = start_redis();
    my $nginx2 = start_nginx(redis => $redis2, artifacts => $art2,
                             template => $v1);
    my $k2 = make_key($redis2)->{key};
    my $res = api(POST => '/projects', key => $k2, nginx => $nginx2,
                  json => { project_name => 'Git Demo' });
    my $id2 = $res->{json}{project}{id};
    # the same created_at: the commit is dated by it
    redis_cli($redis2, 'HSET', "djass:project:$id2", 'created_at', $created);
    my $w2 = start_worker(redis => $redis2, artifacts => $art2,
                          template => $v1);
    wait_until(sub { (project($redis2, $id2)->{status} // '') eq 'ready' },
               60 * $f, 0.05);
    is(project($redis2, $id2)->{git_commit}, $rec->{git_commit},
       'another worker on another store makes the same commit id');
    is(stop_process($w2), 0, 'that worker exits 0');
}

# --- before ready, others, hostile paths --------------------------------------
{
    stop_process($w);
    my $q = create({ project_name => 'Queued One' });
    my $r = http_request(GET => "$base/projects/$q.git/info/refs?service=git-upload-pack",
                         headers => { 'X-API-Key' => $key });
    is($r->{status}, 409, 'info/refs of a queued project: 409');
    my $j = json_decode($r->{content}) // {};
    is($j->{error}{code}, 'artifact_not_ready', 'artifact_not_ready envelope');
    my ($crc, $cout) = git($work, '-c', "http.extraHeader=X-API-Key: $key",
                           'clone', "$base/projects/$q.git", 'q');
    isnt($crc, 0, 'git clone of a project not ready fails');
    like($cout, qr/409/, 'and git reports the 409') or diag($cout);

    $r = http_request(GET => "$base/projects/$id.git/info/refs",
                      headers => { 'X-API-Key' => $other });
    is($r->{status}, 404, 'another key\'s project: 404');
    is((json_decode($r->{content}) // {})->{error}{code}, 'project_not_found',
       'project_not_found') or diag($r->{content});
    $r = http_request(GET => "$base/projects/$id.git/info/refs");
    is($r->{status}, 401, 'no key: 401');

    my $pack = $rec->{git_pack};
    my %ok = ('info/refs' => 'text/plain; charset=utf-8',
              'HEAD' => 'text/plain; charset=utf-8',
              'objects/info/packs' => 'text/plain; charset=utf-8',
              "objects/pack/pack-$pack.pack"
                  => 'application/x-git-packed-objects',
              "objects/pack/pack-$pack.idx"
                  => 'application/x-git-packed-objects-toc');
    for my $p (sort keys %ok) {
        my $r = http_request(GET => "$base/projects/$id.git/$p",
                             headers => { 'X-API-Key' => $key });
        is($r->{status}, 200, "$p: 200");
        is($r->{headers}{'content-type'}, $ok{$p}, "$p: $ok{$p}");
    }
    my $refs = http_request(GET => "$base/projects/$id.git/info/refs",
                            headers => { 'X-API-Key' => $key });
    is($refs->{content}, "$rec->{git_commit}\trefs/heads/main\n",
       'info/refs names main');

    my $x40 = 'a' x 40;
    for my $p ('', 'config', 'info/refs/', 'HEAD?x=1', '../HEAD',
               'objects/../HEAD', 'objects/info/../../HEAD',
               'objects/pack/pack-' . ('0' x 40) . '.pack',
               "objects/pack/pack-$pack.pac",
               "objects/pack/pack-${pack}0.pack",
               'objects/pack/pack-' . uc($pack) . '.idx',
               "objects/pack/pack-$pack.idx.bak",
               'objects/pack/pack-%2e%2e.pack',
               'objects%2finfo%2fpacks', 'objects/info%2Fpacks', 'info/%72efs',
               'objects/aa/' . ('b' x 37), 'objects/aa/' . ('b' x 39),
               'objects/a/' . ('b' x 39), 'objects/aa/' . ('B' x 38),
               'objects/aa/' . ('b' x 38), "objects/$x40",
               "objects/info/alternates", "objects/info/http-alternates",
               'git-upload-pack', 'description', 'refs/heads/main',
               'HEAD/')
    {
        my $r = http_request(GET => "$base/projects/$id.git/$p",
                             headers => { 'X-API-Key' => $key });
        is($r->{status}, 404, "hostile or unknown path \"$p\": 404");
        is($r->{headers}{'content-type'}, 'application/json',
           '... an envelope') or diag($r->{content});
    }
    my $r2 = http_request(POST => "$base/projects/$id.git/git-upload-pack",
                          headers => { 'X-API-Key' => $key });
    ok($r2->{status} == 404 || $r2->{status} == 405,
       'the smart protocol\'s POST is refused with an envelope')
        and is($r2->{headers}{'content-type'}, 'application/json',
               '... an envelope');
}

# --- DELETE removes the repository ------------------------------------------
{
    $w = start_worker(redis => $redis, artifacts => $art, template => $v1);
    my $rel = $rec->{artifact} =~ s/\.zip\z//r;
    ok(-e "$art/$rel.pack" && -e "$art/$rel.idx",
       'the pack and its index are in the store beside the ZIP');
    my $d = api(DELETE => "/projects/$id", key => $key, nginx => $nginx);
    is($d->{status}, 204, 'DELETE answers 204');
    ok(wait_until(sub { !-e "$art/$rel.pack" && !-e "$art/$rel.idx"
                        && !-e "$art/$rel.zip" }, 20 * $f, 0.05),
       'DELETE removes the ZIP, the pack and the index');
    my $r = http_request(GET => "$base/projects/$id.git/info/refs",
                         headers => { 'X-API-Key' => $key });
    is($r->{status}, 404, 'the deleted project\'s repository: 404');
}

is(stop_process($w), 0, 'the worker exits 0');
check_error_log($nginx);
done_testing();
