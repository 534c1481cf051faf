# Random templates, the same bytes: a seeded generator (t/render_fuzz.py)
# writes hundreds of small random mixes of tags, whitespace control, raw
# blocks, comments and filters that Jinja2 accepts; cookiecutter and
# `djass-worker render` must write identical trees from them -- also with
# _jinja2_env_vars trim_blocks and lstrip_blocks.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use Djass::Build qw(repo_dir skip_or_fail);
use Djass::Render qw(cookiecutter_bin run_render run_cookiecutter
                     compare_trees);

cookiecutter_bin()
    or skip_or_fail('no reference cookiecutter (scripts/venv failed)');

my $python = repo_dir() . '/build/venv/bin/python';

my @runs = ([1], [2], [3, 'trim_blocks'], [4, 'lstrip_blocks'],
            [5, 'trim_blocks', 'lstrip_blocks']);

for my $run (@runs) {
    my ($n_seed, @env) = @$run;
    my $seed = join(' ', $n_seed, @env);
    my $tmpl = tempdir(CLEANUP => 1) . '/fuzz';
    my $n = `'$python' '$FindBin::Bin/render_fuzz.py' $n_seed 300 '$tmpl' @env`;
    chomp $n;
    ok($? == 0 && $n > 100, "seed $seed: $n random templates Jinja2 accepts");

    my $ref = tempdir(CLEANUP => 1);
    my $our = tempdir(CLEANUP => 1);
    my ($rc, $out, $err) = run_cookiecutter('-o', $ref, $tmpl);
    is($rc, 0, "seed $seed: cookiecutter renders them") or diag($err);
    ($rc, $out, $err) = run_render($tmpl, '-o', $our);
    is($rc, 0, "seed $seed: djass-worker render renders them") or diag($err);

    my @diff = compare_trees($ref, $our);
    is(scalar @diff, 0, "seed $seed: every random template gives the same "
                        . 'bytes as cookiecutter')
        or diag(join("\n", @diff[0 .. ($#diff > 10 ? 10 : $#diff)]));
}

done_testing();
