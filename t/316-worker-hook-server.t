# The hook server (worker/hook_server.c): a .py hook forked from a
# pre-started interpreter means what a freshly started `python3 hook.py`
# means.  The same hook, run through `djass-worker render` with and without
# --no-hook-server, sees the same working folder, argv, __name__, sys.path,
# environment, umask, resource limits, signal dispositions, stdin, process
# group; its stdout and stderr, exit status, exceptions and sys.exit() are
# reported alike; at the time limit its whole process group dies; a hook
# that daemonises does not hold the render.  In the worker, one server per
# worker process serves job after job, and one killed is started again.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Jobs;
use Djass::Render qw(run_render slurp);

my $dir = temp_dir('hook-server');

# the interpreter itself, not a launcher (a pyenv shim adds variables of
# its own on its way): both ways run the same one
my $python = `python3 -c 'import sys; print(sys.executable)'`;
chomp $python;
$ENV{DJASS_PYTHON} = $python if -x $python;

my $hook = <<'PY';
import json, os, resource, signal, sys, time
mode = "{{ cookiecutter.mode }}"
out = "{{ cookiecutter.out }}"


def ppid_cmdline():
    with open('/proc/%d/cmdline' % os.getppid(), 'rb') as f:
        return f.read().split(b'\0')


if mode == 'facts':
    sig = {}
    for name in ('SIGINT', 'SIGTERM', 'SIGXFSZ', 'SIGPIPE', 'SIGHUP'):
        h = signal.getsignal(getattr(signal, name))
        sig[name] = int(h) if isinstance(h, int) else h.__name__
    facts = {
        'cwd': os.getcwd(),
        'argv_is_file': sys.argv == [__file__],
        'path0': sys.path[0] == os.path.dirname(sys.argv[0]),
        'name': __name__,
        'main': sorted(k for k in globals()
                       if k.startswith('__') and k != '__annotations__'),
        'loader': type(__loader__).__name__,
        'env': dict(os.environ),
        'umask': os.umask(0o22),
        'rl': [resource.getrlimit(r) for r in
               (resource.RLIMIT_AS, resource.RLIMIT_FSIZE,
                resource.RLIMIT_NOFILE)],
        'sig': sig,
        'own_group': os.getpgid(0) == os.getpid(),
        'stdin': sys.stdin.read(),
        'fds': len(os.listdir('/proc/self/fd')),
        'served': b'-c' in ppid_cmdline(),
    }
    with open(out, 'w') as f:
        json.dump(facts, f)
    print('OUT-LINE-316')
    print('ERR-LINE-316', file=sys.stderr)
elif mode == 'exit3':
    sys.exit(3)
elif mode == 'raise':
    raise ValueError('boom-316')
elif mode == 'message':
    sys.exit('bye-316')
elif mode == 'timeout':
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
    with open(out, 'w') as f:
        f.write('%d\n' % os.getpid())
    time.sleep(60)
elif mode == 'daemon':
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(out, 'w') as f:
                f.write('%d\n' % os.getpid())
            time.sleep(30)
        os._exit(0)
elif mode == 'ppid':
    with open(out, 'a') as f:
        f.write('%d %d\n' % (os.getppid(), b'-c' in ppid_cmdline()))
PY

my $tmpl = "$dir/template";
mkdir $tmpl;
mkdir "$tmpl/hooks";
mkdir "$tmpl/{{cookiecutter.project_slug}}";
open my $fh, '>', "$tmpl/cookiecutter.json" or die $!;
print $fh encode_json({ project_name => 'Hook Server', project_slug => 'hs',
                        mode => 'facts', out => '' });
close $fh;
open $fh, '>', "$tmpl/{{cookiecutter.project_slug}}/README" or die $!;
print $fh "{{ cookiecutter.project_name }}\n";
close $fh;
open $fh, '>', "$tmpl/hooks/post_gen_project.py" or die $!;
print $fh $hook;
close $fh;

