# Every generated project works by its own README, followed literally as a
# new user would (issue 18). For the defaults, all "y", all "n" and two seeded
# random option sets (random-02: a slug starting with a digit, random-03:
# quotes and <> in the description), t/template/readme_walk.py renders the
# project and runs the README's "From zero" block line by line: cp
# .env.example .env, uv sync (uv from the test venv, one uv cache in
# build/uv-cache; if uv cannot install here, the same pins with pip, and the
# test says so), migrate, createsuperuser --noinput (DJANGO_SUPERUSER_*),
# runserver on a free port. Then the site is used over HTTP with a cookie jar
# and CSRF tokens: landing page, sign-up, the confirmation mail on the console
# backend (followed where verification is made mandatory), log out and in,
# dashboard, an API key made on the settings page and used on /api/me (200,
# 401 without), /api/docs, the admin as superuser, each enabled integration
# (blog + feed + post, docs pages, pricing, Stripe webhook with a bad and a
# Stripe-scheme signature, AI page) and each disabled one's URLs (404). The
# same visit again on the Dockerfile's collectstatic and CMD (migrate +
# gunicorn) with production settings behind a TLS proxy the test plays.
# The defaults project also signs up in Debian's headless chromium (no
# console errors, screenshot in build/tpl-readme/) and runs every make target
# its README lists. A static pass checks, for all 42 flag sets of t/400, that
# the README's make targets exist and that .env.example and the code agree
# on every variable, both ways.
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

my $walk = "$repo/t/template/readme_walk.py";
my @runs = (
    [static => 'static'],
    [defaults => 'walk', 'defaults', '--browser', '--make'],
    map { [$_ => 'walk', $_] } qw(all-y all-n random-02 random-03),
);

# All run side by side; their reports are read in order.
my %pipe;
for my $run (@runs) {
    my ($name, @args) = @$run;
    open $pipe{$name}, '-|', $python, $walk, @args
        or die "cannot run readme_walk.py: $!";
}

for my $run (@runs) {
    my ($name, @args) = @$run;
    subtest "README followed: $name" => sub {
        my $fh = $pipe{$name};
        my $seen = relay_tap($fh, sub { note($_[0]) });
        close $fh;
        is($? >> 8, 0, "readme_walk.py @args exits 0");
        cmp_ok($seen, '>=', $name eq 'static' ? 84 : 20,
               "all the checks of $name ran");
    };
}

done_testing();
