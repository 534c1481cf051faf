# The project.deleted webhook: sent only to the endpoints that subscribe to
# it (it is not in the default set), by the same signed Standard Webhooks
# delivery as project.ready (verified by the reference implementation in
# t/webhooks/receiver.py), with the project as it was when deleted and the
# DELETE's X-Request-Id; another owner's endpoints get nothing.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Encode qw(encode_utf8);
use Time::HiRes qw(sleep);
use Djass::Test;
use Djass::Jobs;
use Djass::Webhooks;

my $f = slow_factor();

my $venv = webhook_venv(sub { plan skip_all => shift });

my $dir = temp_dir('webhooks-377');
my %conf;

sub write_conf { write_receiver_conf($dir, \%conf) }
write_conf();

my $rport = free_port();
my $receiver = start_webhook_receiver($venv, $dir, $rport);
my $base = "http://127.0.0.1:$rport";

sub received {
    my ($path) = @_;
    open my $fh, '<', "$dir/received.jsonl" or return ();
    my @r = map { my $m = json_decode($_); $m->{body} = encode_utf8($m->{body});
                  $m } <$fh>;
    return grep { $_->{path} eq $path } @r;
}

my $redis = start_redis();
my $art = temp_dir('art-377');
my $tpl = worker_template('slow');
my $nginx = start_nginx(redis => $redis, artifacts => $art, template => $tpl);
my $w = start_worker(redis => $redis, artifacts => $art, template => $tpl,
                     args => ['--webhook-schedule-scale', '0.01']);

sub add {
    my ($profile, $path, @more) = @_;
    my ($rc, $out, $err) = djassctl($redis, 'webhook', 'add', '--profile',
                                    $profile, '--url', "$base$path",
                                    '--allow-private', @more);
    die "webhook add: $err" if $rc;
    my $ep = json_decode($out);
    $conf{$path} = { secret => $ep->{secret} };
    write_conf();
    return $ep;
}

my $owner = make_key($redis, legacy => 1);
my $other = make_key($redis, legacy => 1);
my $K = $owner->{key};

my $del = add($owner->{profile}, '/deleted', '--events', 'project.deleted');
is_deeply($del->{events}, ['project.deleted'],
          'webhook add --events project.deleted');
my $dflt = add($owner->{profile}, '/default');
is_deeply($dflt->{events}, ['project.ready', 'project.failed'],
          'the default events leave project.deleted out');
my $all = add($owner->{profile}, '/all', '--events',
              'project.deleted,project.failed,project.ready');
is_deeply($all->{events}, ['project.ready', 'project.failed',
                           'project.deleted'], 'all three, in order');
add($other->{profile}, '/other', '--events', 'project.deleted,project.ready');

my $res = api(POST => '/projects', key => $K,
              json => { project_name => 'Going Away' });
my $id = $res->{json}{project}{id};
ok(wait_status($redis, $id, 'ready'), 'the project is ready')
    or diag(worker_log($w));
my $before = api(GET => "/projects/$id", key => $K)->{json};

is(api(DELETE => "/projects/$id", key => $K,
       headers => { 'X-Request-Id' => 'del-377' })->{status}, 204,
   'it is deleted');

ok(wait_until(sub { received('/deleted') >= 1 && received('/all') >= 2 },
              20 * $f), 'the subscribers get their messages')
    or diag(worker_log($w));
sleep 0.5;

my @d = received('/deleted');
is(scalar @d, 1, '/deleted: one message');
ok($d[0]{verified}, '/deleted: the signature verifies') or diag($d[0]{why});
my $b = json_decode($d[0]{body});
is($b->{type}, 'project.deleted', 'its type is project.deleted');
is_deeply($b->{data}, $before,
          'its data is the project as it was (GET before the delete)');
is($d[0]{headers}{'x-request-id'}, 'del-377',
   'with the DELETE\'s X-Request-Id');
like($d[0]{headers}{'webhook-id'} // '', qr/^msg_/, 'a webhook-id');

my @a = received('/all');
is_deeply([ map { json_decode($_->{body})->{type} } @a ],
          ['project.ready', 'project.deleted'],
          '/all: project.ready, then project.deleted');
is_deeply([ map { json_decode($_->{body})->{type} } received('/default') ],
          ['project.ready'], '/default: project.ready only');
is(scalar(received('/other')), 0, 'another owner\'s endpoint: nothing');

stop_process($w);
done_testing();