my $n = 0;
sub render {
    my ($mode, @args) = @_;
    $n++;
    my $o = "$dir/out-$n";
    my $t0 = time;
    my ($rc, $out, $err) = run_render($tmpl, '-o', "$dir/o-$n", @args,
                                      "mode=$mode", "out=$o");
    return { rc => $rc, err => $err, file => $o, secs => time - $t0,
             facts => scalar eval { decode_json(slurp($o) // '') } };
}

# --- the same facts, served or not ------------------------------------------
my @lim = ('--render-memory', 900, '--render-output', 64);
my $s = render('facts', @lim);
my $x = render('facts', @lim, '--no-hook-server');
is($s->{rc}, 0, 'served: the render succeeds') or diag($s->{err});
is($x->{rc}, 0, 'a fresh interpreter: the render succeeds') or diag($x->{err});
ok($s->{facts}{served}, 'served: the hook\'s parent is the hook server');
ok(!$x->{facts}{served}, '--no-hook-server: it is not');
for my $k (qw(name main loader argv_is_file path0 env umask rl sig
               own_group stdin)) {
    is_deeply($s->{facts}{$k}, $x->{facts}{$k}, "served and not: same $k");
}
is($s->{facts}{name}, '__main__', 'the hook runs as __main__');
ok($s->{facts}{own_group}, 'in a process group of its own');
is($s->{facts}{stdin}, '', 'stdin is empty');
is($s->{facts}{sig}{SIGPIPE}, 1, 'SIGPIPE ignored (SIG_IGN), as Python '
   . 'does');
is($s->{facts}{fds}, 4, 'served: stdin, stdout, stderr and no other '
   . 'descriptor (the fourth is the listing\'s own)');
like($s->{facts}{cwd}, qr{/hs$}, 'it runs in the project folder');
is($s->{facts}{cwd} =~ s{.*/o-\d+/\.djass-render-\w+/}{}r,
   $x->{facts}{cwd} =~ s{.*/o-\d+/\.djass-render-\w+/}{}r,
   'the same folder, either way');
for my $r ($s, $x) {
    like($r->{err}, qr/OUT-LINE-316/, 'its stdout reaches stderr');
    like($r->{err}, qr/ERR-LINE-316/, 'its stderr too');
}

# --- failures are reported alike --------------------------------------------
for my $case ([ exit3 => qr{hooks/post_gen_project\.py: .*exit status: 3} ],
              [ raise => qr{hooks/post_gen_project\.py: .*exit status: 1} ],
              [ message => qr{hooks/post_gen_project\.py: .*exit status: 1} ])
{
    my ($mode, $re) = @$case;
    for my $r (render($mode), render($mode, '--no-hook-server')) {
        isnt($r->{rc}, 0, "$mode: the render fails");
        like($r->{err}, $re, "$mode: and says why");
    }
}
for my $r (render('raise'), render('raise', '--no-hook-server')) {
    like($r->{err}, qr/^Traceback \(most recent call last\):\n  File "[^"]+djass-hook-\w+\.py", line \d+, in <module>\n/m,
         'an exception: the traceback starts at the hook, as python3 prints it');
    like($r->{err}, qr/^ValueError: boom-316$/m, 'and ends with it');
}
for my $r (render('message'), render('message', '--no-hook-server')) {
    like($r->{err}, qr/^bye-316$/m, 'sys.exit(text): the text on stderr');
}

# --- the time limit kills its group; a daemon does not hold the render ------
for my $flag ([], ['--no-hook-server']) {
    my $r = render('timeout', '--hook-timeout', 1, @$flag);
    isnt($r->{rc}, 0, "@$flag timeout: the render fails");
    like($r->{err}, qr/timed out/, 'a hook over its time limit');
    my ($pid) = (slurp($r->{file}) // '') =~ /(\d+)/;
    ok($pid, 'the hook had started');
    ok(wait_until(sub { !kill(0, $pid) || zombie($pid) }, 5),
       'the hook is gone');
    ok(wait_until(sub { !grep { !zombie($_) } group_of($pid) }, 5),
       'and its child (same process group) too');

    $r = render('daemon', @$flag);
    is($r->{rc}, 0, "@$flag: a hook that leaves a daemon behind succeeds");
    ok($r->{secs} < 20, 'without waiting for the daemon');
    ($pid) = (slurp($r->{file}) // '') =~ /(\d+)/
        if wait_until(sub { -s $r->{file} }, 5);
    kill 'KILL', $pid if $pid;
}

sub zombie {
    open my $f, '<', "/proc/$_[0]/stat" or return 1;
    return (split ' ', scalar <$f>)[2] eq 'Z';
}

sub group_of {
    my ($pgid) = @_;
    my @in;
    for my $st (glob '/proc/[0-9]*/stat') {
        open my $f, '<', $st or next;
        my $l = <$f> // next;
        push @in, $1 if $l =~ /^(\d+) \(.*\) \S+ \d+ (\d+) / && $2 == $pgid;
    }
    return @in;
}

# --- the worker: one server per worker process, restarted when killed -------
my $redis = start_redis();
my $art = temp_dir('art-316');
my $ppids = "$dir/ppids";
my $w = start_worker(redis => $redis, artifacts => $art, template => $tmpl);
my @ids;
for my $i (1 .. 2) {
    push @ids, enqueue_project($redis, payload => {
        project_name => "Served $i", mode => 'ppid', out => $ppids });
    ok(wait_status($redis, $ids[-1], 'ready'), "job $i: ready")
        or diag(explain(project($redis, $ids[-1])), worker_log($w));
}
my @seen = map { [ split ' ' ] } split /\n/, slurp($ppids) // '';
is(scalar @seen, 2, 'two hooks ran');
ok($seen[0][1] && $seen[1][1], 'both through a hook server');
is($seen[0][0], $seen[1][0], 'the same one: it outlives the job');

kill 'KILL', $seen[0][0];
# (a job that meets a dying server runs its hook in a fresh interpreter)
ok(wait_until(sub { zombie($seen[0][0]) }, 10), 'its hook server killed');
push @ids, enqueue_project($redis, payload => {
    project_name => 'Served 3', mode => 'ppid', out => $ppids });
ok(wait_status($redis, $ids[-1], 'ready'),
   'with its hook server killed, the next job is ready')
    or diag(explain(project($redis, $ids[-1])), worker_log($w));
@seen = map { [ split ' ' ] } split /\n/, slurp($ppids) // '';
ok($seen[2][1] && $seen[2][0] != $seen[0][0],
   'through a new hook server');
ok(kill(0, $seen[2][0]), 'which keeps running between jobs');

stop_process($w);
ok(wait_until(sub { !kill(0, $seen[2][0]) || zombie($seen[2][0]) }, 10),
   'the worker stopped: its hook server is gone too');

done_testing();
