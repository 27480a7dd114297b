-- wrk script: the social-graph workload of issue 13 against followd.
--   followers / following pages of users drawn with a Zipf skew (max_results 100, or 1000 for
--   PAGE1000 percent of them), deep pages replayed from real pagination tokens, users lookups,
--   and WRITES percent follows/unfollows by writer users.
-- env:
--   WL_BEARER   app-only bearer token (reads)
--   WL_RANKS    file: user ids, most followed first (Zipf rank 1 = first line)
--   WL_DEEP     file: "path<TAB>token" lines of real next_token pages (may be empty)
--   WL_WRITERS  file: "user_id<TAB>access_token" lines (OAuth 2.0 user tokens)
--   WL_WRITES, WL_DEEP_SHARE, WL_LOOKUPS, WL_PAGE1000, WL_FOLLOWING percentages (default 0, 10, 10, 10, 30;
--               WL_FOLLOWING is the share of list pages that are following rather than followers lists)
--   WL_THREADS  wrk threads (writers are split between them)
--   WL_SEED     base seed; every thread seeds its own generator with WL_SEED + thread number, so the
--               threads draw different sequences (two threads replaying one sequence flatter a cache)
local function lines(path)
  local t = {}
  if path and path ~= "" then
    for l in io.lines(path) do if l ~= "" then t[#t + 1] = l end end
  end
  return t
end
local function pct(name, default) return (tonumber(os.getenv(name) or "") or default) / 100 end

-- WL_RATE (optional): the offered load in requests/s over all WL_CONNS connections. Each connection pauses
-- WL_CONNS / WL_RATE seconds before each request, so the achieved rate is a little below WL_RATE (the pause
-- adds to the response time); bench/workload.sh corrects the target once from the first run's rate.
local rate, conns = tonumber(os.getenv("WL_RATE") or ""), tonumber(os.getenv("WL_CONNS") or "")
if rate and rate > 0 and conns then
  local pause_ms = 1000 * conns / rate
  function delay() return pause_ms end
end

local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local deep, writers, bearer
-- The ranking: read by offset when every line has one width (gen-graph's ids all have 11 digits), so a
-- thread's init stays instant at 10 M users; wrk starts each thread as soon as its init returns, and a
-- slow init of the second thread let the first run longer than the measured duration (rates of the 100 M
-- graph were overstated, and WL_RATE pacing looked broken). Loaded into a table otherwise.
local ranks_file, rank_width, nranks, ranks_tab

local function open_ranks(path)
  local f = io.open(path, "rb")
  local first = f:read("*l")
  local size = f:seek("end")
  local w = first and (#first + 1) or 0
  f:seek("set", size - w)
  local last = w > 0 and f:read("*l") or nil
  if w > 1 and size % w == 0 and last and #last == #first then
    ranks_file, rank_width, nranks = f, w, math.floor(size / w)
  else
    f:close()
    ranks_tab = lines(path)
    nranks = #ranks_tab
  end
end

local function rank(r)
  if ranks_tab then return ranks_tab[r] end
  ranks_file:seek("set", (r - 1) * rank_width)
  return ranks_file:read(rank_width - 1)
end
local writes, deep_share, lookups, page1000, following_share
local nthreads_writers, my_writers, following = 0, {}, {}
local logN

function init(args)
  math.randomseed((tonumber(os.getenv("WL_SEED") or "") or 1) + 7919 * (tid or 0))
  open_ranks(os.getenv("WL_RANKS"))
  deep = lines(os.getenv("WL_DEEP"))
  bearer = { ["Authorization"] = "Bearer " .. os.getenv("WL_BEARER") }
  writes, deep_share = pct("WL_WRITES", 0), pct("WL_DEEP_SHARE", 10)
  lookups, page1000 = pct("WL_LOOKUPS", 10), pct("WL_PAGE1000", 10)
  following_share = pct("WL_FOLLOWING", 30)
  logN = math.log(nranks + 1)
  -- Writers are split between threads, so no two threads toggle the same edge.
  local all = lines(os.getenv("WL_WRITERS"))
  local nt = tonumber(os.getenv("WL_THREADS") or "2")
  for i = 1, #all do
    if (i - 1) % nt == (tid or 0) then
      local id, tok = all[i]:match("^(%d+)\t(.+)$")
      my_writers[#my_writers + 1] = { id = id, hdr = { ["Authorization"] = "Bearer " .. tok,
                                                       ["Content-Type"] = "application/json" } }
    end
  end
end

-- Zipf (s = 1) over ranks 1..N by inversion of the continuous law: P(rank <= k) = ln(k + 1) / ln(N + 1).
local function zipf_user()
  local r = math.floor(math.exp(math.random() * logN))
  if r > nranks then r = nranks end
  if r < 1 then r = 1 end
  return rank(r)
end

function request()
  local x = math.random()
  if x < writes and #my_writers > 0 then
    local w = my_writers[math.random(#my_writers)]
    local target = zipf_user()
    if target == w.id then target = rank(1) == w.id and rank(2) or rank(1) end
    local key = w.id .. ">" .. target
    if following[key] then
      following[key] = nil
      return wrk.format("DELETE", "/2/users/" .. w.id .. "/following/" .. target, w.hdr)
    end
    following[key] = true
    return wrk.format("POST", "/2/users/" .. w.id .. "/following", w.hdr, '{"target_user_id":"' .. target .. '"}')
  end
  x = x - writes
  if x < deep_share and #deep > 0 then
    local path, token = deep[math.random(#deep)]:match("^([^\t]+)\t(.+)$")
    return wrk.format("GET", path .. "&pagination_token=" .. token, bearer)
  end
  x = x - deep_share
  if x < lookups then
    local ids, seen = {}, {}
    for i = 1, 10 do
      local u = zipf_user()
      if not seen[u] then seen[u] = true; ids[#ids + 1] = u end
    end
    return wrk.format("GET", "/2/users?ids=" .. table.concat(ids, ",") .. "&user.fields=public_metrics", bearer)
  end
  local list = math.random() < following_share and "following" or "followers"
  local n = math.random() < page1000 and 1000 or 100
  return wrk.format("GET", "/2/users/" .. zipf_user() .. "/" .. list .. "?max_results=" .. n, bearer)
end

-- One JSON line for bench/workload.sh: throughput, errors and the latency distribution (microseconds).
function done(summary, latency, requests)
  local p = {}
  for _, q in ipairs({ 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99 }) do
    p[#p + 1] = string.format('"%s":%d', tostring(q), latency:percentile(q))
  end
  local errs = summary.errors
  io.write(string.format('WL_RESULT {"requests":%d,"seconds":%.3f,"non2xx":%d,"socket_errors":%d,"latency_us":{%s}}\n',
    summary.requests, summary.duration / 1e6, errs.status, errs.connect + errs.read + errs.write + errs.timeout,
    table.concat(p, ",")))
end
