# The renderer against the real thing: for each test template and set of
# inputs, `djass-worker render` writes the same tree as `cookiecutter
# --no-input` (pinned in t/requirements.txt): names, bytes and modes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use Djass::Build qw(repo_dir skip_or_fail);
use Djass::Render qw(cookiecutter_bin run_render run_cookiecutter
                     compare_trees templates_dir);

my $cc = cookiecutter_bin()
    or skip_or_fail('no reference cookiecutter (scripts/venv failed)');

my $t = templates_dir();
my @flags = qw(use_posthog use_chatwoot use_s3 use_stripe use_sentry
               generate_blog generate_docs use_mjml use_ai use_logfire
               use_healthchecks use_apprise use_mcp use_ci use_digitalocean);

# template, inputs, what it proves
my @cases = (
    [ "$t/basic", [],
      'every construct of the language with the defaults: expressions, '
      . 'filters, methods, loops, whitespace control, raw, unicode, CRLF, '
      . 'empty and unterminated files, binaries, _copy_without_render, '
      . 'modes, a file name that renders empty' ],
    [ "$t/basic", [ "project_name=Zürich Straße & Co's", 'license=BSD-3-Clause',
                    'use_docker=n', 'use_celery=y', 'version=7' ],
      'given values replace defaults before later defaults are rendered; '
      . 'a given choice; the elif branch and a conditional file' ],
    [ "$t/hooks", [],
      'a shell pre_gen_project and a Python post_gen_project hook' ],
    [ "$t/hooks", [ 'keep_extra=y', 'project_name=Other Name' ],
      'hooks see the given values' ],
    [ "$t/include", [],
      '{% include %} from the template folder and <template>/templates, '
      . 'ignore missing, with context, scoping of set' ],
    [ repo_dir() . '/template', [],
      'the shipped template with its defaults' ],
    [ repo_dir() . '/template',
      [ 'project_name=Acme CRM',
        map { "$_=" . ($_ eq 'use_ci' ? 'n' : 'y') } @flags ],
      'the shipped template with every option flipped' ],
);

for my $case (@cases) {
    my ($tmpl, $args, $what) = @$case;
    my $name = $tmpl =~ s{.*/}{}r;
    my $ref = tempdir(CLEANUP => 1);
    my $our = tempdir(CLEANUP => 1);

    my ($rc, $out, $err) = run_cookiecutter('-o', $ref, $tmpl, @$args);
    is($rc, 0, "$name: cookiecutter renders it") or diag($err);

    ($rc, $out, $err) = run_render($tmpl, '-o', $our, @$args);
    is($rc, 0, "$name: djass-worker render renders it") or diag($err);
    like($out, qr{^\Q$our\E/[^/\n]+\n\z},
         "$name: render prints the project folder's path");

    my @diff = compare_trees($ref, $our);
    is(scalar @diff, 0, "$name: byte-identical tree ($what)")
        or diag(join("\n", @diff[0 .. ($#diff > 20 ? 20 : $#diff)]));
}

done_testing();
