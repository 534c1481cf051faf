# Manifests and template versions (README.md, "Manifests and template
# versions"): the template version nginx shows is the README's recipe
# (run as the README prints it), and changes with a file's bytes, mode or
# name but not its time; projects and their jobs carry it; every project
# holds djass-manifest.json and project-metadata.json with exactly the
# fields, in the bytes Python's json.dumps(indent=2, sort_keys=True) writes;
# `djass_manifest off` in a location leaves the files cookiecutter's.  A
# roll-out: a job validated against version B is rendered only by the
# worker with B, never by a worker with A; with only A workers it is made
# with A once the visibility timeout passed, and the record says A.
use strict;
use warnings;
use feature 'state';
use lib 't/lib';
use Test::More;
use File::Path qw(make_path);
use POSIX qw(mkfifo);
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Jobs;
use Djass::Render qw(run_render run_cookiecutter cookiecutter_bin tree_of
                     slurp);

my $f = slow_factor();
my $repo = repo_dir();

# --- the README's recipe, as printed there ------------------------------------
my ($recipe) = slurp("$repo/README.md")
    =~ /```python\n(import hashlib, os, stat, sys\n.*?)```/s;
ok($recipe, 'the README prints the recipe of the template version');
my $tmp = temp_dir('tv-392');
open my $fh, '>', "$tmp/tv.py" or die $!;
print $fh $recipe;
close $fh;

sub recipe {
    my $v = `python3 $tmp/tv.py $_[0] 2>&1`;
    chomp $v;
    return $v;
}

# a copy of a template to change (cp -a: modes and symlinks kept)
sub copy_template {
    my ($from, $name) = @_;
    my $to = "$tmp/$name";
    system('cp', '-a', $from, $to) == 0 or die "cp $from: $?";
    return $to;
}

