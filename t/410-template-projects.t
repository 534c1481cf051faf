# Generated projects actually work: for the defaults, all "y" and all "n", the
# project is rendered, its pinned dependencies are installed from PyPI into a
# Python 3.11+ virtualenv (Debian's python3) (wheels cached in build/wheels, one venv per distinct
# dependency set kept in build/tpl-projects, so reruns are fast), then
# `manage.py check`, `makemigrations --check --dry-run`, `migrate` on SQLite,
# `check --deploy` and `collectstatic` with production settings, the Celery
# app's beat tasks, `ruff check`, the MCP server's start where there is one,
# and the project's own pytest suite must all pass. The all-"y" project also
# migrates and runs its suite on a private PostgreSQL server (as its own CI
# does) when PostgreSQL's server binaries are installed; skipped otherwise.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Build qw(repo_dir relay_tap);

my $repo = repo_dir();

chomp(my $python = `$repo/t/template/venv.sh`);
BAIL_OUT("cannot create the template test venv (t/template/venv.sh)")
    if $? != 0 || !-x $python;

# The three run side by side (installs are serialised by a lock in
# tplcheck.py); their reports are read in order.
my @names = qw(defaults all-y all-n);
my %pipe;
for my $name (@names) {
    open $pipe{$name}, '-|', $python, "$repo/t/template/tplcheck.py",
        'project', $name
        or die "cannot run tplcheck.py: $!";
}

for my $name (@names) {
    subtest "generated project: $name" => sub {
        my $fh = $pipe{$name};
        my $seen = relay_tap($fh, sub { note($_[0]) });
        close $fh;
        is($? >> 8, 0, "tplcheck.py project $name exits 0");
        cmp_ok($seen, '>=', 10, "all the checks of $name ran");
    };
}

done_testing();
