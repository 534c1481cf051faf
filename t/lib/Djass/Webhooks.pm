package Djass::Webhooks;

# The webhook receiver of the webhook tests (t/375, t/376, t/377): the
# reference implementation of Standard Webhooks in a venv, and
# t/webhooks/receiver.py on loopback, configured by a JSON file that the
# test rewrites as it goes.
#
#   my $venv = webhook_venv(sub { plan skip_all => shift });
#   my %conf;
#   write_receiver_conf($dir, \%conf);
#   my $p = start_webhook_receiver($venv, $dir, $port, arrivals => 1);

use strict;
use warnings;
use Exporter 'import';
use Djass::Test qw(repo_dir json_encode wait_port);

our @EXPORT = qw(webhook_venv write_receiver_conf start_webhook_receiver);

# build/venv-webhooks with t/webhooks/requirements.txt; when it cannot be
# made, $missing is called with the reason
sub webhook_venv {
    my ($missing) = @_;
    my $repo = repo_dir();
    my $venv = "$repo/build/venv-webhooks";
    system("VENV='$venv' REQ='$repo/t/webhooks/requirements.txt' "
           . "'$repo/scripts/venv' >&2") == 0
        or $missing->('the standardwebhooks venv could not be made '
                      . '(scripts/venv with t/webhooks/requirements.txt)');
    return $venv;
}

# $dir/conf.json, replaced in one step: the receiver reads it at each
# request
sub write_receiver_conf {
    my ($dir, $conf) = @_;
    open my $fh, '>', "$dir/conf.json.tmp" or die $!;
    print $fh json_encode($conf);
    close $fh;
    rename "$dir/conf.json.tmp", "$dir/conf.json" or die $!;
}

# the receiver on $port, logging to $dir/received.jsonl (and each arrival
# to $dir/arrivals.jsonl with arrivals => 1)
sub start_webhook_receiver {
    my ($venv, $dir, $port, %o) = @_;
    my $p = Djass::Test::spawn("receiver-$port", {}, "$venv/bin/python",
                               repo_dir() . '/t/webhooks/receiver.py', $port,
                               "$dir/conf.json", "$dir/received.jsonl",
                               $o{arrivals} ? "$dir/arrivals.jsonl" : ());
    wait_port($port, 10) or die "the receiver did not start on $port";
    return $p;
}

1;
