# A full artifact store is not the projects' fault: the worker keeps the
# job it holds (status generating, no attempt counted), retries it with
# backoff, takes no new job meanwhile, and logs the failure once and the
# recovery once.  Once the store has room again every project ends ready.
# The store is a real tmpfs of 300 KiB (needs root and mount(2)).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Path qw(make_path);
use Djass::Test;
use Djass::Jobs;

my $store = temp_dir('art-370');
my $mounted = 0;

sub sh { system(@_) == 0 }

plan skip_all => 'needs root to mount a tmpfs' if $> != 0;
skip_or_fail("cannot mount a tmpfs here: $?")
    unless sh('mount', '-t', 'tmpfs', '-o', 'size=300k', 'tmpfs', $store);
$mounted = 1;

END { system('umount', '-l', $store) if $mounted }

# each project holds 64 KiB that do not compress: with its staged copy and
# its ZIP a render needs about 130 KiB, so the store fills after two or
# three published ZIPs
my $tmpl = temp_dir('tmpl-370');
make_path("$tmpl/{{cookiecutter.project_slug}}");
open my $j, '>', "$tmpl/cookiecutter.json" or die $!;
print $j '{"project_name": "Full", "project_slug": "full", '
       . '"_copy_without_render": ["*.bin"]}';
close $j;
open my $b, '>', "$tmpl/{{cookiecutter.project_slug}}/noise.bin" or die $!;
srand(370);
print $b pack('C*', map { int(rand(256)) } 1 .. 65536);
close $b;

my $n = 20;
my $f = slow_factor();
my $redis = start_redis();
my $w = start_worker(redis => $redis, artifacts => $store, template => $tmpl);
my @ids = map { enqueue_project($redis, profile => 5,
                                payload => { project_name => "Full $_" }) }
          1 .. $n;

my $failing = qr/artifact store: No space left on device; jobs are kept/;
ok(wait_until(sub { worker_log($w) =~ $failing }, 30 * $f),
   'the worker notices that the store is full')
    or diag(worker_log($w));
# a few retries (1 s, 2 s, ...) go by
sleep 4;

my $sets = status_sets($redis, 5);
is_deeply($sets->{failed}, [], 'no project ends failed while the store is full')
    or diag(explain([ map { project($redis, $_)->{error_message} }
                      @{ $sets->{failed} } ]));
cmp_ok(scalar @{ $sets->{ready} }, '<', $n, 'not every project fit');
is(scalar @{ $sets->{generating} }, 1,
   'one project waits in generating for the store');
my ($waiting) = @{ $sets->{generating} };
is(project($redis, $waiting)->{attempts}, 1,
   'its retries count as no new attempt');
is(scalar @{ $sets->{queued} }, $n - 1 - @{ $sets->{ready} },
   'the worker takes no new job meanwhile: the rest stay queued');
my @lines = worker_log($w) =~ /$failing/g;
is(scalar @lines, 1, 'the full store is logged once, not once per retry');
my ($line) = grep { /artifact store:/ } split /\n/, worker_log($w);
unlike($line, qr{/}, 'that line holds no host path');

# room again
ok(sh('mount', '-o', 'remount,size=50m', $store), 'the store is enlarged');
ok(wait_finished($redis, \@ids, 90 * $f),
   'every project is finished once the store has room')
    or diag(worker_log($w));
$sets = status_sets($redis, 5);
is(scalar @{ $sets->{ready} }, $n, "all $n projects are ready")
    or diag(explain($sets));
is_deeply([ grep { project($redis, $_)->{attempts} != 1 } @ids ], [],
          'each took one attempt');
for my $id (@ids) {
    my $rec = project($redis, $id);
    next if $rec->{artifact_sha256}
            eq file_sha256("$store/$rec->{artifact}");
    fail("project $id: the published ZIP is the one in the record");
}
is(pending_jobs($redis), 0, 'no job is left pending');
is_deeply([ temp_files($store) ], [], 'nothing is left in .tmp');
my @back = worker_log($w) =~ /artifact store: works again after \d+ s/g;
is(scalar @back, 1, 'the recovery is logged once');

is(stop_process($w), 0, 'the worker exits 0 on SIGTERM');
$mounted = 0 if sh('umount', $store);

done_testing();
