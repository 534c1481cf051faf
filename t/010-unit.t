# The C unit tests of the shared core: every build/unit/test_* binary speaks
# TAP; each of its assertions becomes one assertion here.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Build qw(build_dir run_wrapped relay_tap skip_or_fail);

my $dir = build_dir() . '/unit';
my @bins = sort grep { -x $_ && !/\.dSYM$/ } glob("$dir/test_*");
skip_or_fail("no C unit tests built in $dir") unless @bins;

for my $bin (@bins) {
    my $name = $bin =~ s{.*/}{}r;
    subtest $name => sub {
        my @cmd = run_wrapped($bin);
        open my $fh, '-|', @cmd or die "cannot run $bin: $!";
        my $seen = relay_tap($fh);
        close $fh;
        is($? >> 8, 0, "$name exits 0 (no failure, no sanitizer or "
                       . "valgrind report)");
        ok($seen > 0, "$name ran at least one assertion");
    };
}

done_testing();
