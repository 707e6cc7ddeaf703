-- KEYS[1] epoch, KEYS[2] flight → queries; ARGV[1..3] the key prefixes of the items, meta and flat rows
-- (a query hash completes each): drops every cached search the flight is in.
redis.call('INCR', KEYS[1])
local hashes = redis.call('SMEMBERS', KEYS[2])
for _, h in ipairs(hashes) do
    redis.call('DEL', ARGV[1] .. h, ARGV[2] .. h, ARGV[3] .. h)
end
redis.call('DEL', KEYS[2])
return #hashes
