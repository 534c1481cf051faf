-- djass-worker --retention (worker/sweep.c): one batch of the retention
-- sweep.  One sweeper in the whole fleet at a time: the lease
-- djass:sweeper holds the holder's name and expires unless renewed; a
-- call by anyone else while it is held does nothing.  The holder deletes
-- up to batch projects whose finished_at (their score in djass:finished)
-- is older than retention seconds, oldest first, each exactly as DELETE
-- does (lib/delete.lua, reason "retention"), in this one atomic step: two
-- sweepers can never delete one project twice.  djass:retention keeps the
-- sweeper's retention, for the lag in the scrape (stats.lua).
--
--   lease      djass:sweeper
--   finished   djass:finished
--   holder     this worker, <host>:<pid>
--   lease_ms   how long the lease lasts unless renewed
--   retention  --retention, in seconds
--   batch      the most projects deleted in this call
--
-- Replies {'busy', holder} (another sweeper holds the lease) or
-- {'ok', deleted, more} (more: '1' when the batch was full).

--! KEYS lease finished
--! ARGV holder lease_ms retention batch

--! include lib/stats.lua
--! include lib/delete.lua

local h = redis.call('GET', lease)
if h and h ~= holder then return {'busy', h} end
redis.call('SET', lease, holder, 'PX', lease_ms)
redis.call('SET', 'djass:retention', retention)

local now = tonumber(redis.call('TIME')[1])
local cutoff = now - tonumber(retention)
local ids = redis.call('ZRANGEBYSCORE', finished, '-inf', cutoff,
                       'LIMIT', 0, tonumber(batch))
local n = 0
for _, id in ipairs(ids) do
    n = n + delete_project(id, 'retention', tostring(now), '')
    redis.call('ZREM', finished, id)
end
local more = '0'
if #ids >= tonumber(batch) then more = '1' end
return {'ok', tostring(n), more}
