-- djass-worker (worker/queue.c): reset the idle time of a job this
-- consumer still holds, so that no reclaim sweep takes it over while it
-- runs.  1: touched; 0: the entry is no longer ours.
--
--   stream    djass:jobs
--   group     the consumer group
--   consumer  this worker, <host>:<pid>
--   entry     the job's stream entry

--! KEYS stream
--! ARGV group consumer entry

local p = redis.call('XPENDING', stream, group, entry, entry, 1)
if #p == 1 and p[1][2] == consumer then
    redis.call('XCLAIM', stream, group, consumer, 0, entry,
               'JUSTID')
    return 1
end
return 0
