# The build: the pinned outputs exist, the module loads into Debian's nginx
# (or DJASS_NGINX's), building wrote nothing into Debian's nginx source
# folder, and every file of the module includes <ngx_config.h> then
# <ngx_core.h> before anything else (nginx's development guide: else
# OpenSSL's or hiredis's headers read the system's before _GNU_SOURCE, and
# nginx 1.24 on does not build).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Djass::Test;

for my $f (qw(ngx_http_djass_module.so djass-worker djassctl)) {
    ok(-f bin($f) && -s _, "build output $f exists");
}
ok(-f module_so() && -s _, 'the module nginx loads exists: ' . module_so());
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

# the first two #include lines of a file's text, as "a b"
sub first_includes {
    my @inc = $_[0] =~ /^[ \t]*#[ \t]*include[ \t]*([<"][^>"]+[>"])/mg;
    return join(' ', grep { defined } @inc[0 .. 1]);
}
my $want = '<ngx_config.h> <ngx_core.h>';
is(first_includes("#include <openssl/evp.h>\n#include <ngx_config.h>\n"
                  . "#include <ngx_core.h>\n"),
   '<openssl/evp.h> <ngx_config.h>', 'the include check sees a file that '
   . 'includes another header first');
my @files = glob(repo_dir() . '/ngx_djass_module/*.[ch]');
ok(@files > 20, 'the module has its sources in ngx_djass_module/');
for my $f (@files) {
    open my $fh, '<', $f or die "$f: $!";
    my $text = do { local $/; <$fh> };
    is(first_includes($text), $want, ($f =~ s{.*/}{}r)
       . ' includes <ngx_config.h> then <ngx_core.h> before anything else');
}

done_testing();
