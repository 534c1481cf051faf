    /*
     * The one Lua script every API request runs in Redis: authentication,
     * scope, ownership and the operation itself, in one round trip and one
     * atomic step.  Each worker loads it with SCRIPT LOAD when it connects and
     * calls it with EVALSHA.
     *
     *   ARGV[1] operation: status, get, download, list, create
     *   ARGV[2] SHA-256 of the API key (lowercase hex)
     *   ARGV[3] the scope the endpoint requires
     *   ARGV[4] now, Unix seconds
     *   ARGV[5...] the operation's own arguments (see each branch)
     *
     * A reply is a flat array of strings: {"ok", ...} or {"e", reason, ...}
     * with reason auth, scope, notfound, notready, quota or invalid.  Keys are
     * those of doc/redis-layout.md.
     */


#include "ngx_http_djass_module.h"


ngx_str_t  ngx_http_djass_script = ngx_string(
    "local op, now = ARGV[1], ARGV[4]\n"

    /*
     * a valid key: exists, not revoked, not expired; legacy has every
     * scope.  Inline and first, with the status branch right after it:
     * polling is the hottest path, and every function or table defined
     * before it would be built again on every call.
     */
    "local k = redis.call('HMGET', 'djass:key:' .. ARGV[2], 'profile',\n"
    "  'scopes', 'legacy', 'revoked_at', 'expires_at')\n"
    "local profile = k[1]\n"
    "if not profile or profile == '' or (k[4] and k[4] ~= '') then\n"
    "  return {'e', 'auth'}\n"
    "end\n"
    "if k[5] and k[5] ~= '' then\n"
    "  local e = tonumber(k[5])\n"
    "  if not e or e <= tonumber(now) then return {'e', 'auth'} end\n"
    "end\n"
    "if k[3] ~= '1' and not string.find(',' .. (k[2] or '') .. ',',\n"
    "  ',' .. ARGV[3] .. ',', 1, true)\n"
    "then\n"
    "  return {'e', 'scope'}\n"
    "end\n"

    /* status: ARGV[5] id */
    "if op == 'status' then\n"
    "  local p = redis.call('HMGET', 'djass:project:' .. ARGV[5], 'id',\n"
    "    'status', 'error_message', 'started_at', 'finished_at',\n"
    "    'updated_at', 'profile')\n"
    "  if not p[1] or p[7] ~= profile then return {'e', 'notfound'} end\n"
    "  return {'ok', p[1], p[2] or '', p[3] or '', p[4] or '', p[5] or '',\n"
    "    p[6] or ''}\n"
    "end\n"

    "local pk = 'djass:profile:' .. profile\n"

    /* the project fields a project object is made of, in reply order */
    "local FIELDS = {'id', 'name', 'slug', 'status', 'error_message',\n"
    "  'created_at', 'updated_at', 'started_at', 'finished_at',\n"
    "  'input_payload', 'profile'}\n"

    "local function s(v)\n"
    "  if v then return v end\n"
    "  return ''\n"
    "end\n"

    "local function push(out, p)\n"
    "  for i = 1, 10 do out[#out + 1] = s(p[i]) end\n"
    "end\n"

    /* a JSON string, for the profile's email spliced into input_payload */
    "local function jstr(v)\n"
    "  local e = string.gsub(v, '[%c\"\\\\]', function(c)\n"
    "    if c == '\"' then return '\\\\\"' end\n"
    "    if c == '\\\\' then return '\\\\\\\\' end\n"
    "    return string.format('\\\\u%04x', string.byte(c))\n"
    "  end)\n"
    "  return '\"' .. e .. '\"'\n"
    "end\n"

    /* get: ARGV[5] id */
    "if op == 'get' then\n"
    "  local p = redis.call('HMGET', 'djass:project:' .. ARGV[5],\n"
    "    unpack(FIELDS))\n"
    "  if not p[1] or p[11] ~= profile then return {'e', 'notfound'} end\n"
    "  local out = {'ok'}\n"
    "  push(out, p)\n"
    "  return out\n"
    "end\n"

    /* download: ARGV[5] id */
    "if op == 'download' then\n"
    "  local p = redis.call('HMGET', 'djass:project:' .. ARGV[5], 'id',\n"
    "    'slug', 'status', 'artifact', 'profile')\n"
    "  if not p[1] or p[5] ~= profile then return {'e', 'notfound'} end\n"
    "  if p[3] ~= 'ready' then return {'e', 'notready', s(p[3])} end\n"
    "  return {'ok', s(p[2]), s(p[4])}\n"
    "end\n"

    /*
     * list: ARGV[5] "1" when the query was invalid (answered after
     * auth), ARGV[6] limit, ARGV[7] offset, ARGV[8] status or "".  Newest
     * first from the per-profile (per-status) index: the cost is the
     * page, not the total.
     */
    "if op == 'list' then\n"
    "  if ARGV[5] == '1' then return {'e', 'invalid'} end\n"
    "  local index = pk .. ':projects'\n"
    "  if ARGV[8] ~= '' then index = index .. ':' .. ARGV[8] end\n"
    "  local offset = tonumber(ARGV[7])\n"
    "  local total = redis.call('ZCARD', index)\n"
    "  local out = {'ok', tostring(total)}\n"
    "  if offset >= total then return out end\n"
    "  local ids = redis.call('ZREVRANGE', index, offset,\n"
    "    offset + tonumber(ARGV[6]) - 1)\n"
    "  for _, id in ipairs(ids) do\n"
    "    local p = redis.call('HMGET', 'djass:project:' .. id,\n"
    "      unpack(FIELDS))\n"
    "    if p[1] then push(out, p) end\n"
    "  end\n"
    "  return out\n"
    "end\n"

    /*
     * create: ARGV[5] "1" when the payload was invalid (answered after
     * auth and scope), ARGV[6] the djass_quota default, ARGV[7] name,
     * ARGV[8] slug, ARGV[9] input_payload (or its head), ARGV[10] "1"
     * when author_email is to come from the profile: then the payload is
     * ARGV[9] .. the email as a JSON string .. ARGV[11].  Quota, id,
     * record, indexes and job: one atomic step.
     */
    "if op == 'create' then\n"
    "  if ARGV[5] == '1' then return {'e', 'invalid'} end\n"
    "  local pr = redis.call('HMGET', pk, 'id', 'email', 'quota')\n"
    "  if not pr[1] then return {'e', 'auth'} end\n"
    "  local quota = tonumber(pr[3]) or tonumber(ARGV[6])\n"
    "  if redis.call('ZCARD', pk .. ':projects') >= quota then\n"
    "    return {'e', 'quota', tostring(quota)}\n"
    "  end\n"
    "  local payload = ARGV[9]\n"
    "  if ARGV[10] == '1' then\n"
    "    payload = payload .. jstr(s(pr[2])) .. ARGV[11]\n"
    "  end\n"
    "  local id = tostring(redis.call('INCR', 'djass:seq:project'))\n"
    "  redis.call('HSET', 'djass:project:' .. id, 'id', id,\n"
    "    'profile', profile, 'name', ARGV[7], 'slug', ARGV[8],\n"
    "    'status', 'queued', 'error_message', '', 'created_at', now,\n"
    "    'updated_at', now, 'started_at', '', 'finished_at', '',\n"
    "    'input_payload', payload, 'attempts', '0')\n"
    "  redis.call('ZADD', pk .. ':projects', id, id)\n"
    "  redis.call('ZADD', pk .. ':projects:queued', id, id)\n"
    "  redis.call('XADD', 'djass:jobs', '*', 'project', id)\n"
    "  return {'ok', id, ARGV[7], ARGV[8], 'queued', '', now, now,\n"
    "    '', '', payload}\n"
    "end\n"

    "return redis.error_reply('djass: unknown operation')\n"
);
