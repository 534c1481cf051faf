-- djass-worker (worker/queue.c): at exit, the consumer leaves the group if
-- it holds no pending job (XGROUP DELCONSUMER's reply), else -1: its jobs
-- stay for a reclaim sweep.
--
--   stream    djass:jobs
--   group     the consumer group
--   consumer  this worker, <host>:<pid>

--! KEYS stream
--! ARGV group consumer

local p = redis.call('XPENDING', stream, group, '-', '+', 1,
                     consumer)
if #p == 0 then
    return redis.call('XGROUP', 'DELCONSUMER', stream, group,
                      consumer)
end
return -1
