-- KEYS[1] holds, KEYS[2] held set; ARGV[1] user, ARGV[2..] seats
local now = now_ms()
local released = {}
for i = 2, #ARGV do
    local owner, expires = holder(redis.call('HGET', KEYS[1], ARGV[i]))
    if owner == ARGV[1] then
        redis.call('HDEL', KEYS[1], ARGV[i])
        if expires > now then table.insert(released, ARGV[i]) end
    end
    redis.call('SREM', KEYS[2], ARGV[i])
end
return released
