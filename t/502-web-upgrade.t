# The generator page's Upgrade button (issue 25's POST /projects/{id}/upgrade)
# in Debian's chromium (t/web/upgrade_test.py): a project made on one
# template version shows Upgrade once nginx and the worker run the next
# version; the button makes the new project, which the page follows to
# ready, and whose Explore shows the template's new file.  Skipped while
# GET /project-options has no template_version.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use Djass::Test;
use Djass::Web;

my $repo = repo_dir();
web_venv();
my $server = readme_page_block() // '';

# two versions of the shipped template: v2 adds a file
my $tpl = temp_dir('tpl-502');
system('cp', '-a', "$repo/template", "$tpl/v1") == 0 or die 'cp';
system('cp', '-a', "$repo/template", "$tpl/v2") == 0 or die 'cp';
{
    open my $fh, '>', "$tpl/v2/{{cookiecutter.project_slug}}/UPGRADED.md"
        or die "UPGRADED.md: $!";
    print $fh "# {{ cookiecutter.project_name }}\n\nMade by template v2.\n";
}

my $redis = start_redis();
my $art = temp_dir('art-502');
my %common = (redis => $redis, artifacts => $art, server => $server);
my $nginx = start_nginx(%common, template => "$tpl/v1");
my $v1 = api(GET => '/project-options')->{json}{template_version};
unless ($v1) {
    stop_process($_) for $nginx, $redis;
    plan skip_all => 'GET /project-options has no template_version yet '
                     . '(issue 25, helpers i25a/i25b): run after merging';
}

my $worker = start_worker(redis => $redis, artifacts => $art,
                          template => "$tpl/v1");
my $key = make_key($redis, email => 'upgrade@example.test')->{key};
my $old = api(POST => '/projects', key => $key,
              json => { project_name => 'Old Shop', use_stripe => 'n' });
is($old->{status}, 201, 'a project made on template v1');
my $id = $old->{json}{project}{id};
my $st = '';
my $end = time + 60;
while (time < $end) {
    $st = api(GET => "/projects/$id/status", key => $key)->{json}{status};
    last if $st eq 'ready' || $st eq 'failed';
    sleep 0.2;
}
is($st, 'ready', "#$id is ready");
is(api(GET => "/projects/$id", key => $key)->{json}{template_version}, $v1,
   "#$id records template v1's version");

# the roll-out: nginx and the worker on v2
is(stop_process($worker), 0, 'the v1 worker exits 0');
stop_process($nginx);
$nginx = start_nginx(%common, template => "$tpl/v2");
$worker = start_worker(redis => $redis, artifacts => $art,
                       template => "$tpl/v2");
my $v2 = api(GET => '/project-options')->{json}{template_version} // '';
isnt($v2, $v1, 'the catalog now has template v2\'s version');

my ($seen, $status) = run_browser('upgrade_test.py',
                                  "http://127.0.0.1:$nginx->{port}/", $key,
                                  temp_dir('web-502'), DJASS_OLD_ID => $id);
is($status, 0, 'the browser script exits 0');
ok($seen >= 6, "the browser script made its checks ($seen)");

my $list = api(GET => '/projects?limit=1', key => $key)->{json};
my $new = $list->{projects}[0] // {};
isnt($new->{id}, $id, 'a new project was made');
is($new->{upgraded_from}, $id, "the new project says upgraded_from #$id");
is($new->{template_version}, $v2, 'and was made on template v2');

is(stop_process($worker), 0, 'the worker exits 0');
check_error_log($nginx);
done_testing();
