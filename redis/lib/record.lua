-- What record_start.lua and record_finish.lua share, included by both with
-- "--! include lib/record.lua" (see redis/lua2c), after lib/stats.lua.  It
-- uses the names their headers declare: project, stream, group, entry and
-- request_id.

-- the job acknowledged and deleted from the stream
local function ack()
    redis.call('XACK', stream, group, entry)
    redis.call('XDEL', stream, entry)
end

-- the project's id moved from the owner's status set from to to; counted
-- is the record's stats field: "1" when the project is in the fleet's
-- counts (created since they exist), which then move with it
local function move(profile, from, to, counted)
    local id = tonumber(string.match(project, '(%d+)$'))
    local base = 'djass:profile:' .. profile .. ':projects:'
    redis.call('ZREM', base .. from, id)
    redis.call('ZADD', base .. to, id, id)
    if counted == '1' and from ~= to then
        stat('projects:' .. from, -1)
        stat('projects:' .. to)
    end
end

-- the completion webhooks: one message per endpoint of the owner that
-- takes this event, queued in this same step, so a recorded result always
-- has its deliveries queued (worker/webhook.c delivers them).  The
-- message keeps the create's request_id ("" when unknown): the delivery
-- sends it as X-Request-Id.
local function webhooks(profile, status, now)
    local id = string.match(project, '(%d+)$')
    local event = 'project.' .. status
    local eps = redis.call('SMEMBERS',
                           'djass:profile:' .. profile .. ':webhooks')
    for _, ep in ipairs(eps) do
        local e = redis.call('HMGET', 'djass:webhook:' .. ep, 'events',
                             'disabled')
        if e[1] and e[2] ~= '1'
            and string.find(',' .. e[1] .. ',', ',' .. event .. ',', 1,
                            true) then
            local msg = 'msg_' .. now .. '_'
                .. redis.call('INCR', 'djass:seq:webhook-msg')
            redis.call('HSET', 'djass:webhook-msg:' .. msg, 'id', msg,
                       'endpoint', ep, 'project', id, 'type', event,
                       'timestamp', now, 'attempts', 0,
                       'request_id', request_id)
            redis.call('XADD', 'djass:webhooks', '*', 'message', msg)
        end
    end
end

-- the finished project in djass:finished (score: finished_at), the index
-- the retention sweeper (sweep.lua) reads oldest first
local function finished(now)
    local id = tonumber(string.match(project, '(%d+)$'))
    redis.call('ZADD', 'djass:finished', tonumber(now), id)
end
