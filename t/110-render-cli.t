# `djass-worker render` as people and scripts call it: what it prints, how
# it fails (file:line: what, nothing left behind), and where it differs
# from cookiecutter on purpose (given values are never rendered, paths
# never leave the output folder, hooks have a time limit).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(time);
use Djass::Render qw(run_render slurp templates_dir tree_of);

my $t = templates_dir();

sub entries {
    my ($dir) = @_;
    opendir(my $dh, $dir) or return ('(no folder)');
    return sort grep { !/^\.\.?$/ } readdir $dh;
}

# usage
{
    my ($rc, $out, $err) = run_render();
    is($rc, 2, 'no template folder: usage error, exit 2');
    like($err, qr/usage: djass-worker render TEMPLATE_DIR -o OUTPUT_DIR/,
         'the usage line names the arguments');
}

# --hook-timeout takes whole seconds, 1 to 86400: anything else is a usage
# error that names the option, and nothing is rendered
for my $bad ('abc', '0', '-1', '5x', '', '99999999999999999999') {
    my $out_dir = tempdir(CLEANUP => 1);
    my ($rc, $out, $err) = run_render("$t/hooks", '-o', $out_dir,
                                      '--hook-timeout', $bad);
    is($rc, 2, "--hook-timeout '$bad': usage error, exit 2");
    like($err, qr/--hook-timeout wants a number from 1 to 86400, not "\Q$bad\E"/,
         "--hook-timeout '$bad': stderr names the option and its range");
    is_deeply([entries($out_dir)], [], "--hook-timeout '$bad': nothing rendered");
}

# success: the project folder's path on stdout, nothing else
{
    my $out_dir = tempdir(CLEANUP => 1);
    my ($rc, $out, $err) = run_render("$t/hooks", '-o', $out_dir);
    is($rc, 0, 'a render exits 0');
    is($out, "$out_dir/hooked_project\n",
       'stdout holds only the project folder path (hook output goes to '
       . 'stderr)');
    ok(-f "$out_dir/hooked_project/post.txt", 'the post hook ran');
    is_deeply([entries($out_dir)], ['hooked_project'],
              'nothing but the project folder in the output folder');

    ($rc, $out, $err) = run_render("$t/hooks", '-o', $out_dir);
    isnt($rc, 0, 'an existing project folder is an error, as in '
                 . 'cookiecutter');
    like($err, qr/"hooked_project" directory already exists/,
         'the error says the project folder exists');
    ok(-f "$out_dir/hooked_project/post.txt",
       'the existing project folder is left alone');
}

# --no-hooks
{
    my $out_dir = tempdir(CLEANUP => 1);
    my ($rc, $out) = run_render("$t/hooks", '-o', $out_dir, '--no-hooks');
    is($rc, 0, '--no-hooks renders');
    is_deeply([entries("$out_dir/hooked_project")], ['extra.txt', 'main.txt'],
              '--no-hooks: no hook ran (no pre.txt/post.txt, extra.txt '
              . 'kept)');
}

# given values are data, never templates (cookiecutter renders them)
{
    my $out_dir = tempdir(CLEANUP => 1);
    my ($rc, $out, $err) = run_render("$t/basic", '-o', $out_dir,
                                      'project_name={{ 7*7 }}',
                                      'author={% now "utc" %}');
    is($rc, 0, 'template syntax in given values renders') or diag($err);
    my $readme = slurp("$out_dir/7_7/README.md") // '';
    like($readme, qr/^# \{\{ 7\*7 \}\}$/m,
         'project_name={{ 7*7 }} stays literal in the output (no SSTI)');
    like($readme, qr/^Author: \{% NOW "UTC" %\}/m,
         'a given value with a tag stays literal too');
    like($out, qr{/7_7\n\z},
         'the later default project_slug follows the given name, '
         . 'slugified');
}

