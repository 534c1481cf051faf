-- djass-worker (worker/record.c): a job's project goes queued (or
-- generating, on a redo) -> generating, with the attempt counted.  A record
-- already ready or failed only gets its job acknowledged; one that is
-- gone (deleted) is left pending: the worker removes its artifact, then
-- drops the job; one
-- whose attempts reached the worker's --max-attempts goes failed with
-- exhausted, and its job is acknowledged (and the owner's project.failed
-- webhooks queued, in the same step).  The fleet's counts
-- (lib/stats.lua) move in the same step: attempts, reclaims, the projects
-- by status and finished:exhausted.
--
--   project  djass:project:<id>
--   stream   djass:jobs
--   group    the consumer group
--   entry    the job's stream entry
--   max      --max-attempts
--   message  the error_message of a job that used them all up
--   redo     "" or the attempt a first run of this call counted, when
--            that run's WAIT found too few replicas: a record still
--            generating with that attempt is this worker's, and is
--            started again without counting another attempt (its
--            attempts rewritten as they are, so that this run's WAIT
--            covers the first run's write too)
--   reclaimed  "1" when this worker took the job over from a silent one
--   request_id  the create's X-Request-Id, from the job ("" if none): the
--            webhook messages of an exhausted job keep it
--   retention  the worker's --retention in seconds ("" when off), for an
--            exhausted job's expires_at
--
-- Replies {'gone'}, {'done'}, {'exhausted', attempts} or
-- {'started', attempt, input_payload, name, slug, created_at,
-- parent_commit, upgraded_from} (name, slug and created_at for the
-- project's manifest, worker/manifest.c, and its git commit with the last
-- two, worker/gitstore.c).

--! KEYS project stream
--! ARGV group entry max message redo reclaimed request_id retention

--! include lib/stats.lua
--! include lib/record.lua

local r = redis.call('HMGET', project, 'status', 'profile',
                     'attempts', 'input_payload', 'stats', 'name', 'slug',
                     'created_at', 'parent_commit', 'upgraded_from')
if r[1] == 'generating' and redo ~= '' and r[3] == redo then
    redis.call('HSET', project, 'attempts', redo)
    return {'started', redo, r[4] or '', r[6] or '', r[7] or '',
            r[8] or '', r[9] or '', r[10] or ''}
end
if reclaimed == '1' then stat('reclaims') end
if not r[1] then return {'gone'} end
if r[1] == 'ready' or r[1] == 'failed' then
    ack() return {'done'}
end
local now = redis.call('TIME')[1]
local attempts = tonumber(r[3]) or 0
if attempts >= tonumber(max) then
    local expires = ''
    if tonumber(retention) then
        expires = tostring(tonumber(now) + tonumber(retention))
    end
    redis.call('HSET', project, 'status', 'failed',
               'error_message', message, 'finished_at', now,
               'updated_at', now, 'expires_at', expires)
    move(r[2], r[1], 'failed', r[5])
    finished(now)
    stat('finished:exhausted')
    webhooks(r[2], 'failed', now)
    ack()
    return {'exhausted', tostring(attempts)}
end
attempts = attempts + 1
redis.call('HSET', project, 'status', 'generating', 'started_at', now,
           'updated_at', now, 'finished_at', '', 'error_message', '',
           'attempts', attempts)
move(r[2], r[1], 'generating', r[5])
stat('attempts')
return {'started', tostring(attempts), r[4] or '', r[6] or '', r[7] or '',
        r[8] or '', r[9] or '', r[10] or ''}
