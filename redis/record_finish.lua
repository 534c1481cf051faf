-- djass-worker (worker/record.c): generating -> ready or failed, the id
-- moved between the status sets and the job acknowledged, in one step: a
-- job is never acknowledged before its record says how it ended.  Nothing
-- is written unless the record still says generating with the caller's
-- attempt (reply 0); a record that is gone (deleted: DELETE or retention)
-- gets nothing written, and its job is left pending (reply 2): the worker
-- removes the artifact it made, then drops the job.
-- The owner's webhook messages for project.ready / project.failed are
-- queued in the same step, and so are the fleet's counts (lib/stats.lua):
-- the projects by status, finished:<status> and the render's duration.
--
-- Run again after its first run's WAIT found too few replicas (or after a
-- lost reply), it finds its own result: the status asked for, with the
-- caller's attempt and the same first field (artifact or error_message).
-- That is success (reply 1), and nothing is counted or queued again: the
-- job is acknowledged again (a no-op) and the status rewritten as it is,
-- so that this run's WAIT covers the first run's write too.
--
--   project  djass:project:<id>
--   stream   djass:jobs
--   group    the consumer group
--   entry    the job's stream entry
--   attempt  the caller's attempt number
--   status   ready or failed
--   duration the render's milliseconds (start of the attempt to here)
--   request_id  the create's X-Request-Id, from the job ("" if none): the
--            webhook messages keep it
--   retention  the worker's --retention in seconds ("" when off): the
--            record's expires_at is finished_at plus that
--   fields   field, value pairs to set with it

--! KEYS project stream
--! ARGV group entry attempt status duration request_id retention ...fields

--! include lib/stats.lua
--! include lib/record.lua

local r = redis.call('HMGET', project, 'status', 'profile',
                     'attempts', 'stats')
if not r[1] then return 2 end
if r[1] == status and r[3] == attempt
    and redis.call('HGET', project, fields[1]) == fields[2] then
    redis.call('HSET', project, 'status', status)
    ack()
    return 1
end
if r[1] ~= 'generating' or r[3] ~= attempt then return 0 end
local now = redis.call('TIME')[1]
local expires = ''
if tonumber(retention) then
    expires = tostring(tonumber(now) + tonumber(retention))
end
local set = {'status', status, 'finished_at', now, 'updated_at', now,
             'expires_at', expires}
for _, v in ipairs(fields) do set[#set + 1] = v end
if status == 'failed' then
    redis.call('HDEL', project, 'artifact', 'artifact_size',
               'artifact_sha256', 'git_commit', 'git_pack')
end
redis.call('HSET', project, unpack(set))
move(r[2], r[1], status, r[4])
finished(now)
stat('finished:' .. status)
local ms = math.max(0, math.floor(tonumber(duration) or 0))
local le = '+Inf'
for _, b in ipairs(RENDER_BUCKETS) do
    if ms <= b then le = tostring(b) break end
end
stat('render:le:' .. le)
stat('render:sum_ms', ms)
stat('render:count')
webhooks(r[2], status, now)
ack()
return 1
