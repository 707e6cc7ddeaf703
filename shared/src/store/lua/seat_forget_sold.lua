-- KEYS[1] sold, KEYS[2] sold version; ARGV[1] version ttl ms
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
