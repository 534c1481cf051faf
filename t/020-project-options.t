# GET /project-options: the catalog read from the template at start, served
# from memory, public, cacheable; a broken template stops nginx -t.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Test;
use JSON::PP;

my $nginx = start_nginx();    # no Redis: the catalog must not need it

my $res = api(GET => '/project-options');
is($res->{status}, 200, 'the catalog answers 200 without a key or Redis');
like($res->{headers}{'content-type'}, qr{^application/json},
     'the catalog is JSON');
my $cat = $res->{json};
ok($cat && ref $cat->{defaults} eq 'HASH', 'the body has "defaults"');

# defaults: every non-private key of cookiecutter.json, in file order,
# verbatim (the raw file is read in order with a tiny ordered parser)
my $raw = do { local (@ARGV, $/) = (repo_dir() . '/template/cookiecutter.json'); <> };
my @file_keys = map { /^\s{4}"([^"]+)"\s*:/ ? $1 : () } split /\n/, $raw;
my @public = grep { !/^_/ } @file_keys;
my @got_keys;
if ($res->{content} =~ /"defaults":\{/g) {
    my $str = qr/"(?:[^"\\]|\\.)*"/;
    while ($res->{content} =~ /\G($str):(?:$str|\[[^\]]*\]|\{[^}]*\}),?/gc) {
        push @got_keys, JSON::PP->new->allow_nonref->decode($1);
    }
}
is_deeply(\@got_keys, \@public,
          'defaults lists every non-private key in file order');
my $cc = JSON::PP->new->decode($raw);
is_deeply($cat->{defaults}{$_}, $cc->{$_}, "default of $_ is verbatim")
    for @public;
is($cat->{defaults}{project_slug},
   "{{ cookiecutter.project_name.lower()|replace(' ', '_')|replace('-', '_')"
   . "|replace('.', '_')|trim() }}",
   'project_slug default keeps its Jinja expression, as the spec shows');
ok(!grep(/^_/, keys %{ $cat->{defaults} }), 'no private key in defaults');

# groups: the order and contents the issue pins
my %want = (
    monitoring => [qw(use_posthog use_sentry use_healthchecks use_logfire
                      use_apprise)],
    cx         => [qw(use_chatwoot use_mjml)],
    commerce   => [qw(use_stripe)],
    storage    => [qw(use_s3)],
    content    => [qw(generate_blog generate_docs)],
    ai         => [qw(use_ai use_mcp)],
    delivery   => [qw(use_ci use_digitalocean)],
);
is_deeply([ map { $_->{key} } @{ $cat->{groups} } ],
          [qw(monitoring cx commerce storage content ai delivery)],
          'groups come in the pinned order');
for my $g (@{ $cat->{groups} }) {
    is_deeply([ map { $_->{key} } @{ $g->{options} } ], $want{$g->{key}},
              "group $g->{key} holds its flags in order");
    ok(length $g->{label}, "group $g->{key} has a label");
    for my $o (@{ $g->{options} }) {
        is_deeply([ sort keys %$o ],
                  [qw(category default description key label)],
                  "option $o->{key} has exactly the five fields");
        is($o->{category}, $g->{key}, "option $o->{key} names its group");
        is($o->{default}, $cc->{$o->{key}}, "option $o->{key} default");
        like($o->{default}, qr/^[yn]$/, "option $o->{key} is a y/n flag");
        ok(length $o->{description} > 20,
           "option $o->{key} has a helpful description");
    }
}
my %label = map { $_->{key} => $_->{label} }
            map { @{ $_->{options} } } @{ $cat->{groups} };
is($label{use_posthog}, 'Use PostHog', 'label "Use PostHog"');
is($label{generate_blog}, 'Generate Blog', 'label "Generate Blog"');
is($label{use_digitalocean}, 'Use DigitalOcean', 'label "Use DigitalOcean"');
my @flat = map { $_->{key} } map { @{ $_->{options} } } @{ $cat->{groups} };
is(scalar @flat, 15, 'all 15 flags appear once');
ok(!grep(/^(project_|author_|repo_url|caprover)/, @flat),
   'identity fields stay out of groups');

# caching: strong ETag, 304, Cache-Control, HEAD
my $etag = $res->{headers}{etag};
like($etag, qr/^"[0-9a-f]{32}"$/, 'a strong ETag');
like($res->{headers}{'cache-control'} // '', qr/max-age=\d+/,
     'Cache-Control with max-age');
my $again = api(GET => '/project-options');
is($again->{headers}{etag}, $etag, 'the ETag is stable');
is($again->{content}, $res->{content}, 'the body is the same bytes');
my $nm = api(GET => '/project-options',
             headers => { 'If-None-Match' => $etag });
is($nm->{status}, 304, 'If-None-Match with the ETag gives 304');
is($nm->{content} // '', '', '304 has no body');
$nm = api(GET => '/project-options',
          headers => { 'If-None-Match' => '"other", ' . $etag });
is($nm->{status}, 304, 'If-None-Match with a list holding the ETag: 304');
$nm = api(GET => '/project-options',
          headers => { 'If-None-Match' => '"deadbeef"' });
is($nm->{status}, 200, 'another ETag gets the full body');
my $head = api(HEAD => '/project-options');
is($head->{status}, 200, 'HEAD answers 200');
is($head->{content} // '', '', 'HEAD has no body');
is($head->{headers}{'content-length'}, length $res->{content},
   'HEAD announces the GET body length');
is($head->{headers}{etag}, $etag, 'HEAD carries the ETag');

# a template flag without metadata still shows up, labelled from its key
my $tpl = temp_dir('tpl-extra');
my $extra = $raw;
$extra =~ s/("use_digitalocean": "n",)/$1\n    "use_redis_cache": "y",/ or die;
open my $fh, '>', "$tpl/cookiecutter.json" or die;
print $fh $extra;
close $fh;
my $n2 = start_nginx(template => $tpl);
my $cat2 = api(GET => '/project-options', nginx => $n2)->{json};
my ($other) = grep { $_->{key} eq 'other' } @{ $cat2->{groups} };
is_deeply($other && [ map { [$_->{key}, $_->{label}, $_->{default}] }
                      @{ $other->{options} } ],
          [[ 'use_redis_cache', 'Use Redis Cache', 'y' ]],
          'a new flag appears in group "other" with no code change');

# bad templates fail nginx -t with an [emerg] naming the file and problem
my @bad = (
    [ 'missing file', undef, qr/\[emerg\].*cookiecutter\.json/ ],
    [ 'invalid JSON', '{"project_name": ', qr/\[emerg\].*invalid JSON.*cookiecutter\.json.*line/ ],
    [ 'not an object', '["a"]', qr/\[emerg\].*cookiecutter\.json.*not a JSON object/ ],
    [ 'group naming an unknown flag',
      '{"use_x": "y", "_djass_catalog": {"groups": [{"key": "g", "options": ["use_y"]}]}}',
      qr/\[emerg\].*group "g".*cookiecutter\.json/ ],
);
for my $b (@bad) {
    my ($name, $content, $re) = @$b;
    my $dir = temp_dir('bad-' . ($name =~ s/\W+/-/gr));
    if (defined $content) {
        open my $f, '>', "$dir/cookiecutter.json" or die;
        print $f $content;
        close $f;
    }
    my ($rc, $out) = nginx_test_config(template => $dir);
    isnt($rc, 0, "nginx -t fails for a template with $name");
    like($out, $re, "nginx -t says what is wrong: $name");
}

done_testing();
