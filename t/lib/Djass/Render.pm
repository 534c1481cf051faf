package Djass::Render;

# Helpers of the renderer tests (t/1xx-*.t): run `djass-worker render` and
# the reference cookiecutter, and compare rendered trees byte for byte.

use strict;
use warnings;
use Exporter 'import';
use File::Find ();
use File::Temp qw(tempdir);
use Djass::Build qw(repo_dir bin run_wrapped);

our @EXPORT_OK = qw(cookiecutter_bin run_render run_cookiecutter tree_of
                    compare_trees slurp templates_dir);

sub templates_dir { repo_dir() . '/t/render-templates' }

# The pinned reference from build/venv (scripts/venv makes it, quickly
# when it exists already).
sub cookiecutter_bin {
    my $cc = repo_dir() . '/build/venv/bin/cookiecutter';
    system(repo_dir() . '/scripts/venv') == 0 or return undef
        unless -x $cc;
    return -x $cc ? $cc : undef;
}

# Runs a command; returns (exit code, stdout, stderr).
sub run_cmd {
    my ($env, @cmd) = @_;
    my $dir = tempdir(CLEANUP => 1);
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        $ENV{$_} = $env->{$_} for keys %$env;
        open STDOUT, '>', "$dir/out" or die;
        open STDERR, '>', "$dir/err" or die;
        exec @cmd or exit 127;
    }
    waitpid($pid, 0);
    return ($? >> 8, slurp("$dir/out"), slurp("$dir/err"));
}

sub run_render {
    my (@args) = @_;
    return run_cmd({}, run_wrapped(bin('djass-worker'), 'render', @args));
}

# cookiecutter with a private HOME: no user config, replay files go away
sub run_cookiecutter {
    my (@args) = @_;
    my $home = tempdir(CLEANUP => 1);
    return run_cmd({ HOME => $home }, cookiecutter_bin(), '--no-input',
                   @args);
}

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or return undef;
    local $/;
    my $s = <$fh>;
    return $s // '';
}

# { relative path => "d 0755" or "f 0644 <bytes>" or "l target" }
sub tree_of {
    my ($root) = @_;
    my %t;
    File::Find::find({ no_chdir => 1, wanted => sub {
        my $rel = substr($File::Find::name, length $root);
        $rel =~ s{^/}{};
        return if $rel eq '';
        my @st = lstat($File::Find::name);
        my $mode = sprintf('%04o', $st[2] & 07777);
        if (-l _) {
            $t{$rel} = 'l ' . readlink($File::Find::name);
        } elsif (-d _) {
            $t{$rel} = "d $mode";
        } else {
            $t{$rel} = "f $mode " . slurp($File::Find::name);
        }
    } }, $root);
    return \%t;
}

# the differences between two trees, as lines a person can read
sub compare_trees {
    my ($want, $got) = @_;
    my ($a, $b) = (tree_of($want), tree_of($got));
    my @diff;
    for my $k (sort keys %$a) {
        if (!exists $b->{$k}) {
            push @diff, "missing: $k";
        } elsif ($a->{$k} ne $b->{$k}) {
            my ($ta, $tb) = map { substr($_, 0, 6) } $a->{$k}, $b->{$k};
            push @diff, $ta ne $tb ? "mode differs: $k ($ta vs $tb)"
                                   : "content differs: $k";
        }
    }
    push @diff, "unexpected: $_" for grep { !exists $a->{$_} } sort keys %$b;
    return @diff;
}

1;
