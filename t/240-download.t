# GET /projects/{id}/download: 409 until the project is ready, then the ZIP
# the renderer made, streamed by nginx from the djass_artifacts location
# with the spec's headers and Range support; a missing file is a logged
# 500 in the envelope, never a hang.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use POSIX qw(strftime);
use IO::Uncompress::Unzip qw($UnzipError);
use Djass::Test;

my $redis = start_redis();
my $nginx = start_nginx(redis => $redis);
my $key = make_key($redis, legacy => 1);
my $K = $key->{key};

my $res = api(POST => '/projects', key => $K,
              json => { project_name => 'Acme CRM', use_s3 => 'y' });
my $id = $res->{json}{project}{id};

sub not_ready {
    my ($status) = @_;
    return sub {
        is_deeply($_[0]{json}{error},
                  { request_id => $_[0]{headers}{"x-request-id"},
                    code => 'artifact_not_ready', category => 'retryable',
                    message => 'Project artifact is not ready yet.',
                    retryable => JSON::PP::true,
                    details => { project_id => $id, status => $status,
                                 retry_guidance => 'Poll the status endpoint '
                                     . 'until artifact_ready is true.' } },
                  "409 while $status is the spec's body");
        ok(!exists $_[0]{headers}{'content-disposition'},
           "409 while $status: no Content-Disposition");
    };
}

run_cases({ name => 'download while queued', path => "/projects/$id/download",
            key => $K, status => 409, code => 'artifact_not_ready',
            check => not_ready('queued') });
set_project_status($redis, $id, 'generating', started_at => time);
run_cases({ name => 'download while generating',
            path => "/projects/$id/download", key => $K, status => 409,
            code => 'artifact_not_ready', check => not_ready('generating') });

# the renderer makes the ZIP, as the worker would publish it
my $rel = sprintf('projects/%03d/%d.zip', $id % 1000, $id);
my $zip = "$nginx->{artifacts}/$rel";
make_path("$nginx->{artifacts}/" . ($rel =~ s{/[^/]+$}{}r));
my $out = temp_dir('render');
system(bin('djass-worker'), 'render', repo_dir() . '/template', '-o', $out,
       '--no-hooks', '--zip', $zip, 'project_name=Acme CRM',
       'use_s3=y') == 0 or BAIL_OUT('djass-worker render failed');
my $bytes = do { local (@ARGV, $/) = ($zip); binmode ARGV; <> };
cmp_ok(length $bytes, '>', 1000, 'the renderer wrote a ZIP');

set_project_status($redis, $id, 'ready', finished_at => time,
                   artifact => $rel, artifact_size => length $bytes);

my $today = strftime('%Y%m%d', gmtime);
$res = api(GET => "/projects/$id/download", key => $K);
is($res->{status}, 200, 'a ready project downloads');
is($res->{headers}{'content-type'}, 'application/zip',
   'Content-Type: application/zip');
is($res->{headers}{'content-disposition'},
   "attachment; filename=\"acme_crm-$today.zip\"",
   'Content-Disposition names <slug>-YYYYMMDD.zip, today in UTC');
is($res->{headers}{'content-length'}, length $bytes,
   'Content-Length is the file\'s size');
ok($res->{content} eq $bytes, 'the body is the file, byte for byte');
like($res->{headers}{etag} // '', qr/^"/, 'nginx gives the file an ETag');
is($res->{headers}{'accept-ranges'}, 'bytes', 'ranges are accepted');

my $u = IO::Uncompress::Unzip->new(\$res->{content})
    or diag "unzip: $UnzipError";
my @names;
if ($u) {
    do { push @names, $u->getHeaderInfo->{Name} } while $u->nextStream > 0;
}
ok(scalar(grep { m{^acme_crm/} } @names) > 5,
   'the download is a ZIP of the generated project');
ok(grep({ m{^acme_crm/manage\.py$} } @names),
   'the ZIP holds the project\'s manage.py');

$res = api(GET => "/projects/$id/download", key => $K,
           headers => { Range => 'bytes=0-9' });
is($res->{status}, 206, 'a Range request is 206');
is($res->{content}, substr($bytes, 0, 10), 'a Range request gets its bytes');
is($res->{headers}{'content-range'}, 'bytes 0-9/' . length($bytes),
   'Content-Range is right');

$res = api(GET => "/projects/$id/download", key => $K,
           headers => { Range => 'bytes=99999999-' });
is($res->{status}, 416, 'a range past the end is 416');
is($res->{json} && $res->{json}{error}{code}, 'range_not_satisfiable',
   '416 is in the envelope');

$res = api(HEAD => "/projects/$id/download", key => $K);
is($res->{status}, 200, 'HEAD of a download is 200');
is($res->{content} // '', '', 'HEAD of a download has no body');
is($res->{headers}{'content-length'}, length $bytes,
   'HEAD of a download has the file\'s length');
like($res->{headers}{'content-disposition'} // '', qr/^attachment; /,
     'HEAD of a download has Content-Disposition');

$res = api(GET => "/projects/$id/download?api_key=$K");
is($res->{status}, 200, 'a download with the query key works');
ok($res->{content} eq $bytes, 'the query key download is the file too');

# a ready project whose file is missing, or whose path is unusable
my $res2 = api(POST => '/projects', key => $K,
               json => { project_name => 'Gone' });
my $gone = $res2->{json}{project}{id};
set_project_status($redis, $gone, 'ready', artifact => 'projects/000/gone.zip');
my $t0 = time;
$res = api(GET => "/projects/$gone/download", key => $K);
cmp_ok(time - $t0, '<', 5, 'a missing file is answered at once');
is($res->{status}, 500, 'a ready project without its file is 500');
is($res->{json} && $res->{json}{error}{code}, 'internal_error',
   'the missing file is internal_error in the envelope');
ok(!exists $res->{headers}{'content-disposition'},
   'the 500 has no Content-Disposition');
like($res->{headers}{'content-type'}, qr{^application/json},
     'the 500 is JSON');
like(nginx_error_log($nginx), qr/artifact of project $gone could not be served/,
     'the missing file is logged');

for my $bad ('../../etc/passwd', '/etc/passwd', 'a/../../x.zip', '',
             "x\nzip", 'a//b.zip') {
    redis_cli($redis, 'HSET', "djass:project:$gone", 'artifact', $bad);
    $res = api(GET => "/projects/$gone/download", key => $K);
    is($res->{status}, 500, "artifact path \"$bad\" is refused with 500");
}

done_testing();
