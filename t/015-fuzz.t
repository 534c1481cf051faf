# Coverage-guided fuzzing of every parser that reads outside input (the
# libFuzzer targets of t/fuzz/, ASan + UBSan builds): first every input of
# the seed corpus (t/fuzz/corpus/<target>/) and of the regressions found
# so far (t/fuzz/regressions/<target>/) is replayed, then each target
# fuzzes for DJASS_FUZZ_SECONDS (20 by default).  A crash, a leak, UB, an
# allocation over 2 GB or an input running over 10 s fails the test and
# names the input that did it.  `make fuzz` runs the targets longer.
#
# The targets are sanitized builds already: the ASan and valgrind passes
# of the suite skip this file, so the fuzzers run once per `make test`.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Build qw(repo_dir build_dir sanitize_on valgrind_on);

plan skip_all => 'the fuzz targets are ASan + UBSan builds: they run in '
                 . 'the plain pass only'
    if sanitize_on() || valgrind_on();

my $repo = repo_dir();
my $dir = build_dir() . '/fuzz';
my $seconds = $ENV{DJASS_FUZZ_SECONDS} // 20;
my @targets = qw(fuzz_tmpl fuzz_cookiecutter_json fuzz_payload fuzz_query
                 fuzz_s3_xml);

chdir $repo or die "$repo: $!";

my $log = `make -s fuzz-build BUILD='${\build_dir()}' 2>&1`;
is($?, 0, 'the fuzz targets build with clang -fsanitize=fuzzer '
          . '(scripts/setup --test installs clang)')
    or BAIL_OUT("cannot build the fuzz targets:\n$log");

# sanitizer reports end the run with their own exit code, leaks included
$ENV{ASAN_OPTIONS} = 'detect_leaks=1:allocator_may_return_null=0';
$ENV{UBSAN_OPTIONS} = 'print_stacktrace=1:halt_on_error=1';
$ENV{DJASS_FUZZ_COOKIECUTTER} = "$repo/template/cookiecutter.json";

my @limits = ('-timeout=10', '-rss_limit_mb=2048', '-malloc_limit_mb=2048');

# runs the command; its output in $file; the exit code
sub run_to {
    my ($file, @cmd) = @_;
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        open(STDOUT, '>', $file) or die "$file: $!";
        open(STDERR, '>&', \*STDOUT) or die "dup: $!";
        exec(@cmd) or die "exec $cmd[0]: $!";
    }
    waitpid($pid, 0);
    return $?;
}

sub report {
    my ($file) = @_;
    open(my $fh, '<', $file) or return "(no output in $file)";
    my @lines = <$fh>;
    my $frames = 0;
    my @keep = grep { /ERROR|SUMMARY|Test\ unit\ written|fuzz_\w+:\ |
                       ngx_stubs:\ |runtime\ error/x
                      || (/^\s*#\d+ 0x/ && $frames++ < 8) } @lines;
    splice(@keep, 30) if @keep > 30;
    return join('', @keep) . "(whole output: $file)";
}

for my $t (@targets) {
    my $bin = "$dir/$t";
    my @inputs = sort(grep { -f } glob("t/fuzz/corpus/$t/* "
                                       . "t/fuzz/regressions/$t/*"));

    ok(@inputs > 0, "$t has a seed corpus in t/fuzz/corpus/$t");

    # one run per file, so that the failing one is named
    my $out = "$dir/$t-replay.log";
    my $rc = run_to($out, $bin, @limits, @inputs);
    my $last = '';
    if ($rc != 0 && open(my $fh, '<', $out)) {
        for (<$fh>) { $last = $1 if /^Running: (.*)/ }
    }
    is($rc, 0, "$t: every corpus and regression input ("
               . scalar(@inputs) . ') runs without crash, leak or UB')
        or diag("the input that fails: $last\n" . report($out));

    my $corpus = "$dir/$t-corpus";
    my $crashes = "$dir/$t-crashes";
    mkdir($_) for $corpus, $crashes;
    $out = "$dir/$t.log";
    $rc = run_to($out, $bin, @limits, '-max_len=16384',
                 "-max_total_time=$seconds", "-artifact_prefix=$crashes/",
                 $corpus, "t/fuzz/corpus/$t");
    my $unit = '';
    if ($rc != 0 && open(my $fh, '<', $out)) {
        for (<$fh>) { $unit = $1 if /Test unit written to (\S+)/ }
    }
    is($rc, 0, "$t: $seconds s of fuzzing find no crash, leak, UB, "
               . 'runaway allocation or hang')
        or diag("reproducer: $unit (replay: $bin $unit; once understood, "
                . "copy it to t/fuzz/regressions/$t/)\n" . report($out));
}

done_testing();
