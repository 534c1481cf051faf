# End to end through nginx, as the README's curl example goes: create a
# project, poll its status (queued -> generating -> ready), download the
# ZIP, and find in it exactly what `djass-worker render` makes of the same
# options.  A template whose hook fails ends the project failed, with its
# error_message in the API's answers.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX qw(strftime);
use Time::HiRes qw(sleep);
use Djass::Test;
use Djass::Jobs;

my $f = slow_factor();

# one Redis + nginx (+ a worker) per story, so that no other worker takes
# the story's jobs
sub stack {
    my (%o) = @_;
    my $redis = start_redis();
    my $art = temp_dir("art-300-$o{name}");
    my $nginx = start_nginx(redis => $redis, artifacts => $art,
                            template => $o{nginx_template});
    my $key = make_key($redis)->{key};
    return { redis => $redis, art => $art, nginx => $nginx, key => $key };
}

sub worker_for {
    my ($s, $template) = @_;
    return start_worker(redis => $s->{redis}, artifacts => $s->{art},
                        template => $template);
}

sub create {
    my ($s, $payload) = @_;
    return api(POST => '/projects', key => $s->{key}, json => $payload,
               nginx => $s->{nginx});
}

# polls the status endpoint until ready/failed; returns the statuses seen
# (consecutive repeats folded) and the last answer
sub poll {
    my ($s, $id) = @_;
    my (@seen, $last);
    wait_until(sub {
        $last = api(GET => "/projects/$id/status", key => $s->{key},
                    nginx => $s->{nginx});
        my $st = $last->{json}{status} // "HTTP $last->{status}";
        push @seen, $st unless @seen && $seen[-1] eq $st;
        return $st eq 'ready' || $st eq 'failed';
    }, 60 * $f, 0.02);
    return (\@seen, $last->{json});
}

my $shipped = repo_dir() . '/template';

# is the module's create there yet?
{
    my $probe = stack(name => 'probe', nginx_template => $shipped);
    my $res = create($probe, { project_name => 'Probe' });
    skip_or_fail("the module's POST /projects is not built yet "
                 . "(HTTP $res->{status})")
        if $res->{status} != 201;
}

# --- create -> poll -> download, with the shipped template --------------------
{
    my $s = stack(name => 'ready', nginx_template => $shipped);
    my %payload = (project_name => 'Acme CRM', project_slug => 'acme_crm',
                   caprover_app_name => 'acme-crm', use_stripe => 'n',
                   use_s3 => 'y', generate_docs => 'y',
                   author_email => 'bot@acme.test');
    my $res = create($s, \%payload);
    is($res->{status}, 201, 'create answers 201') or diag($res->{content});
    my $id = $res->{json}{project}{id};
    my $effective = $res->{json}{project}{input_payload};
    is($res->{json}{project}{status}, 'queued', 'the project starts queued');

    my $w = worker_for($s, $shipped);
    my ($seen, $st) = poll($s, $id);
    is($seen->[-1], 'ready', 'the status ends ready')
        or diag(explain($st), worker_log($w));
    ok(join(' ', @$seen) =~ /^(queued )?(generating )?ready$/,
       "statuses only move forward (@$seen)");
    is($st->{artifact_ready}, JSON::PP::true(), 'artifact_ready is true');
    like($st->{finished_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
         'finished_at is an RFC 3339 time');

    my $dl = api(GET => "/projects/$id/download", key => $s->{key},
                 nginx => $s->{nginx});
    is($dl->{status}, 200, 'download answers 200');
    is($dl->{headers}{'content-type'}, 'application/zip',
       'as application/zip');
    my $day = strftime('%Y%m%d', gmtime);
    like($dl->{headers}{'content-disposition'} // '',
         qr/attachment; filename="acme_crm-$day\.zip"/,
         'named <slug>-YYYYMMDD.zip');

    my $got = temp_dir('dl-300') . "/$id.zip";
    open my $fh, '>:raw', $got or die $!;
    print $fh $dl->{content};
    close $fh;
    is(file_sha256($got), project($s->{redis}, $id)->{artifact_sha256},
       'the downloaded bytes are the published artifact');

    # the reference: djass-worker render with the effective options, as
    # create answered them
    is(ref $effective, 'HASH', 'create answers the effective input_payload');
    my $ref = render_zip($shipped, $effective, 'e2e', $res->{json}{project});
    my ($a, $b) = (zip_entries($got), zip_entries($ref));
    is_deeply([ sort keys %$a ], [ sort keys %$b ],
              'the ZIP has the files `djass-worker render` makes');
    my @diff = grep { ($a->{$_} // '') ne ($b->{$_} // '') } keys %$a;
    is_deeply(\@diff, [], 'each with the same content');
    is(file_sha256($got), file_sha256($ref), 'the ZIPs are byte-identical');
    is(stop_process($w), 0, 'the worker exits 0');
}

# --- generating is visible while a slow hook runs ----------------------------
{
    my $slow = worker_template('slow');
    my $s = stack(name => 'slow', nginx_template => $slow);
    my $w = worker_for($s, $slow);
    my $res = create($s, { project_name => 'Slow One', hook_sleep => '1' });
    is($res->{status}, 201, 'create with the slow template answers 201')
        or diag($res->{content});
    my ($seen) = poll($s, $res->{json}{project}{id});
    is_deeply([ grep { $_ ne 'queued' } @$seen ], [ 'generating', 'ready' ],
              'polling sees generating, then ready');
    is(stop_process($w), 0, 'the worker exits 0');
}

# --- a template that fails ----------------------------------------------------
{
    # nginx validates with the worker's template: a job validated against
    # another version would wait for a worker that has it (t/392)
    my $s = stack(name => 'failed', nginx_template => worker_template('fail'));
    my $w = worker_for($s, worker_template('fail'));
    my $res = create($s, { project_name => 'Doomed' });
    my $id = $res->{json}{project}{id};
    my ($seen, $st) = poll($s, $id);
    is($seen->[-1], 'failed', 'a project whose template fails ends failed');
    like($st->{error_message}, qr/post_gen_project\.py.*exit status: 3/,
         'the status answer carries the error_message');
    is($st->{artifact_ready}, JSON::PP::false(), 'artifact_ready is false');
    my $dl = api(GET => "/projects/$id/download", key => $s->{key},
                 nginx => $s->{nginx});
    is($dl->{status}, 409, 'download of a failed project answers 409');
    is(stop_process($w), 0, 'the worker exits 0');
}

done_testing();
