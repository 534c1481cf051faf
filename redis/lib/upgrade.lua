-- Issue 25: the upgrade of project (POST /projects/{id}/upgrade), a branch
-- of api.lua.  A new project made from the old one's stored answers with
-- the given ones over them, on nginx's template version, whose job's
-- parent_commit is the old project's git commit: the same atomic step as
-- a create (quota, id, record, indexes, job, the fleet's count).
--
--   invalid   "1": the body was invalid (answered after auth and scope)
--   quota     the djass_quota default
--   answers   the changed answers, a JSON object of strings (checked
--             against the catalog by nginx)
--   keys      the catalog's option keys in its order, a JSON array: the
--             new input_payload holds those, in that order (an answer the
--             template no longer has is left out; one it added is left to
--             its default, as a create's)
--   template_version, manifest, request_id  as a create's
--
-- The old project must be the caller's (else notfound) and ready (else
-- notready with its status: its commit is the new one's parent).  With the
-- same template version and no answer that differs from the stored one:
-- current.  The reply is a create's.
if invalid == '1' then return {'e', 'invalid'} end
local o = redis.call('HMGET', project, 'id', 'profile', 'status',
  'input_payload', 'template_version', 'git_commit', 'name', 'slug')
if not o[1] or o[2] ~= profile then return {'e', 'notfound'} end
if o[3] ~= 'ready' then return {'e', 'notready', s(o[3])} end
local okold, old = pcall(cjson.decode, s(o[4]))
if not okold or type(old) ~= 'table' then old = {} end
local given = cjson.decode(answers)
local changed = false
for k, v in pairs(given) do
  if old[k] ~= v then changed = true end
end
if not changed and s(o[5]) == template_version then
  return {'e', 'current', s(o[5])}
end
local pr = redis.call('HMGET', pk, 'id', 'quota')
if not pr[1] then return {'e', 'auth'} end
quota = tonumber(pr[2]) or tonumber(quota)
if redis.call('ZCARD', pk .. ':projects') >= quota then
  return {'e', 'quota', tostring(quota)}
end
local parts = {}
for _, k in ipairs(cjson.decode(keys)) do
  local v = given[k]
  if v == nil then v = old[k] end
  if type(v) == 'string' then
    parts[#parts + 1] = jstr(k) .. ':' .. jstr(v)
  end
end
local payload = '{' .. table.concat(parts, ',') .. '}'
local name = given['project_name'] or o[7]
local slug = given['project_slug'] or o[8]
local id = queue_project(name, slug, payload, template_version, manifest,
  request_id, {'upgraded_from', o[1], 'parent_commit', s(o[6])},
  {'parent_commit', s(o[6])})
return {'ok', id, name, slug, 'queued', '', now, now,
  '', '', payload, '', template_version, '', o[1], '0'}
