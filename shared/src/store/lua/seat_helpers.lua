-- Shared by the seat scripts: now_ms() from the server's clock, and
-- holder(value) -> user, expiry of a `holds` entry.
local function now_ms()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function holder(value)
    if not value then return nil, 0 end
    local sep = string.find(value, ':', 1, true)
    return string.sub(value, 1, sep - 1), tonumber(string.sub(value, sep + 1))
end
