-- The fleet's figures for the djass_metrics scrape (ngx_http_djass_stats.c
-- calls it, one EVALSHA per scrape): the job stream's backlog, read with
-- XINFO GROUPS, and the counts the other scripts keep in djass:stats
-- (lib/stats.lua).  It only reads.
--
--   stream  djass:jobs
--   group   the workers' consumer group (djass-workers): its backlog is
--           the jobs waiting
--   fields  the djass:stats fields to answer, in the caller's order
--
-- Reply, flat: {'ok', waiting, age, G, then G pairs group pending, B,
-- then B pairs le cumulative (the render-duration buckets, le in ms, the
-- last '+Inf'), then one value per field ('0' for a field not set)}.
-- waiting: entries no consumer of group has read yet (the group's lag;
-- where Redis cannot tell it, the stream's length less the group's pending
-- entries: every entry is deleted when acknowledged, and a worker's group
-- is the only one); age: milliseconds since the oldest of them was queued
-- (its entry id's time), 0 when none waits.  At most 16 groups.
--
-- The field sweep:lag is not in djass:stats: it is the retention
-- sweeper's lag in seconds, worked out here: how long past the retention
-- (djass:retention, written by the sweeper) the oldest finished project
-- (djass:finished) is; 0 when none is, or when no sweeper ever ran.

--! KEYS stream
--! ARGV group ...fields

--! include lib/stats.lua

local MAX_GROUPS = 16

local out = {'ok', 0, 0, 0}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

if redis.call('TYPE', stream).ok == 'stream' then
    local len = redis.call('XLEN', stream)
    local waiting, last = len, '0-0'
    local groups = redis.call('XINFO', 'GROUPS', stream)
    for i, g in ipairs(groups) do
        local f = {}
        for j = 1, #g - 1, 2 do f[g[j]] = g[j + 1] end
        if i <= MAX_GROUPS then
            out[#out + 1] = f['name']
            out[#out + 1] = f['pending']
            out[4] = i
        end
        if f['name'] == group then
            last = f['last-delivered-id']
            if f['lag'] then
                waiting = f['lag']
            else
                waiting = math.max(0, len - f['pending'])
            end
        end
    end
    out[2] = waiting
    if waiting > 0 then
        local e = redis.call('XRANGE', stream, '(' .. last, '+', 'COUNT', 1)
        if e[1] then
            local ms = tonumber(string.match(e[1][1], '^(%d+)'))
            if ms and now > ms then out[3] = now - ms end
        end
    end
end

local le = {}
for i, b in ipairs(RENDER_BUCKETS) do le[i] = 'render:le:' .. b end
le[#le + 1] = 'render:le:+Inf'
local counts = redis.call('HMGET', STATS, unpack(le))
out[#out + 1] = #le
local sum = 0
for i, c in ipairs(counts) do
    if c and string.match(c, '^%d+$') then sum = sum + tonumber(c) end
    out[#out + 1] = RENDER_BUCKETS[i] or '+Inf'
    out[#out + 1] = sum
end

local function sweep_lag()
    local ret = tonumber(redis.call('GET', 'djass:retention') or '')
    if not ret or redis.call('TYPE', 'djass:finished').ok ~= 'zset' then
        return '0'
    end
    local first = redis.call('ZRANGE', 'djass:finished', 0, 0, 'WITHSCORES')
    local at = tonumber(first[2] or '')
    if not at then return '0' end
    local lag = math.floor(now / 1000) - ret - at
    if lag <= 0 then return '0' end
    return string.format('%d', lag)
end

-- a field that is not an integer (broken by hand) reads as 0
if #fields > 0 then
    local v = redis.call('HMGET', STATS, unpack(fields))
    for i = 1, #fields do
        if fields[i] == 'sweep:lag' then
            out[#out + 1] = sweep_lag()
        elseif v[i] and string.match(v[i], '^%-?%d+$') then
            out[#out + 1] = v[i]
        else
            out[#out + 1] = '0'
        end
    end
end
return out
