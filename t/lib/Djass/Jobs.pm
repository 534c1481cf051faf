package Djass::Jobs;

# Helpers for the worker's tests (t/3xx-*.t): projects enqueued exactly as
# the module's create script does it (doc/redis-layout.md), records read
# back, and the artifact store looked at.
#
#   my $id = enqueue_project($redis, profile => 1, payload => {...});
#   wait_finished($redis, [$id]) or ...;
#   my $rec = project($redis, $id);          # the hash, as a Perl hash
#   my $store = start_http_store(token => 'Bearer s3cret');
#   # artifacts => "http://127.0.0.1:$store->{port}/", ZIPs under
#   # $store->{store_dir}

use strict;
use warnings;
use Exporter 'import';
use Digest::SHA;
use File::Find;
use IO::Uncompress::Unzip qw($UnzipError);
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);
use Djass::Build qw(bin valgrind_on);
use Djass::Test qw(redis_cli json_encode temp_dir wait_until start_nginx
                   free_port);

our @EXPORT = qw(enqueue_project project wait_finished wait_status
                 status_sets pending_jobs stream_length artifact_files
                 repo_files
                 temp_files zip_entries file_sha256 worker_log render_zip
                 slow_factor worker_template start_http_store manifest_arg);

# The create script of the module, minus the quota check: one atomic step
# that makes the record, indexes it and enqueues the job.
my $CREATE = <<'LUA';
local id = redis.call('INCR', 'djass:seq:project')
local now = redis.call('TIME')[1]
local key = 'djass:project:' .. id
local base = 'djass:profile:' .. ARGV[1] .. ':projects'
redis.call('HSET', key, 'id', id, 'profile', ARGV[1], 'name', ARGV[2],
           'slug', ARGV[3], 'status', 'queued', 'error_message', '',
           'created_at', now, 'updated_at', now, 'started_at', '',
           'finished_at', '', 'input_payload', ARGV[4], 'attempts', 0,
           'stats', 1)
redis.call('HINCRBY', 'djass:stats', 'projects:queued', 1)
redis.call('ZADD', base, id, id)
redis.call('ZADD', base .. ':queued', id, id)
redis.call('XADD', 'djass:jobs', '*', 'project', id)
return id
LUA

