-- djass-worker's delivery process (worker/webhook.c): the retries whose
-- time has come move from the schedule back to the stream, each in the
-- same step as it leaves the schedule, so none is lost or doubled.
-- Replies the milliseconds until the next retry is due (0: more are due
-- now), or -1 when none is scheduled.
--
--   schedule  djass:webhooks:retry
--   stream    djass:webhooks
--   limit     how many to move at most

--! KEYS schedule stream
--! ARGV limit

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local due = redis.call('ZRANGEBYSCORE', schedule, '-inf', now, 'LIMIT', 0,
                       tonumber(limit))
for _, msg in ipairs(due) do
    redis.call('ZREM', schedule, msg)
    redis.call('XADD', stream, '*', 'message', msg)
end

local nxt = redis.call('ZRANGE', schedule, 0, 0, 'WITHSCORES')
if not nxt[2] then return -1 end
local wait = tonumber(nxt[2]) - now
if wait < 0 then return 0 end
return wait
