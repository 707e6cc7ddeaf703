-- KEYS[1] holds, KEYS[2] held set; ARGV[1] user → seat, ms left, seat, ms left…
local now = now_ms()
local mine = {}
for _, seat in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    local owner, expires = holder(redis.call('HGET', KEYS[1], seat))
    if owner == ARGV[1] and expires > now then
        table.insert(mine, seat)
        table.insert(mine, tostring(expires - now))
    end
end
return mine
