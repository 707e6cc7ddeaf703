-- KEYS[1] holds, KEYS[2] held set, KEYS[3] sold, KEYS[4] sold version
-- ARGV[1] user, ARGV[2] booking id, ARGV[3] version ttl ms, ARGV[4..] seats
local loaded = redis.call('EXISTS', KEYS[3]) == 1
for i = 4, #ARGV do
    if loaded then redis.call('HSET', KEYS[3], ARGV[i], ARGV[2]) end
    local owner = holder(redis.call('HGET', KEYS[1], ARGV[i]))
    if owner == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[i]) end
    redis.call('SREM', KEYS[2], ARGV[i])
end
redis.call('INCR', KEYS[4])
redis.call('PEXPIRE', KEYS[4], ARGV[3])
return 1
