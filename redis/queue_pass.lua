-- djass-worker (worker/rollout.c): a job validated against another template
-- version than this worker's.  While the job is younger than the visibility
-- timeout (its age from its stream entry id, on Redis's clock), the worker
-- leaves it: the entry stays pending, its idle time set to a year so that
-- the next reclaim sweep of any worker, whatever its own timeout, may take
-- it (a worker with that version renders it); no attempt is counted and
-- nothing is acknowledged.
-- Older, no worker with that version took it: this worker renders it with
-- its own.
--
--   stream    djass:jobs
--   group     the consumer group
--   consumer  this worker, <host>:<pid>
--   entry     the job's stream entry
--   wait      the visibility timeout, ms
--
-- Replies 1: left; 2: to render with this worker's version; 0: the entry
-- is not this consumer's (any more).

--! KEYS stream
--! ARGV group consumer entry wait

local p = redis.call('XPENDING', stream, group, entry, entry, 1)
if #p ~= 1 or p[1][2] ~= consumer then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local born = tonumber(string.match(entry, '^(%d+)%-'))
if not born or now - born >= tonumber(wait) then return 2 end
redis.call('XCLAIM', stream, group, consumer, 0, entry, 'IDLE',
           365 * 86400 * 1000, 'JUSTID')
return 1