# the version the C code computes: djass-worker render --manifest writes it
sub c_version {
    my ($tpl) = @_;
    state $n = 0;
    my $out = temp_dir('tv-out-' . ++$n);
    my ($rc, $stdout, $err) = run_render($tpl, '-o', $out, '--no-hooks',
                                         '--manifest', '{}');
    return "render failed: $err" if $rc != 0;
    chomp $stdout;
    my $m = json_decode(slurp("$stdout/djass-manifest.json") // '') // {};
    return $m->{template_version} // 'none';
}

# --- the rule: what changes the version and what does not ---------------------
my $slow = worker_template('slow');
{
    my $t = copy_template($slow, 'rule');
    my $v0 = recipe($t);
    like($v0, qr/^[0-9a-f]{64}$/, 'the recipe gives 64 hex digits');
    is(c_version($t), $v0, 'the C code computes what the recipe does');

    utime(time - 86400, time - 86400, "$t/cookiecutter.json");
    is(recipe($t), $v0, 'a file\'s time counts for nothing');
    is(c_version($t), $v0, '... for the C code either');

    my $file = "$t/{{cookiecutter.project_slug}}/README.md";
    ok(-f $file, 'the template has a README to change') or diag(`ls -R $t`);
    open my $a, '>>', $file or die $!;
    print $a "x";
    close $a;
    my $v1 = recipe($t);
    isnt($v1, $v0, 'a byte more: another version');
    is(c_version($t), $v1, '... the same in C');

    chmod 0755, $file;
    my $v2 = recipe($t);
    isnt($v2, $v1, 'the owner\'s execute bit: another version');
    is(c_version($t), $v2, '... the same in C');
    chmod 0775, $file;
    is(recipe($t), $v2, 'the group\'s bits count for nothing');

    rename $file, "$file.md" or die $!;
    my $v3 = recipe($t);
    isnt($v3, $v2, 'a new name: another version');
    is(c_version($t), $v3, '... the same in C');

    make_path("$t/extra/empty");
    symlink('../README.md.md', "$t/extra/link") or die $!;
    my $v4 = recipe($t);
    isnt($v4, $v3, 'an empty folder and a symlink count');
    is(c_version($t), $v4, '... the same in C');

    mkfifo("$t/extra/fifo", 0600) or die $!;
    my $out = temp_dir('tv-fifo');
    my ($rc, undef, $err) = run_render($t, '-o', $out, '--no-hooks',
                                       '--manifest', '{}');
    isnt($rc, 0, 'a FIFO in the template is refused');
    like($err, qr{extra/fifo: not a regular file, folder or symlink},
         '... saying which and why');
    my ($trc, $tout) = nginx_test_config(template => $t);
    isnt($trc, 0, 'nginx -t refuses that template');
    like($tout, qr{\[emerg\].*djass_template: cannot read ".*": extra/fifo: not a regular file, folder or symlink},
         '... with an [emerg] naming the file');
    my $wr = system(bin('djass-worker') . " --redis 127.0.0.1:1 --template '$t'"
                    . " --artifacts '" . temp_dir('fifo-art') . "' 2>/dev/null");
    is($wr >> 8, 2, 'and the worker will not start with it (exit 2)');
}

# --- nginx: the catalog, projects, jobs --------------------------------------
my $redis = start_redis();
my $art = temp_dir('art-392');
my $tplB = copy_template($slow, 'B');
my $tplA = copy_template($slow, 'A');
open my $c, '>>', "$tplA/{{cookiecutter.project_slug}}/README.md" or die $!;
print $c "the old version\n";
close $c;
my ($vA, $vB) = (recipe($tplA), recipe($tplB));
isnt($vA, $vB, 'templates A and B have different versions');

my $nginx = start_nginx(redis => $redis, artifacts => $art,
                        template => $tplB,
                        server => '
        location /plain/api/v1/ {
            djass_api;
            djass_manifest off;
            djass_artifacts /_djass_artifacts/;
        }');
my $key = make_key($redis)->{key};

my $opt = api(GET => '/project-options');
is($opt->{status}, 200, 'GET /project-options answers 200');
is($opt->{json}{template_version}, $vB,
   'the catalog\'s template_version is the README\'s recipe');

sub create {
    my ($payload, $prefix) = @_;
    my $base = base_url();
    $base =~ s{/api/v1$}{$prefix/api/v1} if $prefix;
    my $res = http_request(POST => "$base/projects",
                           headers => { 'X-API-Key' => $key,
                                        'Content-Type' => 'application/json' },
                           body => json_encode($payload));
    $res->{json} = json_decode($res->{content} // '');
    return $res;
}

sub last_job {
    my $jobs = redis_cli($redis, 'XRANGE', 'djass:jobs', '-', '+');
    return { @{ $jobs->[-1][1] } };
}

# --- the manifests, by default --------------------------------------------------
my $wB = start_worker(redis => $redis, artifacts => $art, template => $tplB,
                      args => ['--visibility-timeout', 4]);
{
    my $res = create({ project_name => "Caf\x{e9} \x{dc}n\x{ef} \"q\"",
                       project_slug => 'cafe_uni', use_docs => 'n' });
    is($res->{status}, 201, 'create answers 201') or diag($res->{content});
    my $p = $res->{json}{project};
    is($p->{template_version}, $vB,
       'the project says the version nginx validated it against');
    my $job = last_job();
    is($job->{template_version}, $vB, 'the job carries it');
    is($job->{manifest}, '1', 'and djass_manifest on (the default)');

    ok(wait_finished($redis, [$p->{id}], 30 * $f), 'the worker finishes it')
        or diag(worker_log($wB));
    my $rec = project($redis, $p->{id});
    is($rec->{status}, 'ready', 'it is ready') or diag(worker_log($wB));
    is($rec->{template_version}, $vB, 'its record says version B');
    my $got = api(GET => "/projects/$p->{id}", key => $key);
    is($got->{json}{template_version}, $vB, 'GET /projects/{id} says so');
    my $list = api(GET => '/projects', key => $key);
    is($list->{json}{projects}[0]{template_version}, $vB,
       'and the list');

    my $e = zip_entries($rec->{artifact} =~ m{^/} ? $rec->{artifact}
                                                  : "$art/$rec->{artifact}");
    my ($mf) = grep { m{^[^/]+/djass-manifest\.json$} } keys %$e;
    my ($md) = grep { m{^[^/]+/project-metadata\.json$} } keys %$e;
    ok($mf && $md, 'the ZIP holds both manifests at the project\'s root')
        or diag(join ' ', sort keys %$e);
    my ($root) = ($mf // '') =~ m{^([^/]+)/};

    for my $name ($mf, $md) {
        next unless $name;
        my $py = pyjson($e->{$name});
        is($e->{$name}, $py, "$name: the bytes of json.dumps(indent=2, "
                             . 'sort_keys=True) and a newline');
        unlike($e->{$name}, qr/[^\x00-\x7f]/,
               "$name: ASCII only (\\u escapes)");
    }

    my $m = json_decode($mf ? $e->{$mf} : '{}') // {};
    is_deeply([ sort keys %$m ],
              [ sort qw(manifest_version kind generator project metadata_file
                        input_payload module_flags top_level_paths
                        timestamps template_version) ],
              'djass-manifest.json has exactly the fields');
    is($m->{manifest_version}, '1.0', 'manifest_version "1.0"');
    is($m->{kind}, 'djass-cookiecutter-generation', 'kind');
    is_deeply($m->{generator}, { name => 'djass',
                                 cookiecutter_version => '2.7.1',
                                 template => 'B' },
              'generator: djass, the cookiecutter we match, the template');
    is_deeply($m->{project}, { id => 0 + $p->{id}, name => $p->{name},
                               slug => 'cafe_uni' },
              'project: id, name and slug of the record');
    is($m->{metadata_file}, 'project-metadata.json', 'metadata_file');
    is_deeply($m->{input_payload}, $p->{input_payload},
              'input_payload is the project\'s');
    is_deeply($m->{module_flags}, { use_docs => 'n' },
              'module_flags: the template\'s flags as the project has them');
    (my $created = $p->{created_at}) =~ s/Z$/+00:00/;
    is_deeply($m->{timestamps}, { created_at => $created },
              'timestamps: created_at, as Python\'s isoformat() writes it');
    is($m->{template_version}, $vB, 'template_version: B');
    my %top;
    for (keys %$e) {
        $top{$1} = 1 if m{^\Q$root\E/([^/]+)}
                        && $1 ne 'djass-manifest.json'
                        && $1 ne 'project-metadata.json';
    }
    is_deeply($m->{top_level_paths}, [ sort keys %top ],
              'top_level_paths: the project\'s top-level names, sorted');
    ok(grep({ $_ eq 'HOOK_RAN' } @{ $m->{top_level_paths} // [] }),
       'written after the post-generation hook (it lists what it made)');

    my $d = json_decode($md ? $e->{$md} : '{}') // {};
    is_deeply($d, { metadata_version => '1.0', project_id => 0 + $p->{id},
                    project_name => $p->{name}, project_slug => 'cafe_uni',
                    generator_version => slurp("$repo/VERSION") =~ s/\s+$//r,
                    timestamps => { created_at => $created },
                    module_flags => { use_docs => 'n' },
                    template_version => $vB },
              'project-metadata.json has exactly its fields and values');

    # the same project again, by the render command: the same bytes
    my $zip = render_zip($tplB, $p->{input_payload}, 'again', $p);
    is(file_sha256($zip), $rec->{artifact_sha256},
       'render --manifest with the project gives the worker\'s ZIP');
}

# --- djass_manifest off: cookiecutter's files ----------------------------------
SKIP: {
    my $res = create({ project_name => 'Plain One', use_docs => 'y' },
                     '/plain');
    is($res->{status}, 201, 'create in the djass_manifest off location')
        or diag($res->{content});
    my $p = $res->{json}{project};
    is(last_job()->{manifest}, '0', 'its job says manifest 0');
    ok(wait_finished($redis, [$p->{id}], 30 * $f), 'the worker finishes it')
        or diag(worker_log($wB));
    my $rec = project($redis, $p->{id});
    my $e = zip_entries("$art/$rec->{artifact}");
    ok(!grep({ /djass-manifest|project-metadata/ } keys %$e),
       'no manifest in its ZIP');
    is($rec->{artifact_sha256},
       file_sha256(render_zip($tplB, $p->{input_payload}, 'plain')),
       'its ZIP is render\'s without --manifest');

    skip('no reference cookiecutter (scripts/venv)', 1) unless cookiecutter_bin();
    my $out = temp_dir('cc-392');
    my @kv = map { "$_=$p->{input_payload}{$_}" }
             sort keys %{ $p->{input_payload} };
    my ($rc, undef, $err) = run_cookiecutter('-o', $out, $tplB, @kv);
    is($rc, 0, 'cookiecutter renders the same inputs') or diag($err);
    my $tree = tree_of($out);
    my %want = map { (my $v = $tree->{$_}) =~ s/^f \d+ //; ($_ => $v) }
               grep { $tree->{$_} =~ /^f / } keys %$tree;
    my %got = map { ($_ => $e->{$_}) } grep { !m{/$} } keys %$e;
    is_deeply(\%got, \%want,
              'the ZIP\'s files are cookiecutter\'s, byte for byte');
}

# --- a roll-out: B's jobs are B's worker's ---------------------------------------
{
    stop_process($wB);
    # A alone first: it reads every job and leaves each one.  Its
    # visibility timeout is shorter than B's: B's sweep must still take
    # what A left (before A's timeout has it made with A)
    my $wA = start_worker(redis => $redis, artifacts => $art,
                          template => $tplA,
                          args => ['--visibility-timeout', 20 * $f]);
    my @ids;
    for my $i (1 .. 4) {
        my $res = create({ project_name => "Roll $i" });
        push @ids, $res->{json}{project}{id};
    }
    ok(wait_until(sub { my $l = worker_log($wA);
                        !grep { $l !~ /project $_: validated against/ } @ids },
                  20 * $f, 0.1),
       'the worker with A leaves each job, and says why')
        or diag(worker_log($wA));
    like(worker_log($wA),
         qr/project $ids[0]: validated against template \Q@{[substr $vB, 0, 12]}\E, this worker has \Q@{[substr $vA, 0, 12]}\E: left for a worker that has it/,
         'the line names both versions');
    sleep(1.5 * $f);
    is_deeply([ map { project($redis, $_)->{status} } @ids ],
              [ ('queued') x 4 ], 'none is rendered by it, none started');
    is_deeply([ map { project($redis, $_)->{attempts} } @ids ],
              [ ('0') x 4 ], 'no attempt is counted');

    # then B comes (the default timeout, 60 s): it takes them over and
    # renders them, A renders none
    $wB = start_worker(redis => $redis, artifacts => $art, template => $tplB);
    ok(wait_finished($redis, \@ids, 30 * $f), 'the worker with B makes them')
        or diag(worker_log($wB), worker_log($wA));
    is_deeply([ map { project($redis, $_)->{template_version} } @ids ],
              [ ($vB) x 4 ], 'every record says B');
    my ($la, $lb) = (worker_log($wA), worker_log($wB));
    ok(!grep({ $la =~ /project $_: ready/ } @ids),
       'the worker with A rendered none') or diag($la);
    ok(!grep({ $lb !~ /project $_: ready/ } @ids),
       'the worker with B rendered each') or diag($lb);
    is(scalar(() = $la =~ /validated against/g), 4,
       'one line per job from the worker with A, not a flood');
    stop_process($wB);
    stop_process($wA);

    # only A now, with a short visibility timeout: made with A, and said
    $wA = start_worker(redis => $redis, artifacts => $art, template => $tplA,
                       args => ['--visibility-timeout', 2]);
    my $t0 = time;
    my $res = create({ project_name => 'Late One' });
    my $id = $res->{json}{project}{id};
    is($res->{json}{project}{template_version}, $vB,
       'a project validated against B');
    ok(wait_finished($redis, [$id], 30 * $f),
       'with no worker with B, the worker with A makes it')
        or diag(worker_log($wA));
    cmp_ok(time - $t0, '>=', 1.9, '... once the visibility timeout passed');
    my $rec = project($redis, $id);
    is($rec->{status}, 'ready', 'it is ready');
    is($rec->{template_version}, $vA, 'and its record says A');
    is(api(GET => "/projects/$id", key => $key)->{json}{template_version},
       $vA, 'so does its JSON');
    my $e = zip_entries("$art/$rec->{artifact}");
    my ($mf) = grep { m{/djass-manifest\.json$} } keys %$e;
    is((json_decode($e->{$mf // ''} // '') // {})->{template_version}, $vA,
       'and its manifest');
    like(worker_log($wA), qr/project $id: validated against template \S+, but no worker with it took the job within 2 s: rendered with this worker's \Q@{[substr $vA, 0, 12]}\E/,
         'the worker says so');
    stop_process($wA);
}

# --- SIGHUP: the worker computes its version again ----------------------------
{
    my $t = copy_template($slow, 'hup');
    my $w = start_worker(redis => $redis, artifacts => $art, template => $t);
    ok(wait_until(sub { worker_log($w) =~ /starting: .*\(version [0-9a-f]{64}\)/ },
                  10 * $f, 0.1), 'the worker says its version at start');
    open my $h, '>>', "$t/cookiecutter.json" or die $!;
    print $h "\n";
    close $h;
    my $v = recipe($t);
    kill 'HUP', $w->{pid};
    ok(wait_until(sub { worker_log($w) =~ /template \S+: version \Q$v\E \(was [0-9a-f]{64}\)/ },
                  10 * $f, 0.1), 'after SIGHUP, the new one')
        or diag(worker_log($w));
    is(stop_process($w), 0, 'the worker exits 0');
}

sub pyjson {
    my ($text) = @_;
    my $in = "$tmp/in.json";
    open my $o, '>:raw', $in or die $!;
    print $o $text;
    close $o;
    return scalar `python3 -c 'import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1])), indent=2, sort_keys=True) + "\\n")' $in`;
}

check_error_log($nginx);
done_testing();