sub enqueue_project {
    my ($redis, %o) = @_;
    my $payload = $o{payload} // { project_name => 'Demo' };
    my $json = ref $payload ? json_encode($payload) : $payload;
    my $id = redis_cli($redis, 'EVAL', $CREATE, 0, $o{profile} // 1,
                       $o{name} // 'Demo', $o{slug} // 'demo', $json);
    die "enqueue_project: $id" unless defined $id && $id =~ /^\d+$/;
    return $id;
}

sub project {
    my ($redis, $id) = @_;
    my $kv = redis_cli($redis, 'HGETALL', "djass:project:$id") // [];
    return ref $kv ? { @$kv } : {};
}

# valgrind makes everything about 20 times slower
sub slow_factor { valgrind_on() ? 20 : 1 }

sub wait_status {
    my ($redis, $id, $status, $timeout) = @_;
    return wait_until(sub {
        (project($redis, $id)->{status} // '') eq $status
    }, ($timeout // 30) * slow_factor(), 0.05);
}

# every id ready or failed
sub wait_finished {
    my ($redis, $ids, $timeout) = @_;
    return wait_until(sub {
        for my $id (@$ids) {
            my $s = project($redis, $id)->{status} // '';
            return 0 unless $s eq 'ready' || $s eq 'failed';
        }
        return 1;
    }, ($timeout // 30) * slow_factor(), 0.1);
}

# { queued => [ids], generating => [...], ready => [...], failed => [...] }
sub status_sets {
    my ($redis, $profile) = @_;
    my %s;
    for my $st (qw(queued generating ready failed)) {
        my $m = redis_cli($redis, 'ZRANGE',
                          "djass:profile:$profile:projects:$st", 0, -1);
        $s{$st} = ref $m ? $m : [];
    }
    return \%s;
}

# jobs delivered to a worker and not acknowledged yet
sub pending_jobs {
    my ($redis) = @_;
    my $p = redis_cli($redis, 'XPENDING', 'djass:jobs', 'djass-workers');
    return ref $p ? $p->[0] : 0;
}

sub stream_length { redis_cli($_[0], 'XLEN', 'djass:jobs') }

sub _files {
    my ($dir, $want) = @_;
    my @f;
    return @f unless -d $dir;
    find({ no_chdir => 1, wanted => sub {
        return if $_ eq $dir;
        my $rel = substr($File::Find::name, length($dir) + 1);
        push @f, $rel if $want->($rel);
    } }, $dir);
    return sort @f;
}

# the published ZIPs, relative to the store (not their git repositories'
# packs and indexes beside them: repo_files)
sub artifact_files {
    my ($dir) = @_;
    return _files($dir, sub { $_[0] !~ m{^\.tmp(/|$)} && $_[0] =~ /\.zip\z/
                              && -f "$dir/$_[0]" });
}

# the published git packs and indexes (issue 25), relative to the store
sub repo_files {
    my ($dir) = @_;
    return _files($dir, sub { $_[0] !~ m{^\.tmp(/|$)}
                              && $_[0] =~ /\.(?:pack|idx)\z/
                              && -f "$dir/$_[0]" });
}

# anything left in the store's work folder
sub temp_files {
    my ($dir) = @_;
    return _files($dir, sub { $_[0] =~ m{^\.tmp/} });
}

# { name => content } of a ZIP (folders end with /, content '')
sub zip_entries {
    my ($path) = @_;
    my %e;
    my $z = IO::Uncompress::Unzip->new($path, Transparent => 0)
        or die "zip_entries $path: $UnzipError";
    my $status = 1;
    while ($status > 0) {
        my $name = $z->getHeaderInfo->{Name};
        my ($data, $buf) = ('', '');
        while (($status = $z->read($buf)) > 0) { $data .= $buf }
        $e{$name} = $data;
        last if $status < 0;
        $status = $z->nextStream;
    }
    return \%e;
}

sub file_sha256 { Digest::SHA->new(256)->addfile($_[0], 'b')->hexdigest }

sub worker_log {
    my ($p) = @_;
    return '' unless -e $p->{log};
    local (@ARGV, $/) = ($p->{log});
    return scalar <>;
}

# `djass-worker render TEMPLATE -o OUT --zip ZIP k=v...`: the reference.
# With $project (a project object of the API), the ZIP also holds the
# manifests the worker writes for it (djass_manifest on, the default):
# render --manifest with its id, name, slug and created_at.
sub render_zip {
    my ($template, $payload, $name, $project) = @_;
    my $out = temp_dir("render-$name");
    my $zip = "$out.zip";
    my @kv = map { "$_=$payload->{$_}" } sort keys %$payload;
    my @manifest = $project ? ('--manifest', manifest_arg($project)) : ();
    my $pid = fork;
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        exec bin('djass-worker'), 'render', $template, '-o', $out,
             '--zip', $zip, @manifest, @kv or exit 127;
    }
    waitpid($pid, 0);
    die "djass-worker render failed" if $?;
    return $zip;
}

# render --manifest's JSON for a project object of the API
sub manifest_arg {
    my ($p) = @_;
    my @t = ($p->{created_at} // '') =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z$/
        or die "manifest_arg: no created_at";
    my $created = timegm($t[5], $t[4], $t[3], $t[2], $t[1] - 1, $t[0]);
    return json_encode({ id => 0 + $p->{id}, name => $p->{name},
                         slug => $p->{slug}, created_at => 0 + $created });
}

sub worker_template { Djass::Build::repo_dir() . "/t/render-templates/worker-$_[0]" }


# An HTTP artifact store: plain nginx with WebDAV (PUT, DELETE), as
# doc/operations.md sets one up.  With token, PUT and DELETE want
# "Authorization: <token>" (403 without); reads are open.  port and
# store_dir: the same again, as a store restarted.  The nginx process is
# returned, with store_dir.
sub start_http_store {
    my (%o) = @_;
    my $port = $o{port} // free_port();
    my $dir = $o{store_dir} // temp_dir("store-$port");
    my $prefix = temp_dir("nginx-$port");
    # the PUT body lands here, then is renamed into place: same file system
    mkdir "$dir/.put";
    my $user = $> == 0 ? 'user root;' : '';
    my ($map, $if) = ('', '');
    if (defined $o{token}) {
        # reads are open to the edges; writes want the workers' token
        $map = <<"MAP";
    map "\$request_method:\$http_authorization" \$djass_store_denied {
        default                          1;
        "~^(GET|HEAD):"                  0;
        "PUT:$o{token}"                  0;
        "DELETE:$o{token}"               0;
    }
MAP
        $if = <<'IF';
            if ($djass_store_denied) {
                return 403;
            }
IF
    }
    my $conf = <<"CONF";
daemon off;
$user
worker_processes 1;
error_log $prefix/logs/error.log info;
pid $prefix/logs/nginx.pid;
events { worker_connections 256; }
http {
    access_log $prefix/logs/access.log;
    client_body_temp_path $dir/.put;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
$map
    server {
        listen 127.0.0.1:$port;
        root $dir;

        location / {
$if            dav_methods PUT DELETE;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
            client_max_body_size 64m;
        }

        location /.put/ {
            return 404;
        }
    }
}
CONF
    my $p = start_nginx(port => $port, conf => sub { $conf });
    $p->{store_dir} = $dir;
    return $p;
}

1;
