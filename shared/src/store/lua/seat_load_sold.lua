-- KEYS[1] sold, KEYS[2] sold version
-- ARGV[1] version read before Postgres, ARGV[2] ttl ms, ARGV[3] status, ARGV[4..] seat, booking…
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '_status', ARGV[3], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
