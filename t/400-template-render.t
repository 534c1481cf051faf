# The shipped template (template/) rendered for every flag set we promise:
# the defaults, all "y", all "n", each flag flipped alone and 24 seeded random
# combinations. Each is rendered by the pinned reference cookiecutter and by
# `djass-worker render` (byte-identical), and inspected: no template syntax
# left, every .py compiles, every TOML/JSON/YAML parses, a disabled feature
# leaves no trace, an enabled one has its files, .env.example lists exactly
# the variables the project reads, ruff (the generated CI's lint) passes. The work is done by t/template/tplcheck.py;
# each of its "ok"/"not ok" lines is one assertion here.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Build qw(repo_dir bin run_wrapped relay_tap);

my $repo = repo_dir();
my $worker = bin('djass-worker');

chomp(my $python = `$repo/t/template/venv.sh`);
BAIL_OUT("cannot create the template test venv (t/template/venv.sh)")
    if $? != 0 || !-x $python;

ok(-x $worker, "djass-worker is built ($worker)")
    or diag("run `make` first: the renderer is compared with cookiecutter");

# SANITIZE=1: run_wrapped sets the sanitizer options in %ENV (inherited);
# VALGRIND=1: the worker runs under the valgrind command it returns.
my @wrapped = run_wrapped($worker);
pop @wrapped;
my @cmd = ($python, "$repo/t/template/tplcheck.py", 'renders',
           '--worker', (-x $worker ? $worker : ''),
           '--worker-prefix', join(' ', @wrapped));
open my $fh, '-|', @cmd or die "cannot run tplcheck.py: $!";
my $seen = relay_tap($fh, sub { diag("tplcheck: $_[0]") });
close $fh;
is($? >> 8, 0, 'tplcheck.py renders exits 0');
cmp_ok($seen, '>=', 42 * 7, 'every flag set was checked');

done_testing();
