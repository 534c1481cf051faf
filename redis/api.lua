-- The one script every API request of ngx_http_djass_module runs in Redis:
-- authentication, scope, ownership and the operation itself, in one round
-- trip and one atomic step.  Each nginx worker loads it with SCRIPT LOAD
-- when it connects and calls it with EVALSHA.
--
--   key      djass:key:<SHA-256 of the API key, lowercase hex>
--   project  djass:project:<id> for status, get, download and delete; ""
--            for list and create, which name no project
--   op       status, get, download, list, create, delete; fill for the
--            cache;
--            auth and describe for the MCP endpoint
--            (ngx_http_djass_mcp_tools.c)
--   scope    the scope the endpoint requires ("" only for auth: none)
--   now      Unix seconds
--
-- list and create take arguments of their own after these (ARGV.list,
-- ARGV.create, see each branch).
--
-- A reply is a flat array of strings: {"ok", ...} or {"e", reason, ...}
-- with reason auth, scope, notfound, notready, quota, invalid or reused.  Keys are
-- those of doc/redis-layout.md.

--! KEYS key project
--! ARGV op scope now
--! ARGV.list invalid limit offset status
--! ARGV.create invalid quota name slug head fill_email tail idem fp ttl request_id oneshot
--! ARGV.delete request_id

-- a valid key: exists, not revoked, not expired; legacy has every scope.
-- Inline and first, with the status branch right after it: polling is the
-- hottest path, and every function or table defined before it would be
-- built again on every call.
local k = redis.call('HMGET', key, 'profile', 'scopes', 'legacy',
  'revoked_at', 'expires_at')

-- fill (ngx_http_djass_cache.c): the key's and the project's fields as
-- they are, for the nginx cache, which then applies the checks below
-- itself.  expires_at comes as the whole second from which the key is
-- expired ("0": always, "": never), so that nginx compares integers
-- exactly as this script compares numbers.
if op == 'fill' then
  local x = k[5] or ''
  if x ~= '' then
    local e = tonumber(x)
    if not e or e <= 0 then x = '0'
    elseif e ~= e or e >= 2^53 then x = ''
    else x = string.format('%.0f', math.ceil(e)) end
  end
  local p = redis.call('HMGET', project, 'id', 'name', 'slug', 'status',
    'error_message', 'created_at', 'updated_at', 'started_at',
    'finished_at', 'input_payload', 'expires_at', 'profile', 'artifact')
  local out = {'raw', k[1] or '', k[2] or '', k[3] or '', k[4] or '', x,
    p[1] and '1' or '0'}
  for i = 1, 13 do out[#out + 1] = p[i] or '' end
  return out
end

local profile = k[1]
if not profile or profile == '' or (k[4] and k[4] ~= '') then
  return {'e', 'auth'}
end
if k[5] and k[5] ~= '' then
  local e = tonumber(k[5])
  if not e or e <= tonumber(now) then return {'e', 'auth'} end
end
if k[3] ~= '1' and scope ~= '' and not string.find(
  ',' .. (k[2] or '') .. ',', ',' .. scope .. ',', 1, true)
then
  return {'e', 'scope'}
end

-- auth (the MCP endpoint): the key alone, or with a scope when one is
-- given ("" asks none)
if op == 'auth' then return {'ok'} end

-- status: the project's status object
if op == 'status' then
  local p = redis.call('HMGET', project, 'id', 'status', 'error_message',
    'started_at', 'finished_at', 'updated_at', 'profile')
  if not p[1] or p[7] ~= profile then return {'e', 'notfound'} end
  return {'ok', p[1], p[2] or '', p[3] or '', p[4] or '', p[5] or '',
    p[6] or ''}
end

-- the fleet's counts, for delete and create (after status: polling builds
-- no function it does not use)
--! include lib/stats.lua

-- delete (DELETE /projects/{id}): the owner's project is gone, as
-- lib/delete.lua says, in this one step; request_id is the request's
-- X-Request-Id, for the artifact's removal job and the webhooks
if op == 'delete' then
  --! ARGV.delete
  --! include lib/delete.lua
  local o = redis.call('HGET', project, 'profile')
  if not o or o ~= profile then return {'e', 'notfound'} end
  delete_project(string.match(project, '(%d+)$'), 'api', now, request_id)
  return {'ok'}
end

local pk = 'djass:profile:' .. profile

-- the project fields a project object is made of, in reply order (then
-- the owner); expires_at is set when a worker with --retention finished it
local FIELDS = {'id', 'name', 'slug', 'status', 'error_message',
  'created_at', 'updated_at', 'started_at', 'finished_at',
  'input_payload', 'expires_at', 'profile'}

local function s(v)
  if v then return v end
  return ''
end