# template errors: file:line: what, and nothing left behind
my @errors = (
    [ 'err-undefined', qr{^src/broken\.txt:3: .*no_such_variable},
      'an undefined variable' ],
    [ 'err-unclosed', qr{^src/broken\.txt:\d+: .*(endfor|end of template)},
      'an unclosed block' ],
    [ 'err-filter', qr{^src/broken\.txt:3: .*no_such_filter},
      'an unknown filter' ],
    [ 'failing-hook', qr{^hooks/post_gen_project\.py: .*exit status: 3}m,
      'a failing post_gen_project hook' ],
    [ 'escape', qr{leaves the project folder}, 'a rendered name with ..',
      'name=../../../escaped' ],
    [ 'escape', qr{absolute}, 'a rendered absolute path',
      'name=/tmp/djass-escaped' ],
);

for my $e (@errors) {
    my ($tmpl, $re, $what, @args) = @$e;
    my $out_dir = tempdir(CLEANUP => 1);
    my $base = tempdir(CLEANUP => 1);
    my ($rc, $out, $err) = run_render("$t/$tmpl", '-o', $out_dir, @args);
    isnt($rc, 0, "$what: exit non-zero");
    like($err, $re, "$what: stderr says file:line: what");
    unlike($err, qr{\Q$t\E|\Q$out_dir\E},
           "$what: the message holds no absolute host path");
    is_deeply([entries($out_dir)], [],
              "$what: nothing partial left in the output folder");
    is($out, '', "$what: nothing on stdout");
}
ok(!-e '/tmp/djass-escaped.txt' && !-e "$t/escaped.txt",
   'no file was written outside the output folder');

# a missing output folder is created, and removed again on failure
{
    my $base = tempdir(CLEANUP => 1);
    my ($rc) = run_render("$t/err-filter", '-o', "$base/new/out");
    isnt($rc, 0, 'a failing render into a missing output folder fails');
    ok(!-e "$base/new/out", 'the output folder it created is gone again');
    ($rc) = run_render("$t/hooks", '-o', "$base/made", '--no-hooks');
    is($rc, 0, 'a missing output folder is created, as cookiecutter does');
}

# a symlink in the template that points out of it
{
    my $copy = tempdir(CLEANUP => 1);
    system('cp', '-a', "$t/hooks/.", $copy) == 0 or die;
    symlink('/etc/passwd', "$copy/{{cookiecutter.project_slug}}/passwd")
        or die;
    my $out_dir = tempdir(CLEANUP => 1);
    my ($rc, $out, $err) = run_render($copy, '-o', $out_dir, '--no-hooks');
    isnt($rc, 0, 'a symlink pointing out of the template fails the render');
    like($err, qr{^passwd: .*outside the template}, 'and says which file');
    is_deeply([entries($out_dir)], [], 'leaving nothing behind');
}

# a pre_prompt hook (it would rewrite cookiecutter.json) is refused
{
    my $copy = tempdir(CLEANUP => 1);
    system('cp', '-a', "$t/hooks/.", $copy) == 0 or die;
    open my $fh, '>', "$copy/hooks/pre_prompt.sh" or die;
    print $fh "#!/bin/sh\nexit 0\n";
    close $fh;
    my $out_dir = tempdir(CLEANUP => 1);
    my ($rc, $out, $err) = run_render($copy, '-o', $out_dir);
    isnt($rc, 0, 'a template with a pre_prompt hook is refused');
    like($err, qr{pre_prompt hooks are not supported}m, 'and says why');
    is_deeply([entries($out_dir)], [], 'leaving nothing behind');
}

# hooks have a time limit
{
    my $out_dir = tempdir(CLEANUP => 1);
    my $t0 = time();
    my ($rc, $out, $err) = run_render("$t/slow-hook", '-o', $out_dir,
                                      '--hook-timeout', '1');
    my $took = time() - $t0;
    isnt($rc, 0, 'a hook over its time limit fails the render');
    like($err, qr{^hooks/pre_gen_project\.sh: .*timed out}m,
         'the error names the hook and the timeout');
    ok($took < 10, sprintf('the render gave up after the limit (%.1f s)',
                           $took));
    is_deeply([entries($out_dir)], [], 'nothing left after a timeout');
}

done_testing();
