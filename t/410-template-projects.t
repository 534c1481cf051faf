# Generated projects actually work: for the defaults, all "y" and all "n", the
# project is rendered, its pinned dependencies are installed from PyPI into a
# Python 3.12 virtualenv (wheels cached in build/wheels, one venv per distinct
# dependency set kept in build/tpl-projects, so reruns are fast), then
# `manage.py check`, `makemigrations --check --dry-run`, `migrate` on SQLite,
# `ruff check` and the project's own pytest suite must all pass.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Build qw(repo_dir);

my $repo = repo_dir();

chomp(my $python = `$repo/t/template/venv.sh`);
BAIL_OUT("cannot create the template test venv (t/template/venv.sh)")
    if $? != 0 || !-x $python;

for my $name (qw(defaults all-y all-n)) {
    subtest "generated project: $name" => sub {
        open my $fh, '-|', $python, "$repo/t/template/tplcheck.py",
            'project', $name
            or die "cannot run tplcheck.py: $!";
        my $seen = 0;
        while (my $line = <$fh>) {
            chomp $line;
            if ($line =~ /^(not )?ok - (.*)$/) {
                ok(!defined $1, $2);
                $seen++;
            } elsif ($line =~ /^#/) {
                diag($line =~ s{^#\s?}{}r);
            } else {
                note($line);
            }
        }
        close $fh;
        is($? >> 8, 0, "tplcheck.py project $name exits 0");
        cmp_ok($seen, '>=', 6, "all the checks of $name ran");
    };
}

done_testing();
