-- A project deleted, included with "--! include lib/delete.lua" (after
-- lib/stats.lua) by api.lua's delete (DELETE /projects/{id}, reason
-- "api") and by sweep.lua (the retention sweeper, reason "retention"):
-- both delete exactly alike, in the calling script's one atomic step.
--
-- Gone in that step: the record, its id in the owner's index and status
-- set (the quota counts that index: a place is free again), its entry in
-- djass:finished, and its place in the fleet's counts; counted in
-- deleted:<reason>.  A job still queued for it, or a worker generating it,
-- finds no record: the job is cancelled (record_start.lua and
-- record_finish.lua write nothing for a record that is gone, and the
-- worker removes what it made).  A project that got past queued gets a
-- job entry too, so that a worker removes its artifact from the store
-- (nginx never touches the store): the same stream, so a worker that
-- dies on it leaves it pending for another one.  The owner's endpoints
-- that take project.deleted get a message holding the project as it was
-- (the record is gone by the time it is delivered).

-- the project's fields a webhook body is made of, in its order
local DELETE_FIELDS = {'id', 'name', 'slug', 'status', 'error_message',
  'created_at', 'updated_at', 'started_at', 'finished_at',
  'input_payload', 'expires_at', 'template_version', 'git_commit',
  'upgraded_from'}

-- 1 when the project was deleted, 0 when there was none
local function delete_project(id, reason, now, rid)
  local pkey = 'djass:project:' .. id
  local p = redis.call('HMGET', pkey, 'profile', 'status', 'stats')
  if not p[1] then return 0 end
  local snap = redis.call('HMGET', pkey, unpack(DELETE_FIELDS))
  local status = p[2] or ''
  local base = 'djass:profile:' .. p[1] .. ':projects'
  local n = tonumber(id)
  redis.call('DEL', pkey)
  redis.call('ZREM', base, n)
  if status ~= '' then redis.call('ZREM', base .. ':' .. status, n) end
  redis.call('ZREM', 'djass:finished', n)
  if p[3] == '1' and status ~= '' then stat('projects:' .. status, -1) end
  stat('deleted:' .. reason)
  if status ~= 'queued' then
    redis.call('XADD', 'djass:jobs', '*', 'project', id,
      'request_id', rid)
  end
  local eps = redis.call('SMEMBERS', 'djass:profile:' .. p[1]
    .. ':webhooks')
  for _, ep in ipairs(eps) do
    local e = redis.call('HMGET', 'djass:webhook:' .. ep, 'events',
      'disabled')
    if e[1] and e[2] ~= '1' and string.find(',' .. e[1] .. ',',
      ',project.deleted,', 1, true) then
      local msg = 'msg_' .. now .. '_'
        .. redis.call('INCR', 'djass:seq:webhook-msg')
      local set = {'id', msg, 'endpoint', ep, 'project', id,
        'type', 'project.deleted', 'timestamp', now, 'attempts', 0,
        'request_id', rid}
      for i = 1, #DELETE_FIELDS do
        set[#set + 1] = 'p_' .. DELETE_FIELDS[i]
        set[#set + 1] = snap[i] or ''
      end
      redis.call('HSET', 'djass:webhook-msg:' .. msg, unpack(set))
      redis.call('XADD', 'djass:webhooks', '*', 'message', msg)
    end
  end
  return 1
end
