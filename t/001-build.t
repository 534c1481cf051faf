# The build: the pinned outputs exist, the module loads into Debian's nginx,
# and building wrote nothing into Debian's nginx source folder.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Test;

for my $f (qw(ngx_http_djass_module.so djass-worker djassctl)) {
    ok(-f bin($f) && -s _, "build output $f exists");
}
ok(-x bin('djass-worker') && -x bin('djassctl'), 'the programs are executable');

my ($rc, $out) = nginx_test_config();
is($rc, 0, 'nginx -t passes with load_module of the built module')
    or diag($out);
like($out, qr/test is successful/, 'nginx -t reports success');

ok(!-e '/usr/share/nginx/src/Makefile' && !-e '/usr/share/nginx/src/objs',
   'the build wrote nothing into /usr/share/nginx/src');

my $long = 0;
for my $f (glob(repo_dir() . '/ngx_djass_module/*.[ch]')) {
    open my $fh, '<', $f or die;
    while (<$fh>) { chomp; $long++ if length > 80 }
}
is($long, 0, 'module sources keep to 80 columns (nginx style)');

done_testing();
