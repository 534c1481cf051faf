# The template engine on hostile templates: integer arithmetic matches
# Python where the result fits in 64 bits and fails the render with a
# clear message where it does not (never SIGFPE, never a silent wrap), and
# loops, strings and formats that would run forever or eat the machine
# fail fast with a message.  The same expressions in a cookiecutter.json
# default fail the same way.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use File::Path qw(make_path);
use Time::HiRes qw(time);
use Djass::Build qw(bin run_wrapped);
use Djass::Render qw(slurp);

# renders a one-file template whose file holds $body; returns
# (exit status, signal, stdout, stderr, seconds, rendered file or undef)
sub render_expr {
    my ($body, %o) = @_;
    my $t = tempdir(CLEANUP => 1);
    my $cj = $o{cookiecutter_json} // '{"project_slug": "p"}';
    make_path("$t/{{cookiecutter.project_slug}}");
    open my $fh, '>', "$t/cookiecutter.json" or die $!;
    print $fh $cj;
    close $fh;
    open $fh, '>', "$t/{{cookiecutter.project_slug}}/out.txt" or die $!;
    print $fh $body;
    close $fh;
    my $out = tempdir(CLEANUP => 1);
    my $io = tempdir(CLEANUP => 1);
    my $t0 = time;
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$io/out" or die;
        open STDERR, '>', "$io/err" or die;
        # a runaway engine must not hang the suite: 60 s is far past
        # every limit under test
        alarm 60;
        exec run_wrapped(bin('djass-worker'), 'render', $t, '-o', $out,
                         '--no-hooks') or exit 127;
    }
    waitpid($pid, 0);
    my ($rc, $sig) = ($? >> 8, $? & 127);
    return ($rc, $sig, slurp("$io/out"), slurp("$io/err"), time - $t0,
            slurp("$out/p/out.txt"));
}

# --- where Python's result fits: the same result -----------------------------

my @fits = (
    [ '{{ (-9223372036854775807 - 1) % -1 }}', '0' ],
    [ '{{ 9223372036854775806 + 1 }}', '9223372036854775807' ],
    [ '{{ -9223372036854775807 - 1 }}', '-9223372036854775808' ],
    [ '{{ 3037000499 * 3037000499 }}', '9223372030926249001' ],
    [ '{{ 2 ** 62 }}', '4611686018427387904' ],
    [ '{{ -7 // 2 }}', '-4' ],
    [ '{{ -7 % 3 }}', '2' ],
    [ "{{ '-9223372036854775808'|int }}", '-9223372036854775808' ],
    [ '{{ (-9223372036854775807)|abs }}', '9223372036854775807' ],
    [ '{{ range(9223372036854775805, 9223372036854775807)|list }}',
      '[9223372036854775805, 9223372036854775806]' ],
);
for my $c (@fits) {
    my ($expr, $want) = @$c;
    my ($rc, $sig, $out, $err, $secs, $file) = render_expr($expr);
    is($sig, 0, "$expr: no signal");
    is($rc, 0, "$expr: renders") or diag $err;
    is($file, $want, "$expr gives $want, as Python does");
}

# --- where it does not: a clear error ---------------------------------------

my @overflow = (
    '{{ (-9223372036854775807 - 1) // -1 }}',
    '{{ 9223372036854775807 + 1 }}',
    '{{ -9223372036854775807 - 2 }}',
    '{{ 4611686018427387904 * 2 }}',
    '{{ -9223372036854775807 * 9223372036854775807 }}',
    '{{ 2 ** 63 }}',
    '{{ 2 ** 9223372036854775807 }}',
    '{{ (-9223372036854775807 - 1)|abs }}',
    '{{ -(-9223372036854775807 - 1) }}',
    "{{ '99999999999999999999'|int }}",
    "{{ '-99999999999999999999'|int }}",
);
for my $expr (@overflow) {
    my ($rc, $sig, $out, $err, $secs) = render_expr($expr);
    is($sig, 0, "$expr: no signal (no SIGFPE)");
    is($rc, 1, "$expr: the render fails");
    like($err, qr/integer (overflow|too large)/i,
         "$expr: the message says the integer does not fit")
        or diag $err;
}

# --- runaway work: fails fast with a message ---------------------------------

my @runaway = (
    '{% for i in range(-9223372036854775807, 9223372036854775807) %}'
    . '{% endfor %}',
    '{{ range(100000000)|list|length }}',
    "{{ 'abc'|center(9223372036854775807) }}",
    "{{ 'a'|indent(1000000000) }}",
    "{{ '%.2147483647f' % 1.5 }}",
    "{{ 'x' * 9223372036854775807 }}",
    "{{ ('x' * 1000000) * 1000000 }}",
    "{{ {'a': 1}|jsonify(999999999) }}",
    '{% for i in range(100000) %}{% for j in range(100000) %}'
    . '{% endfor %}{% endfor %}',
);
for my $expr (@runaway) {
    my ($rc, $sig, $out, $err, $secs) = render_expr($expr);
    is($sig, 0, "$expr: no signal");
    is($rc, 1, "$expr: the render fails");
    like($err, qr/limit|too large|too long|overflow/i,
         "$expr: the message names the limit") or diag $err;
    cmp_ok($secs, '<', 20, "$expr: it fails fast");
}

# --- the same in a cookiecutter.json default ---------------------------------

for my $c ([ '{{ (-9223372036854775807 - 1) // -1 }}', qr/overflow/i ],
           [ "{{ 'abc'|center(9223372036854775807) }}",
             qr/limit|too large|too long/i ]) {
    my ($expr, $re) = @$c;
    my $cj = '{"project_slug": "p", "x": "' . ($expr =~ s/"/\\"/gr) . '"}';
    my ($rc, $sig, $out, $err) = render_expr('{{ cookiecutter.x }}',
                                             cookiecutter_json => $cj);
    is($sig, 0, "cookiecutter.json default $expr: no signal");
    is($rc, 1, "cookiecutter.json default $expr: the render fails");
    like($err, $re, "cookiecutter.json default $expr: a clear message")
        or diag $err;
}

done_testing();
