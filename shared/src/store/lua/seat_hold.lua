-- KEYS[1] holds, KEYS[2] held set, KEYS[3] hold record, KEYS[4] sold, KEYS[5] sold version
-- ARGV[1] user, ARGV[2] ttl ms, ARGV[3] cap, ARGV[4..] seats
local user = ARGV[1]
local status = redis.call('HGET', KEYS[4], '_status')
if not status then
    return {'LOAD', redis.call('GET', KEYS[5]) or '0'}
end
if status ~= 'SCHEDULED' then
    return {'CLOSED', status}
end
local now = now_ms()
local taken = {}
local new = 0
for i = 4, #ARGV do
    local seat = ARGV[i]
    local owner, expires = holder(redis.call('HGET', KEYS[1], seat))
    if redis.call('HEXISTS', KEYS[4], seat) == 1 then
        table.insert(taken, seat)
    elseif owner and expires > now then
        if owner ~= user then table.insert(taken, seat) end
    else
        new = new + 1
    end
end
if #taken > 0 then
    table.insert(taken, 1, 'TAKEN')
    return taken
end
local still_held = 0
for _, seat in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    local owner, expires = holder(redis.call('HGET', KEYS[1], seat))
    if owner == user and expires > now then
        still_held = still_held + 1
    else
        redis.call('SREM', KEYS[2], seat)
    end
end
if still_held + new > tonumber(ARGV[3]) then
    return {'CAP', tostring(still_held)}
end
local ttl = tonumber(ARGV[2])
local value = user .. ':' .. (now + ttl)
for i = 4, #ARGV do
    redis.call('HSET', KEYS[1], ARGV[i], value)
    redis.call('SADD', KEYS[2], ARGV[i])
end
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('HSET', KEYS[3], 'user', user, 'seats', table.concat(ARGV, ',', 4))
redis.call('PEXPIRE', KEYS[3], ttl)
return {'OK', tostring(now + ttl)}
