# The Debian packages, as a platform team uses them: built from a clean
# clone with `make deb`, checked by lintian, installed with dpkg, Debian's
# own nginx loading the module through /etc/nginx/modules-enabled/ with its
# stock nginx.conf plus the example server block, the packaged worker
# started with the unit's own command line and user, one project created,
# made and downloaded; then `dpkg --purge` leaves nothing of ours behind
# but the generated ZIPs the README says are kept.
#
# Needs root (dpkg -i); skips otherwise. Whatever the outcome, the END
# block purges the packages and removes what the test created (the djass
# user and /var/lib/djass when they were not there before).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Path qw(make_path remove_tree);
use POSIX ();
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Jobs ();

plan skip_all => 'installs packages: run as root' if $> != 0;
plan skip_all => 'packages are built plainly: runs in the plain suite only'
    if ($ENV{SANITIZE} // '') eq '1' || ($ENV{VALGRIND} // '') eq '1';
for my $tool (qw(dpkg-buildpackage dh_nginx lintian fakeroot git
                 runuser)) {
    skip_or_fail("$tool is missing (scripts/setup --test installs it)")
        unless grep { -x "$_/$tool" } split /:/, $ENV{PATH};
}

my @PKGS = qw(djass libnginx-mod-http-djass);

sub installed {
    my ($pkg) = @_;
    my $s = `dpkg-query -W -f='\${Status}' $pkg 2>/dev/null`;
    return $s =~ /install ok installed|config-files|unpacked|half/;
}

for my $pkg (@PKGS) {
    skip_or_fail("$pkg is installed already: the test would remove it")
        if installed($pkg);
}

sub slurp { local (@ARGV, $/) = @_; my $t = <>; $t // '' }

sub spit {
    my ($f, $t) = @_;
    open my $fh, '>', $f or die "$f: $!";
    print $fh $t;
    close $fh or die "$f: $!";
}

# runs a command with a time limit; returns (exit code, output)
sub run {
    my ($limit, @cmd) = @_;
    my $out = temp_dir('cmd') . '/out';
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out;
        open STDERR, '>&', \*STDOUT;
        setpgrp(0, 0);
        exec @cmd or exit 127;
    }
    my $end = time + $limit;
    while (waitpid($pid, POSIX::WNOHANG()) == 0) {
        if (time > $end) {
            kill 'KILL', -$pid;
            waitpid($pid, 0);
            return (-1, slurp($out) . "\n(killed after $limit s)");
        }
        sleep 0.1;
    }
    return ($? >> 8, slurp($out));
}

# --- the machine as it was: END puts it back -------------------------------

my ($worker, $ng);          # stopped first, before the purge
my $had_user = getpwnam('djass') ? 1 : 0;
my $had_lib = -e '/var/lib/djass';
my $had_etc = -e '/etc/djass';

END {
    my $rc = $?;
    for my $p ($worker, $ng) {
        stop_process($p) if $p && $p->{pid};
    }
    my @left = grep { installed($_) } @PKGS;
    system('dpkg', '--purge', @left) if @left;
    remove_tree('/var/lib/djass') if !$had_lib && -e '/var/lib/djass';
    remove_tree('/etc/djass') if !$had_etc && -e '/etc/djass';
    if (!$had_user && getpwnam('djass')) {
        system('deluser --system --quiet djass >/dev/null 2>&1');
    }
    $? = $rc;
}

# a test stopped by a signal still puts the machine back (END runs)
$SIG{$_} = sub { die "stopped by SIG$_[0]\n" } for qw(INT TERM HUP PIPE);

my $t0 = time;
my $version = slurp(repo_dir() . '/VERSION');
chomp $version;
like($version, qr/^\d+\.\d+\.\d+$/, "VERSION holds one version: $version");

# --- build from a clean clone ---------------------------------------------

my $clone = temp_dir('clone');
remove_tree($clone);
my ($rc, $out) = run(60, 'git', 'clone', '-q', '--no-hardlinks',
                     repo_dir(), $clone);
is($rc, 0, 'the repository clones') or diag($out);

my ($crc, $cl) = run(20, 'dpkg-parsechangelog', '-l',
                     "$clone/debian/changelog", '-S', 'Version');
chomp $cl;
is($cl, $version, 'debian/changelog has the version of VERSION');

($rc, $out) = run(200, 'make', '-C', $clone, 'deb');
is($rc, 0, 'make deb builds the packages from a clean clone')
    or diag(substr($out, -4000));
note(sprintf('make deb: %.0f s', time - $t0));

my $arch = `dpkg --print-architecture`;
chomp $arch;
my %deb = (
    'libnginx-mod-http-djass' =>
        "$clone/build/deb/libnginx-mod-http-djass_${version}_$arch.deb",
    'djass' => "$clone/build/deb/djass_${version}_$arch.deb",
);
for my $p (sort keys %deb) {
    ok(-f $deb{$p}, "make deb wrote build/deb/" . ($deb{$p} =~ s{.*/}{}r));
}
if (grep { !-f } values %deb) {
    done_testing();
    exit 1;
}

my $depends = `dpkg-deb -f $deb{'libnginx-mod-http-djass'} Depends`;
like($depends, qr/(^|, )nginx-abi-1\.22\.1-7(,|$)/m,
     'the module depends on the ABI of the nginx it was built against');

# --- lintian ---------------------------------------------------------------

($rc, $out) = run(120, 'lintian', '--fail-on', 'none', $deb{djass},
                  $deb{'libnginx-mod-http-djass'});
my @errors = grep { /^E: / } split /\n/, $out;
ok(!@errors, 'lintian reports no error on either package')
    or diag(join("\n", @errors));
note("lintian: $_") for grep { /^[WE]: / } split /\n/, $out;

# --- install ---------------------------------------------------------------

($rc, $out) = run(120, 'dpkg', '-i', $deb{'libnginx-mod-http-djass'},
                  $deb{djass});
if ($rc != 0) {
    # missing dependencies only: apt installs them and configures ours
    my ($arc, $aout) = run(180, 'apt-get', '-f', '-y', '-q', 'install');
    ($rc, $out) = ($arc, "$out\n$aout");
}
is($rc, 0, 'dpkg -i installs both packages') or diag($out);

my $enabled = '/etc/nginx/modules-enabled/50-mod-http-djass.conf';
is(readlink($enabled),
   '/usr/share/nginx/modules-available/mod-http-djass.conf',
   'the module is enabled through /etc/nginx/modules-enabled/');
like(slurp('/usr/share/nginx/modules-available/mod-http-djass.conf'),
     qr{^load_module modules/ngx_http_djass_module\.so;$}m,
     'its load_module line names the installed module');
ok(-f '/usr/lib/nginx/modules/ngx_http_djass_module.so',
   'the module is in /usr/lib/nginx/modules/');
for my $f ('/usr/share/djass/template/cookiecutter.json',
           '/usr/share/djass/web/index.html',
           '/usr/share/doc/djass/examples/djass-server.conf',
           '/lib/systemd/system/djass-worker.service') {
    ok(-f $f, "$f is installed");
}
chomp(my $wv = `/usr/bin/djass-worker --version`);
is($wv, "djass-worker $version", 'djass-worker --version prints VERSION');
chomp(my $cv = `/usr/bin/djassctl --version`);
is($cv, "djassctl $version", 'djassctl --version prints VERSION');

my @pw = getpwnam('djass');
ok(@pw, 'installing created the djass system user');
cmp_ok($pw[2] // 0, '<', 1000, 'djass is a system user (uid below 1000)');
my @st = stat('/var/lib/djass/artifacts');
is($st[4] // -1, $pw[2] // -2, '/var/lib/djass/artifacts is owned by djass');
is($st[5] // -1, scalar getgrnam('www-data'),
   '... with group www-data, so that nginx can read it');
is(sprintf('%04o', ($st[2] // 0) & 07777), '0750', '... mode 0750');
my @env = stat('/etc/djass/worker.env');
is(sprintf('%04o', ($env[2] // 0) & 07777), '0600',
   '/etc/djass/worker.env (it may hold the Redis password) is root only');
like(slurp('/var/lib/dpkg/info/djass.conffiles'),
     qr{^/etc/djass/worker\.env$}m, 'worker.env is a conffile');

# --- systemd-analyze verify ------------------------------------------------

my $unit = '/lib/systemd/system/djass-worker.service';
SKIP: {
    skip_or_fail('systemd-analyze is missing', 1)
        unless -x '/usr/bin/systemd-analyze';
    my ($vrc, $vout) = run(60, 'systemd-analyze', 'verify', $unit);
    if ($vrc != 0 && $vout =~ /Failed to (?:initialize|connect|setup)|
                              not been booted|No such file or directory.*
                              \/run\/systemd/x) {
        skip "systemd-analyze cannot run here: $vout", 1;
    }
    is($vrc, 0, 'systemd-analyze verify accepts djass-worker.service')
        or diag($vout);
}

# --- systemd-analyze security: the unit's exposure ---------------------------

SKIP: {
    my ($src, $sout) = run(60, 'systemd-analyze', 'security',
                           '--offline=yes', $unit);
    skip "systemd-analyze security --offline is not supported here: $sout", 2
        if $sout =~ /unrecognized option|Unknown command/;
    my ($exposure) = $sout =~ /Overall exposure level for \S+: ([\d.]+)/;
    ok(defined $exposure, 'systemd-analyze security --offline=yes rates '
                          . 'djass-worker.service') or diag($sout);
    cmp_ok($exposure // 99, '<=', 3.0,
           'its exposure is at most 3.0 (' . ($exposure // '?') . ')')
        or diag(join "\n", grep { /\x{2717}|✗/ } split /\n/, $sout);
    note("systemd-analyze security: exposure $exposure") if defined $exposure;
}

# --- Debian's nginx: stock nginx.conf plus the example server block -------

my $redis = start_redis();
my $port = free_port();
my $dir = temp_dir('nginx-deb');
my $prefix = "$dir/prefix";
make_path("$prefix/logs", "$dir/sites");
# -p: relative paths (modules/...) resolve as under Debian's prefix
symlink('/usr/lib/nginx/modules', "$prefix/modules");

my $stock = slurp('/etc/nginx/nginx.conf');
my $conf = $stock;
$conf =~ s{^(\s*)pid\s+[^;]+;}{${1}pid $prefix/logs/nginx.pid;}m;
$conf =~ s{^(\s*)error_log\s+[^;]+;}{${1}error_log $prefix/logs/error.log;}m;
$conf =~ s{^(\s*)access_log\s+[^;]+;}{${1}access_log $prefix/logs/access.log;}m;
$conf =~ s{^(\s*)include\s+/etc/nginx/sites-enabled/\*;}
          {${1}include $dir/sites/*;}m
    or fail('the stock nginx.conf includes /etc/nginx/sites-enabled/*');
like($conf, qr{^include /etc/nginx/modules-enabled/\*\.conf;}m,
     'the stock nginx.conf includes /etc/nginx/modules-enabled/*.conf');
spit("$dir/nginx.conf", $conf);

my $example = slurp('/usr/share/doc/djass/examples/djass-server.conf');
my $site = $example;
$site =~ s{djass_redis\s+127\.0\.0\.1:6379;}
          {djass_redis     $redis->{addr};}
    or fail('the example sets djass_redis');
$site =~ s{^\s*listen \[::\]:80;\n}{}m;
$site =~ s{listen 80;}{listen 127.0.0.1:$port;}
    or fail('the example listens on port 80');
spit("$dir/sites/djass", $site);

my @nginx = ('/usr/sbin/nginx', '-p', $prefix, '-c', "$dir/nginx.conf",
             '-e', "$prefix/logs/error.log");
($rc, $out) = run(30, @nginx, '-t');
is($rc, 0, 'nginx -t passes: stock nginx.conf plus the example server block')
    or diag($out);

$ng = Djass::Test::spawn("nginx-deb-$port", {}, @nginx,
                            '-g', 'daemon off;');
$ng->{kind} = 'nginx';
$ng->{stop_signal} = 'QUIT';
$ng->{port} = $port;
$ng->{prefix} = $prefix;
ok(wait_port($port, 15), "Debian's nginx starts with the packaged module")
    or diag(slurp("$prefix/logs/error.log"));

# --- the worker, with the unit's command line and user ---------------------

my $u = slurp($unit);
$u =~ s/\\\n\s*/ /g;
my ($exec) = $u =~ /^ExecStart=(.+)$/m;
my ($user) = $u =~ /^User=(\S+)$/m;
my ($envfile) = $u =~ /^EnvironmentFile=-?(\S+)$/m;
is($user, 'djass', 'the unit runs the worker as djass');
is($envfile, '/etc/djass/worker.env', 'the unit reads /etc/djass/worker.env');

# as an operator would: point the env file at the Redis
my $envtext = slurp('/etc/djass/worker.env');
$envtext =~ s/^DJASS_REDIS=.*$/DJASS_REDIS=$redis->{addr}/m
    or fail('worker.env sets DJASS_REDIS');
spit('/etc/djass/worker.env', $envtext);

# systemd's expansion: Environment= first, EnvironmentFile= over it;
# ${X} is one word, $X splits on white space
my %var;
for my $line ($u =~ /^Environment=(.+)$/mg) {
    $var{$1} = $2 while $line =~ /(\w+)=(\S*)/g;
}
for my $line (split /\n/, $envtext) {
    next if $line =~ /^\s*(#|$)/;
    $var{$1} = $2 if $line =~ /^\s*(\w+)=(.*?)\s*$/;
}
my @cmd;
for my $w (split ' ', $exec // '') {
    if ($w =~ /^\$\{(\w+)\}$/) {
        push @cmd, $var{$1} // '';
    } elsif ($w =~ /^\$(\w+)$/) {
        push @cmd, split ' ', $var{$1} // '';
    } else {
        push @cmd, $w;
    }
}
is($cmd[0], '/usr/bin/djass-worker', 'ExecStart runs /usr/bin/djass-worker');
my %pass = map { $_ => $var{$_} } grep { /^DJASS_/ } keys %var;

# --- the unit's sandbox, without systemd ------------------------------------
# There is no systemd as PID 1 here to start the unit. t/deb/unit-sandbox.sh
# applies what can be applied outside systemd, from the unit's own lines:
# the mounts (ProtectSystem=strict with ReadWritePaths=, PrivateTmp=,
# PrivateDevices=, ProtectHome=, ProtectProc=invisible, ProcSubset=pid),
# the user with no capability and no_new_privs, and (t/deb/seccomp-exec.c)
# SystemCallFilter= as systemd-analyze expands it, RestrictAddressFamilies=
# and MemoryDenyWriteExecute=. Not emulated: IPAddressDeny=,
# RestrictNamespaces=, RestrictRealtime=, RestrictSUIDSGID=,
# LockPersonality=, RemoveIPC=.

my @sandbox;
SKIP: {
    my $sdir = temp_dir('sandbox');
    my ($crc2, $cout) = run(60, 'cc', '-O2', '-Wall', '-Wextra', '-Werror',
                            '-o', "$sdir/seccomp-exec",
                            repo_dir() . '/t/deb/seccomp-exec.c', '-ldl');
    skip "cannot build t/deb/seccomp-exec.c: $cout", 1 if $crc2;
    my ($urc) = run(10, 'unshare', '--mount', '--ipc', '--uts',
                    '--propagation', 'private', 'true');
    skip 'unshare cannot make namespaces here', 1 if $urc;

    # the unit's SystemCallFilter= lines: the first an allow-list, each
    # "~" one taken out of it; groups expanded as systemd-analyze lists them
    my (%groups, $cur);
    for (split /\n/, `systemd-analyze syscall-filter 2>/dev/null`) {
        if (/^(@[\w-]+)\s*$/) { $cur = $1; $groups{$cur} = []; next }
        push @{ $groups{$cur} }, $1 if defined $cur && /^\s+([^#\s]\S*)/;
    }
    my $expand;
    $expand = sub {
        my ($n, $seen) = @_;
        return ($n) unless $n =~ /^@/;
        return () if $seen->{$n}++;
        die "unknown system call group $n" unless $groups{$n};
        return map { $expand->($_, $seen) } @{ $groups{$n} };
    };
    my (%allow, $have_allow);
    for my $line ($u =~ /^SystemCallFilter=(.*)$/mg) {
        my $deny = $line =~ s/^~//;
        my @calls = map { $expand->($_, {}) } split ' ', $line;
        if ($deny) {
            delete @allow{@calls};
        } elsif (!$have_allow++) {
            @allow{@calls} = ();
        }
    }
    ok(keys %allow > 100, 'the unit\'s SystemCallFilter= expands to an '
       . 'allow-list (' . scalar(keys %allow) . ' calls)');
    ok(!exists $allow{$_}, "... without $_") for qw(mount reboot swapon
        init_module settimeofday setuid chown ptrace);
    spit("$sdir/allowed", join('', map { "$_\n" } sort keys %allow));
    # seccomp-exec.c hard-codes these two settings: the unit must say them
    like($u, qr/^RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6$/m,
         'the unit restricts sockets to AF_UNIX AF_INET AF_INET6');
    like($u, qr/^MemoryDenyWriteExecute=yes$/m,
         'the unit denies memory both writable and executable');
    my ($rw) = $u =~ /^ReadWritePaths=(\S+)$/m;
    is($rw, '/var/lib/djass/artifacts',
       'the unit writes to the artifact store only');
    @sandbox = ('unshare', '--mount', '--ipc', '--uts', '--propagation',
                'private', 'sh', repo_dir() . '/t/deb/unit-sandbox.sh',
                $user // 'djass', $rw, "$sdir/allowed", "$sdir/seccomp-exec",
                '--');

    # what the sandbox holds a program to, seen from inside it
    my ($prc, $pout) = run(60, @sandbox, '/usr/bin/python3', '-c', <<'PY');
import json, mmap, os, socket
r = {"uid": os.getuid()}
def attempt(name, f):
    try:
        f()
        r[name] = "ok"
    except OSError as e:
        r[name] = e.strerror
def write(path):
    with open(path, "w") as fh:
        fh.write("x")
    os.unlink(path)
attempt("write_usr", lambda: write("/usr/share/djass/probe"))
attempt("write_etc", lambda: write("/etc/djass/probe"))
attempt("write_store", lambda: write("/var/lib/djass/artifacts/.probe"))
attempt("write_tmp", lambda: write("/tmp/probe"))
attempt("inet", lambda: socket.socket(socket.AF_INET6).close())
attempt("netlink", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW))
attempt("packet", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))
attempt("wx", lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_WRITE | mmap.PROT_EXEC))
attempt("chroot", lambda: os.chroot("/"))
r["proc"] = sorted(p for p in os.listdir("/proc") if p.isdigit())
r["meminfo"] = os.path.exists("/proc/meminfo")
r["dev"] = sorted(os.listdir("/dev"))
r["tmp"] = sorted(os.listdir("/tmp"))
r["root"] = sorted(os.listdir("/root")) if os.path.isdir("/root") else []
st = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
r.update({k: st.get(k, "").strip() for k in ("CapBnd", "CapEff", "NoNewPrivs", "Seccomp")})
print(json.dumps(r))
PY
    my $p = eval { json_decode((split /\n/, $pout)[-1] // '') };
    ok($prc == 0 && $p, 'a probe runs inside the emulated sandbox')
        or diag($pout);
    $p //= {};
    is($p->{uid}, $pw[2], '... as djass');
    is($p->{$_}, 'Read-only file system', "... $_: read-only")
        for qw(write_usr write_etc);
    is($p->{write_store}, 'ok', '... the artifact store is writable');
    is($p->{write_tmp}, 'ok', '... its own /tmp is writable');
    is($p->{inet}, 'ok', '... an AF_INET6 socket is allowed');
    is($p->{$_}, 'Operation not permitted', "... an AF_\U$_\E socket is not")
        for qw(netlink packet);
    is($p->{wx}, 'Operation not permitted',
       '... no memory both writable and executable');
    is($p->{chroot}, 'Operation not permitted',
       '... no chroot (@privileged)');
    is(scalar @{ $p->{proc} // [] }, 1,
       '... /proc shows its own process only') or diag("@{ $p->{proc} }");
    ok(!$p->{meminfo}, '... and no /proc/meminfo (ProcSubset=pid)');
    ok(!grep({ /^(sd|vd|nvme|loop|kmsg|mem|port)/ } @{ $p->{dev} // [] }),
       '... /dev has no disk, no kmsg, no mem') or diag("@{ $p->{dev} }");
    is_deeply($p->{tmp}, ['.unit-sandbox'], '... /tmp is its own');
    is_deeply($p->{root}, [], '... /root is empty');
    is($p->{CapBnd}, '0000000000000000', '... no capability at all');
    is($p->{NoNewPrivs}, '1', '... no_new_privs');
    is($p->{Seccomp}, '2', '... a seccomp filter');
}
note(@sandbox ? 'the worker runs in the emulated sandbox of its unit'
              : 'the worker runs without the sandbox (cannot emulate it)');

$worker = Djass::Test::spawn('worker-deb', \%pass,
                             @sandbox ? (@sandbox, @cmd)
                                      : ('runuser', '-u', $user // 'djass',
                                         '--', @cmd));
$worker->{kind} = 'worker';
$worker->{stop_signal} = 'TERM';

# --- one project: create, ready, download ----------------------------------

sub ctl {
    my ($r, $o) = run(20, '/usr/bin/djassctl', '--redis', $redis->{addr}, @_);
    die "djassctl @_: $o" if $r;
    chomp $o;
    return $o;
}
my $profile = ctl(qw(profile create --email ops@example.test));
my $key = ctl('key', 'create', '--profile', $profile);

my $res = api(POST => '/projects', key => $key, nginx => $ng,
              json => { project_name => 'Packaged Site' });
is($res->{status}, 201, 'POST /projects through the packaged module: 201')
    or diag($res->{content});
my $id = $res->{json}{project}{id} // 0;

my $st;
wait_until(sub {
    my $r = api(GET => "/projects/$id/status", key => $key, nginx => $ng);
    $st = $r->{json}{status} // "HTTP $r->{status}";
    return $st eq 'ready' || $st eq 'failed';
}, 90, 0.2);
is($st, 'ready', 'the packaged worker made the project ready'
              . (@sandbox ? ' in its unit\'s sandbox, the template\'s '
                            . 'Python hook included' : ''))
    or diag(slurp($worker->{log}));

$res = api(GET => "/projects/$id/download", key => $key, nginx => $ng);
is($res->{status}, 200, 'the ZIP downloads: nginx (www-data) reads the '
   . 'artifact store the worker (djass) wrote')
    or diag(substr($res->{content} // '', 0, 500));
like($res->{headers}{'content-type'} // '', qr{^application/zip},
     'the download is a ZIP');
is(substr($res->{content} // '', 0, 4), "PK\x03\x04", 'it starts as one');
my $zipfile = temp_dir('zip-deb') . '/p.zip';
spit($zipfile, $res->{content} // '');
my $entries = eval { Djass::Jobs::zip_entries($zipfile) } // {};
ok(exists $entries->{'packaged_site/tests/test_billing.py'}
   && !exists $entries->{'packaged_site/tests/test_s3.py'},
   'the template\'s Python hook ran: it removed the files of use_s3=n '
   . 'and kept those of use_stripe=y')
    or diag(join ' ', grep { m{/tests/} } sort keys %$entries);

$res = http_request(GET => "http://127.0.0.1:$port/");
like($res->{content} // '', qr/<html/i,
     'the example serves the packaged generator page at /');

my @zips = grep { -f } glob('/var/lib/djass/artifacts/projects/*/*.zip');
is(scalar @zips, 1, 'the ZIP is in /var/lib/djass/artifacts');
is((stat($zips[0] // '/'))[4], $pw[2] // -1, '... owned by djass');

stop_process($worker);
stop_process($ng);
check_error_log($ng);

# --- purge -----------------------------------------------------------------

my %ours;
for my $p (@PKGS) {
    $ours{$_} = $p for grep { m{^/.} } split /\n/, `dpkg -L $p`;
}
$ours{$enabled} = 'libnginx-mod-http-djass';
$ours{"$enabled.removed"} = 'libnginx-mod-http-djass';

($rc, $out) = run(120, 'dpkg', '--purge', @PKGS);
is($rc, 0, 'dpkg --purge removes both packages') or diag($out);

my @left;
for my $f (sort keys %ours) {
    next unless -e $f || -l $f;
    # a folder other packages own too (/usr/bin, /etc ...) stays
    next if -d $f && !-l $f && system("dpkg -S '$f' >/dev/null 2>&1") == 0;
    # the kept data: the artifact store with its ZIPs
    next if $f eq '/var/lib/djass' || $f eq '/var/lib/djass/artifacts';
    next if $f eq '/.' || -l $f && -d $f;       # /lib -> usr/lib and the like
    push @left, $f;
}
ok(!@left, 'purge leaves no file of ours behind') or diag("@left");
ok(!-e '/etc/djass', 'purge removes /etc/djass');

# the generated projects: each one's ZIP and its git repository (pack and
# index, beside it)
my @projects = sort grep { -f }
    glob('/var/lib/djass/artifacts/projects/*/*.{zip,pack,idx}');
my @kept = sort split /\n/, `find /var/lib/djass -mindepth 1 -not -type d`;
is(scalar @projects, 3, '... the project is its ZIP, pack and index');
is_deeply(\@kept, \@projects,
          'what purge keeps is the generated projects, nothing else');
ok(!-e '/var/lib/djass/artifacts/.tmp', 'purge removes the work folder');
ok(getpwnam('djass') ? 1 : 0,
   'purge keeps the djass user (as Debian does with system users)');

note(sprintf('the whole test took %.0f s', time - $t0));

done_testing();
