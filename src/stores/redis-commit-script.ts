/**
 * The compare-and-set commit of {@link RedisLocationStore}, run atomically by Redis (RFC 3261
 * §10.3: concurrent REGISTERs of one AOR never lose a binding).
 *
 * KEYS[1] the AOR's hash; KEYS[2] (single Redis only) the expiry index, kept exact here.
 * ARGV: 1 expected version (`''`: the AOR must be absent), 2 new version, 3 PEXPIREAT of the hash
 * (`'0'`: none), 4 earliest expiry of the bindings (index score), 5 the AOR (index member),
 * 6 notice channel (`''`: none), 7 notice, 8… the bindings as JSON (none: delete the AOR).
 * Returns 1 when committed, 0 on a version mismatch (nothing written).
 */
export const REDIS_COMMIT_SCRIPT = `
local key = KEYS[1]
local current = redis.call('HGET', key, 'v')
if (current or '') ~= ARGV[1] then return 0 end
redis.call('DEL', key)
local n = #ARGV - 7
if n > 0 then
  local fields = {'v', ARGV[2]}
  for i = 1, n do
    fields[2 * i + 1] = tostring(i - 1)
    fields[2 * i + 2] = ARGV[i + 7]
  end
  redis.call('HSET', key, unpack(fields))
  if ARGV[3] ~= '0' then redis.call('PEXPIREAT', key, ARGV[3]) end
  if KEYS[2] then redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5]) end
elseif KEYS[2] then
  redis.call('ZREM', KEYS[2], ARGV[5])
end
if ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[6], ARGV[7]) end
return 1
`;
