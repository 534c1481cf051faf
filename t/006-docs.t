# The documentation tells the truth about the repository: every file
# doc/architecture.md names exists, every link between our Markdown pages
# leads somewhere, and the README's table of directives is the module's
# own table, with each directive's real context and default.  Needs no
# build and starts nothing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Build qw(repo_dir);

my $repo = repo_dir();

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    return <$fh>;
}

# the repository's files (git's view; every file under it without git)
my @files = split /\n/, `cd $repo && git ls-files --cached --others --exclude-standard 2>/dev/null`;
if (!@files) {
    require File::Find;
    no warnings 'once';
    File::Find::find({ no_chdir => 1, wanted => sub {
        $File::Find::prune = 1 if m{^\Q$repo\E/(?:build|state|\.git)$};
        push @files, substr($_, length($repo) + 1) if -f $_;
    } }, $repo);
}
my %tracked = map { $_ => 1 } @files;
my %basename;
for my $f (keys %tracked) {
    my ($b) = $f =~ m{([^/]+)$};
    push @{ $basename{$b} }, $f;
}

# --- every file doc/architecture.md names --------------------------------

my $arch = slurp("$repo/doc/architecture.md");
ok(length $arch, 'doc/architecture.md exists');
is(scalar(() = $arch =~ /^```mermaid$/mg), 3,
   'doc/architecture.md has its three Mermaid diagrams');

my %named;
while ($arch =~ m{(?<![\w./-])((?:[\w.-]+/)*[\w.-]+\.(?:c|h|lua|t|pm|py|sh|md))(?![\w/])}g) {
    $named{$1} = 1;
}
ok(scalar(keys %named) > 20, 'doc/architecture.md names the files it explains');
for my $name (sort keys %named) {
    next if $name =~ m{^build/};            # generated, never committed
    next if $name =~ m{^djass_scripts\.[ch]$};  # generated into build/
    my $found;
    if ($name =~ m{/}) {
        # a path: from the repository root, from doc/ (a link), or under
        # ngx_djass_module/ as the page says of the module's files
        (my $up = $name) =~ s{^\.\./}{};
        $found = $tracked{$name} || $tracked{"doc/$name"} || $tracked{$up};
    } else {
        $found = $basename{$name};
    }
    ok($found, "doc/architecture.md names $name, and the repository has it");
}

# --- every link between our pages ----------------------------------------

# GitHub's anchor of a heading
sub anchor {
    my ($h) = @_;
    $h = lc $h;
    $h =~ s/`//g;
    $h =~ s/[^\w\- ]//g;
    $h =~ s/ /-/g;
    return $h;
}

sub anchors {
    my ($text) = @_;
    my %a;
    $text =~ s/^```.*?^```//msg;
    $a{ anchor($1) } = 1 while $text =~ /^#+\s+(.+?)\s*$/mg;
    return \%a;
}

my @pages = ('README.md', 't/README.md', grep { m{^doc/.+\.md$} } sort keys %tracked);
for my $page (@pages) {
    my $text = slurp("$repo/$page");
    ok(length $text, "$page exists");
    (my $dir = $page) =~ s{[^/]*$}{};
    (my $prose = $text) =~ s/^```.*?^```//msg;
    while ($prose =~ /\]\(([^)\s]+)\)/g) {
        my $link = $1;
        next if $link =~ m{^[a-z]+:}i;      # http:, mailto: ...
        my ($path, $frag) = split /#/, $link, 2;
        my $target = length $path ? $path : undef;
        my $file = defined $target ? "$dir$target" : $page;
        1 while $file =~ s{[^/]+/\.\./}{};
        $file =~ s{^\./}{};
        ok(-e "$repo/$file", "$page links to $link: $file exists");
        if (defined $frag && $file =~ /\.md$/ && -f "$repo/$file") {
            ok(anchors(slurp("$repo/$file"))->{$frag},
               "$page links to $link: $file has a heading #$frag");
        }
    }
}

# --- the README's table of directives is the module's --------------------

my $module = slurp("$repo/ngx_djass_module/ngx_http_djass_module.c");
my $header = slurp("$repo/ngx_djass_module/ngx_http_djass_module.h");

my %define;
$define{$1} = $2 while $header =~ /^#define\s+(NGX_HTTP_DJASS_\w+)\s+(.+?)\s*$/mg;

