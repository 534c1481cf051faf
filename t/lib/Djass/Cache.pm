package Djass::Cache;

# Reads through the edge's cache (t/298-cache.t, t/299-cache-liveness.t):
# a client per node that keeps its connection, to poll fast, and the
# EVALSHAs Redis counted, which a read the cache serves does not add to.
#
#   my $res = cache_get($node, "/projects/$id/status", $key);
#   cache_warm($redis, $node, $path, $key) or ...;   # served by the cache
#   forget_connections();     # in a child that was forked, or after HUP

use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use Djass::Test qw(base_url json_decode redis_cli wait_until);

our @EXPORT = qw(cache_get forget_connections cache_evalsha_calls
                 cache_warm);

my %ua;

# GET $path on node $n, with the key $k if defined and the headers %h
sub cache_get {
    my ($n, $path, $k, %h) = @_;
    my $ua = $ua{$n->{port}} //= HTTP::Tiny->new(keep_alive => 1,
                                                 timeout => 10);
    my $res = $ua->get(base_url($n) . $path,
                       { headers => { %h, defined $k ? ('X-API-Key' => $k)
                                                     : () } });
    $res->{json} = json_decode($res->{content})
        if ($res->{headers}{'content-type'} // '') =~ m{application/json};
    return $res;
}

sub forget_connections { %ua = () }

sub cache_evalsha_calls {
    my ($redis) = @_;
    my $info = redis_cli($redis, 'INFO', 'commandstats') // '';
    my ($n) = $info =~ /^cmdstat_evalsha:calls=(\d+)/m;
    return $n // 0;
}

# the cache serves this read (within $secs, 10 unless given): repeated, it
# costs Redis nothing
sub cache_warm {
    my ($redis, $n, $path, $k, $secs, %h) = @_;
    return wait_until(sub {
        cache_get($n, $path, $k, %h);
        my $before = cache_evalsha_calls($redis);
        cache_get($n, $path, $k, %h) for 1 .. 3;
        return cache_evalsha_calls($redis) == $before;
    }, $secs // 10, 0.05);
}

1;
