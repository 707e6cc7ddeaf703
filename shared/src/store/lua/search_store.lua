-- KEYS[1] epoch, KEYS[2] items, KEYS[3] meta, KEYS[4] flat rows, KEYS[5..] flight → queries
-- ARGV[1] epoch read, ARGV[2] ttl ms, ARGV[3] meta, ARGV[4] query hash, ARGV[5] item count,
-- ARGV[6..] items, then as many flat rows
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2], KEYS[4])
local n = tonumber(ARGV[5])
if n > 0 then
    redis.call('RPUSH', KEYS[2], unpack(ARGV, 6, 5 + n))
    redis.call('RPUSH', KEYS[4], unpack(ARGV, 6 + n, 5 + 2 * n))
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
    redis.call('PEXPIRE', KEYS[4], ARGV[2])
end
redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[2])
for i = 5, #KEYS do
    redis.call('SADD', KEYS[i], ARGV[4])
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
return 1