local function push(out, p)
  for i = 1, 11 do out[#out + 1] = s(p[i]) end
end

-- a JSON string, for the profile's email spliced into input_payload
local function jstr(v)
  local e = string.gsub(v, '[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == '\\' then return '\\\\' end
    return string.format('\\u%04x', string.byte(c))
  end)
  return '"' .. e .. '"'
end

-- get: the project object; describe (the MCP tools) adds the artifact's
-- size and SHA-256 (empty while not ready)
if op == 'get' or op == 'describe' then
  local p = redis.call('HMGET', project, unpack(FIELDS))
  if not p[1] or p[12] ~= profile then return {'e', 'notfound'} end
  local out = {'ok'}
  push(out, p)
  if op == 'describe' then
    local a = redis.call('HMGET', project, 'artifact_size', 'artifact_sha256')
    out[13] = s(a[1])
    out[14] = s(a[2])
  end
  return out
end

-- download: the slug and the artifact's path, once ready
if op == 'download' then
  local p = redis.call('HMGET', project, 'id', 'slug', 'status', 'artifact',
    'profile')
  if not p[1] or p[5] ~= profile then return {'e', 'notfound'} end
  if p[3] ~= 'ready' then return {'e', 'notready', s(p[3])} end
  return {'ok', s(p[2]), s(p[4])}
end

-- list: invalid is "1" when the query was invalid (answered after auth);
-- status is a status or "".  Newest first from the per-profile (per-status)
-- index: the cost is the page, not the total.
if op == 'list' then
  --! ARGV.list
  if invalid == '1' then return {'e', 'invalid'} end
  local index = pk .. ':projects'
  if status ~= '' then index = index .. ':' .. status end
  local total = redis.call('ZCARD', index)
  local out = {'ok', tostring(total)}
  -- offset is decimal digits up to 2^63-1; Lua numbers are doubles, exact
  -- only to 2^53.  No index holds 10^15 entries: a longer offset is past
  -- the end, and a shorter one converts exactly.
  if #offset > 15 then return out end
  offset = tonumber(offset)
  if offset >= total then return out end
  local ids = redis.call('ZREVRANGE', index, offset,
    offset + tonumber(limit) - 1)
  for _, id in ipairs(ids) do
    local p = redis.call('HMGET', 'djass:project:' .. id, unpack(FIELDS))
    if p[1] then push(out, p) end
  end
  return out
end

-- create: invalid is "1" when the payload was invalid (answered after auth
-- and scope), quota the djass_quota default, head the input_payload (or its
-- head), fill_email "1" when author_email is to come from the profile: then
-- the payload is head .. the email as a JSON string .. tail.  request_id is
-- the request's X-Request-Id: the job carries it to the worker's log lines.
-- Quota, id,
-- record, indexes, job and the fleet's count of queued projects
-- (lib/stats.lua; stats = 1 says the record is in those counts): one
-- atomic step.
--
-- idem is the SHA-256 of the request's Idempotency-Key ("" without one),
-- fp the SHA-256 of its effective input, ttl the seconds a 201 is
-- remembered: djass:idem:<profile>:<idem> holds the first answer's values.
-- The same key again is that answer (the reply's last value "1": a replay),
-- before the quota is looked at; with another fp it is "reused"; once that
-- project was deleted, "notfound" with its id (never a second create).
--
-- oneshot "1" (GET /projects.zip, ngx_http_djass_oneshot.c): the key must
-- also have projects:read; idem is derived from the input itself, and the
-- reply is the project as it is now (not the remembered answer) with one
-- more value, the artifact's path once it is ready ("" before).  Its
-- project deleted, the input makes a new one.
if op == 'create' then
  --! ARGV.create
  if oneshot == '1' and k[3] ~= '1' and not string.find(
    ',' .. (k[2] or '') .. ',', ',projects:read,', 1, true)
  then
    return {'e', 'scope', 'projects:read'}
  end
  if invalid == '1' then return {'e', 'invalid'} end
  local pr = redis.call('HMGET', pk, 'id', 'email', 'quota')
  if not pr[1] then return {'e', 'auth'} end
  local ik
  if idem ~= '' then
    ik = 'djass:idem:' .. profile .. ':' .. idem
    local m = redis.call('HMGET', ik, 'fp', 'project', 'name', 'slug',
      'created_at', 'input_payload')
    if m[1] then
      if m[1] ~= fp then return {'e', 'reused'} end
      local pkey = 'djass:project:' .. m[2]
      if oneshot == '1' then
        local p = redis.call('HMGET', pkey, 'id', 'name', 'slug', 'status',
          'error_message', 'created_at', 'updated_at', 'started_at',
          'finished_at', 'input_payload', 'expires_at', 'profile',
          'artifact')
        if p[1] and p[12] == profile then
          local out = {'ok'}
          push(out, p)
          out[#out + 1] = '1'
          if p[4] == 'ready' then out[#out + 1] = s(p[13])
          else out[#out + 1] = '' end
          return out
        end
        redis.call('DEL', ik)
      elseif redis.call('EXISTS', pkey) == 0 then
        return {'e', 'notfound', m[2]}
      else
        return {'ok', m[2], m[3], m[4], 'queued', '', m[5], m[5],
          '', '', m[6], '', '1'}
      end
    end
  end
  quota = tonumber(pr[3]) or tonumber(quota)
  if redis.call('ZCARD', pk .. ':projects') >= quota then
    return {'e', 'quota', tostring(quota)}
  end
  local payload = head
  if fill_email == '1' then
    payload = payload .. jstr(s(pr[2])) .. tail
  end
  local id = tostring(redis.call('INCR', 'djass:seq:project'))
  redis.call('HSET', 'djass:project:' .. id, 'id', id,
    'profile', profile, 'name', name, 'slug', slug,
    'status', 'queued', 'error_message', '', 'created_at', now,
    'updated_at', now, 'started_at', '', 'finished_at', '',
    'input_payload', payload, 'attempts', '0', 'stats', '1')
  stat('projects:queued')
  redis.call('ZADD', pk .. ':projects', id, id)
  redis.call('ZADD', pk .. ':projects:queued', id, id)
  redis.call('XADD', 'djass:jobs', '*', 'project', id,
    'request_id', request_id)
  if ik then
    redis.call('HSET', ik, 'fp', fp, 'project', id, 'name', name,
      'slug', slug, 'created_at', now, 'input_payload', payload)
    redis.call('EXPIRE', ik, ttl)
  end
  local out = {'ok', id, name, slug, 'queued', '', now, now,
    '', '', payload, '', '0'}
  if oneshot == '1' then out[#out + 1] = '' end
  return out
end

return redis.error_reply('djass: unknown operation')
