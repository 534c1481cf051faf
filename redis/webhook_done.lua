-- djass-worker's delivery process (worker/webhook.c): an attempt of a
-- webhook message ended.  In one step: its stream entry is acknowledged
-- and deleted, and the message is either scheduled again (retrying) or
-- forgotten (delivered, dropped, disabled, skipped); the endpoint keeps
-- the outcome of its last attempt, and a 410 Gone disables it; the
-- fleet's count of attempts by outcome (lib/stats.lua) too.  A worker
-- killed before this step leaves the entry pending: another delivery
-- process reclaims it and the attempt is made again.
--
-- 'deferred' is no attempt: the delivery process put the message back
-- before trying it (its endpoint is paused after timing out again and
-- again, or the process is stopping): it goes to the schedule, and
-- nothing is counted or written on the endpoint.
--
--   message   djass:webhook-msg:<id>
--   stream    djass:webhooks
--   schedule  djass:webhooks:retry (sorted set, score = when, in ms)
--   group     the consumer group
--   entry     the message's stream entry
--   outcome   delivered, retrying, dropped, disabled, skipped or deferred
--   delay     retrying, deferred: milliseconds from now
--   attempt   the attempt's number
--   status    the HTTP status, '' when there was no answer
--   error     what went wrong, '' when nothing did

--! KEYS message stream schedule
--! ARGV group entry outcome delay attempt status error

--! include lib/stats.lua

redis.call('XACK', stream, group, entry)
redis.call('XDEL', stream, entry)

local m = redis.call('HMGET', message, 'id', 'endpoint', 'project')
if not m[1] then return 0 end

local t = redis.call('TIME')

if outcome == 'retrying' or outcome == 'deferred' then
    local when = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
                 + tonumber(delay)
    redis.call('ZADD', schedule, when, m[1])
    if outcome == 'deferred' then return 1 end
else
    redis.call('DEL', message)
end

stat('webhooks:' .. outcome)
if outcome == 'skipped' then return 1 end

local ep = 'djass:webhook:' .. m[2]
if redis.call('EXISTS', ep) == 1 then
    redis.call('HSET', ep, 'last_at', t[1], 'last_project', m[3],
               'last_attempt', attempt, 'last_outcome', outcome,
               'last_status', status, 'last_error', error)
    if outcome == 'disabled' then
        redis.call('HSET', ep, 'disabled', '1', 'disabled_at', t[1])
    end
end
return 1
