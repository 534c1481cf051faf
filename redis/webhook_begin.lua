-- djass-worker's delivery process (worker/webhook.c): one attempt of a
-- webhook message begins.  Counts the attempt (so a delivery that kills
-- its worker every time still ends after the schedule), and returns what
-- the attempt needs: the endpoint and the project record.
--
--   message  djass:webhook-msg:<id>
--
-- Replies {'gone'} (no such message: delivered or dropped already),
-- {'skip', why, attempt, endpoint, project} (why: the endpoint was removed
-- or is disabled, or the project is gone), or {'ok', attempt, endpoint,
-- project, type, timestamp, url, secret, allow_private, then the project's
-- id name slug status error_message created_at updated_at started_at
-- finished_at input_payload expires_at template_version git_commit
-- upgraded_from, then the create's
-- request_id} ('' for a field not set).

--! KEYS message

local function s(v)
    if v then return v end
    return ''
end

local m = redis.call('HMGET', message, 'endpoint', 'project', 'type',
                     'timestamp', 'request_id')
if not m[1] then return {'gone'} end
local attempt = tostring(redis.call('HINCRBY', message, 'attempts', 1))

local ep = redis.call('HMGET', 'djass:webhook:' .. m[1], 'url', 'secret',
                      'allow_private', 'disabled')
if not ep[1] then
    return {'skip', 'the endpoint was removed', attempt, m[1], s(m[2])}
end
if ep[4] == '1' then
    return {'skip', 'the endpoint is disabled', attempt, m[1], s(m[2])}
end

local p = redis.call('HMGET', 'djass:project:' .. s(m[2]), 'id', 'name',
                     'slug', 'status', 'error_message', 'created_at',
                     'updated_at', 'started_at', 'finished_at',
                     'input_payload', 'expires_at', 'template_version',
                     'git_commit', 'upgraded_from')
-- project.deleted (redis/lib/delete.lua): the project as it was, kept in
-- the message, since the record is gone
if m[3] == 'project.deleted' then
    p = redis.call('HMGET', message, 'p_id', 'p_name', 'p_slug',
                   'p_status', 'p_error_message', 'p_created_at',
                   'p_updated_at', 'p_started_at', 'p_finished_at',
                   'p_input_payload', 'p_expires_at', 'p_template_version',
                   'p_git_commit', 'p_upgraded_from')
end
if not p[1] then
    return {'skip', 'the project is gone', attempt, m[1], s(m[2])}
end

local out = {'ok', attempt, m[1], m[2], s(m[3]), s(m[4]), ep[1], s(ep[2]),
             s(ep[3])}
for i = 1, 14 do out[#out + 1] = s(p[i]) end
out[#out + 1] = s(m[5])
return out
