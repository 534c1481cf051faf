-- The fleet's figures, included with "--! include lib/stats.lua" by the
-- scripts that make each change (api.lua's create, record_start.lua,
-- record_finish.lua, webhook_done.lua), which count it in the same atomic
-- step, and by stats.lua, which reads them for the djass_metrics scrape.
-- They live in one hash, djass:stats (doc/redis-layout.md):
--
--   projects:<status>       projects in each status (queued, generating,
--                           ready, failed); only projects created since
--                           the counts exist: their record has stats = 1
--   finished:<outcome>      jobs that ended ready, failed (the render
--                           failed) or exhausted (--max-attempts used up)
--   attempts                generations started (record_start)
--   reclaims                jobs taken over from a silent worker
--   render:le:<ms>          renders that finished within <ms> (and above
--                           the bucket below; +Inf for the rest)
--   render:sum_ms           their durations, summed, in milliseconds
--   render:count            renders that finished (ready or failed)
--   webhooks:<outcome>      webhook attempts by outcome (delivered,
--                           retrying, dropped, disabled, skipped)

local STATS = 'djass:stats'

-- the render-duration buckets' upper bounds, in milliseconds
local RENDER_BUCKETS = {100, 250, 500, 1000, 2500, 5000, 10000, 30000,
                        60000, 120000, 300000}

-- a count never fails the change it counts: a field or a key someone
-- broke by hand (not an integer, not a hash) is left as it is
local function stat(field, n)
    redis.pcall('HINCRBY', STATS, field, n or 1)
end
