# The worker turns queued projects into published ZIPs, or into failed
# records with a message a user can act on; either way the job is
# acknowledged once, and nothing is left in the artifact store's work folder.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Path qw(make_path);
use Djass::Test;
use Djass::Jobs;

my $redis = start_redis();
my $art = temp_dir('art-310');
my $slow = worker_template('slow');

my $w = start_worker(redis => $redis, artifacts => $art, template => $slow);

# --- ready --------------------------------------------------------------------
my $payload = { project_name => 'Acme CRM', use_docs => 'n' };
my $id = enqueue_project($redis, profile => 7, payload => $payload);
ok(wait_status($redis, $id, 'ready'), 'a queued project ends ready')
    or diag(explain(project($redis, $id)), worker_log($w));

my $rec = project($redis, $id);
is($rec->{attempts}, 1, 'it took one attempt');
like($rec->{$_}, qr/^\d+$/, "$_ is integer Unix seconds")
    for qw(started_at finished_at updated_at);
ok($rec->{created_at} <= $rec->{started_at}
   && $rec->{started_at} <= $rec->{finished_at},
   'created_at <= started_at <= finished_at');
is($rec->{updated_at}, $rec->{finished_at}, 'updated_at is finished_at');
is($rec->{error_message}, '', 'error_message is empty');
like($rec->{artifact}, qr{^projects/\d{3}/$id\.zip$},
     'artifact is a path relative to the store');

my $zip = "$art/$rec->{artifact}";
ok(-f $zip, 'the ZIP is published at that path');
is($rec->{artifact_size}, -s $zip, 'artifact_size is the size of the file');
is($rec->{artifact_sha256}, file_sha256($zip),
   'artifact_sha256 is the SHA-256 of the file');

my $entries = zip_entries($zip);
is($entries->{'acme_crm/README.md'},
   "# Acme CRM\n\nSlug: acme_crm\n\n",
   'the ZIP holds the project rendered with the payload');
like($entries->{'acme_crm/HOOK_RAN'} // '', qr/ran for acme_crm/,
     'the post_gen_project hook ran in the project folder');

my $ref = render_zip($slow, $payload, 'ready');
is(file_sha256($zip), file_sha256($ref),
   'the ZIP is byte for byte what `djass-worker render --zip` writes');

my $sets = status_sets($redis, 7);
is_deeply([ $sets->{ready}, $sets->{queued}, $sets->{generating},
            $sets->{failed} ], [ [$id], [], [], [] ],
          'the id moved from the queued set to the ready set only');
is(pending_jobs($redis), 0, 'the job is acknowledged');
is(stream_length($redis), 0, 'and deleted from the stream');
is_deeply([ temp_files($art) ], [], 'nothing is left in .tmp');
like(worker_log($w), qr/project $id: ready in \d+ ms/,
     'one log line tells the id, the outcome and the milliseconds');

# --- failed ---------------------------------------------------------------------
sub failed_case {
    my (%c) = @_;
    my $r = start_redis();
    my $a = $c{artifacts} // temp_dir("art-310-$c{name}");
    $c{setup}->($a) if $c{setup};
    my $p = start_worker(redis => $r, artifacts => $a,
                         template => worker_template($c{template}));
    my $pid = enqueue_project($r, profile => 3,
                              payload => $c{payload} // {});
    ok(wait_status($r, $pid, 'failed'), "$c{name}: the project ends failed")
        or diag(explain(project($r, $pid)), worker_log($p));
    my $rec = project($r, $pid);
    like($rec->{error_message}, $c{message},
         "$c{name}: error_message says what went wrong");
    unlike($rec->{error_message}, qr{\Q$a\E|/work/|/tmp/|/home/|/root/},
           "$c{name}: error_message shows no host path");
    like($rec->{finished_at}, qr/^\d+$/, "$c{name}: finished_at is set");
    ok(!exists $rec->{artifact}, "$c{name}: no artifact in the record");
    is_deeply(status_sets($r, 3)->{failed}, [$pid],
              "$c{name}: the id is in the failed set");
    is(pending_jobs($r), 0, "$c{name}: the job is acknowledged");
    is_deeply([ artifact_files($a) ], $c{files} // [],
              "$c{name}: no ZIP was published");
    is_deeply([ temp_files($a) ], [], "$c{name}: partial files are removed");
    like(worker_log($p), qr/project $pid: failed in \d+ ms/,
         "$c{name}: the log line says failed");
    is(stop_process($p), 0, "$c{name}: the worker stops with status 0");
}

failed_case(name => 'hook fails', template => 'fail',
            message => qr{post_gen_project\.py.*exit status: 3});
failed_case(name => 'template error', template => 'broken',
            message => qr{README\.md});
failed_case(name => 'payload not JSON', template => 'slow',
            payload => '{"project_name": ',
            message => qr{input_payload is not a JSON object});
failed_case(name => 'store not writable', template => 'slow',
            setup => sub {
                open my $fh, '>', "$_[0]/.tmp" or die $!;
                close $fh;
            },
            message => qr{artifact store is not writable});

# --- jobs that are no jobs ----------------------------------------------------
my $gone = redis_cli($redis, 'XADD', 'djass:jobs', '*', 'project', 999999);
my $junk = redis_cli($redis, 'XADD', 'djass:jobs', '*', 'other', 'x');
ok(wait_until(sub { pending_jobs($redis) == 0
                    && stream_length($redis) == 0 }, 10 * slow_factor()),
   'an entry for a missing project and one without a project id are '
   . 'acknowledged and dropped');
like(worker_log($w), qr/project 999999: no such project/,
     'the missing project is logged');

# --- a finished project's job seen again: acknowledged, not redone ----------
my $again = redis_cli($redis, 'XADD', 'djass:jobs', '*', 'project', $id);
ok(wait_until(sub { pending_jobs($redis) == 0
                    && stream_length($redis) == 0 }, 10 * slow_factor()),
   'a second job for a ready project is acknowledged');
is(project($redis, $id)->{attempts}, 1, 'and the project is not redone');

is(stop_process($w), 0, 'the worker exits 0 on SIGTERM');

done_testing();
