-- Redis's best query for the page bench/workload.sh measures: a Zipf-drawn user's newest 100 followers
-- (ZREVRANGE of the sorted set scored by edge sequence) joined to their users with one MGET.
-- redis-benchmark calls it as EVALSHA sha 0 U RANGE NRANKS with U uniform in [0, RANGE), and the script
-- draws the rank with the same inversion bench/workload.lua uses: P(rank <= k) = ln(k + 1) / ln(N + 1).
local n = tonumber(ARGV[3])
local r = math.floor(math.exp(tonumber(ARGV[1]) / tonumber(ARGV[2]) * math.log(n + 1)))
if r < 1 then r = 1 end
if r > n then r = n end
local id = redis.call('HGET', 'rk', r)
local ids = redis.call('ZREVRANGE', 'fo:' .. id, 0, 99)
if #ids == 0 then return {} end
local keys = {}
for i, x in ipairs(ids) do keys[i] = 'u:' .. x end
return { ids, redis.call('MGET', unpack(keys)) }