# the command table: name, contexts, the conf field it sets
my %cmd;
my ($table) = $module =~ /ngx_command_t\s+ngx_http_djass_commands\[\]\s*=\s*\{(.*?)ngx_null_command/s;
ok($table, 'the module has its ngx_command_t table');
while ($table =~ /\{\s*ngx_string\("(\w+)"\),\s*([\w|]+),\s*(\w+),\s*\w+,\s*(.*?),\s*NULL\s*\}/sg) {
    my ($name, $flags, $set, $offset) = ($1, $2, $3, $4);
    my @ctx;
    push @ctx, 'http' if $flags =~ /NGX_HTTP_MAIN_CONF/;
    push @ctx, 'server' if $flags =~ /NGX_HTTP_SRV_CONF/;
    push @ctx, 'location' if $flags =~ /NGX_HTTP_LOC_CONF\b/;
    my ($field) = $offset =~ /offsetof\(\w+,\s*(\w+)\)/;
    # the two with handlers of their own set these fields
    $field //= { djass_template => 'template_dir', djass_api => 'api',
                djass_metrics => 'metrics',
                djass_s3_redirect => 's3_redirect' }->{$name};
    $cmd{$name} = { name => $name, ctx => join(', ', @ctx), set => $set,
                    field => $field };
}
ok(scalar(keys %cmd) >= 9, 'the command table has the directives');

# evaluates a default as the C code writes it
sub c_value {
    my ($v) = @_;
    $v =~ s/\b(NGX_HTTP_DJASS_\w+)\b/exists $define{$1} ? "($define{$1})" : $1/ge;
    return $1 if $v =~ /^"(.*)"$/;
    return eval($v) if $v =~ /^[\d\s()*+]+$/;
    return $v;
}

# the default each field gets in create/init/merge, in nginx's notation
my $mcp = slurp("$repo/ngx_djass_module/ngx_http_djass_mcp_conf.c");

sub code_default {
    my ($c) = @_;
    my $f = $c->{field};
    if (!defined $f) {
        # the djass_mcp directives keep their own conf (ngx_http_djass_mcp_conf.c):
        # djass_mcp is a switch like djass_api, the others default to what
        # ngx_http_djass_mcp_conf() sets, or nothing
        return 'off' if $c->{name} eq 'djass_mcp';
        (my $mf = $c->{name}) =~ s/^djass_mcp_//;
        return $mcp =~ /ngx_str_set\(&mcf->\Q$mf\E,\s*"([^"]*)"\)/
               ? $1 : 'none';
    }
    if ($module =~ /ngx_conf_init_(?:(\w+)_)?value\(dmcf->\Q$f\E,\s*([^;]+?)\);/
        || $module =~ /ngx_conf_merge_(?:(\w+)_)?value\(conf->\Q$f\E,\s*prev->\Q$f\E,\s*([^;]+?)\);/)
    {
        my ($kind, $v) = ($1 // "", c_value($2));
        return $v eq '' ? 'none' : $v if $kind eq 'str';
        if ($c->{set} eq 'ngx_conf_set_sec_slot') {
            return $v % 3600 == 0 ? ($v / 3600) . 'h'
                 : $v % 60 == 0 ? ($v / 60) . 'm' : "${v}s";
        }
        return $v ? 'on' : 'off' if $kind eq '' || $c->{set} =~ /flag/
                                    || $f eq 'api' || $f eq 'metrics';
        if ($kind eq 'msec') {
            return $v % 1000 == 0 ? ($v / 1000) . 's' : "${v}ms";
        }
        if ($kind eq 'size') {
            return $v % 1048576 == 0 ? ($v / 1048576) . 'm'
                 : $v % 1024 == 0 ? ($v / 1024) . 'k' : $v;
        }
        return $v;
    }
    if ($module =~ /if \(dmcf->\Q$f\E\.len == 0\) \{\s*ngx_str_set\(&dmcf->\Q$f\E,\s*"([^"]*)"\)/) {
        return $1;
    }
    return 'none';    # a string left empty by ngx_pcalloc
}

my $readme = slurp("$repo/README.md");
my ($conf) = $readme =~ /^## Configuration reference\n(.*?)^## /ms;
my %doc;
for my $row (grep { /^\| `djass_/ } split /\n/, $conf // '') {
    my @cell = map { s/^\s+|\s+$//gr } split /(?<!\\)\|/, $row;
    shift @cell;
    my ($name) = $cell[0] =~ /`(djass_\w+)/;
    (my $default = $cell[2]) =~ s/`//g;
    $default =~ s/\s.*//;
    $doc{$name} = { ctx => $cell[1], default => $default };
}

is_deeply([sort keys %doc], [sort keys %cmd],
          'the README table lists exactly the directives of the module');
for my $name (sort keys %cmd) {
    next unless $doc{$name};
    is($doc{$name}{ctx}, $cmd{$name}{ctx},
       "README: $name is allowed in $cmd{$name}{ctx}, as the module says");
    is($doc{$name}{default}, code_default($cmd{$name}),
       "README: $name defaults to what the module's conf code sets");
}

# the other pages link to that table instead of repeating it
for my $page (grep { m{^doc/} } @pages) {
    my $text = slurp("$repo/$page");
    ok($text !~ /^\|\s*directive\s*\|/mi,
       "$page has no table of directives of its own");
}

done_testing();
