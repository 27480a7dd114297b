-- wrk script: durable follows and unfollows, every request a real graph change.
-- Each wrk thread owns a disjoint set of (writer, target) pairs and walks them
-- in rounds: round 0 follows every pair, round 1 unfollows it, and so on, so the
-- follow and the unfollow of one pair are a whole round apart (never in flight
-- together unless a thread has fewer pairs than connections).
-- env: FOLLOWD_WRITERS  file of "user_id<TAB>access_token" lines (user-context tokens)
--      FOLLOWD_TARGETS  file with one target user id per line (public accounts)
--      FOLLOWD_THREADS  wrk's -t (writers are split between threads)
local function lines(path)
  local t = {}
  for l in io.lines(path) do t[#t + 1] = l end
  return t
end

local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local writers, targets = {}, {}
local counter = 0

function init(args)
  local nthreads = tonumber(os.getenv("FOLLOWD_THREADS") or "1")
  local me = tid or 0
  for i, l in ipairs(lines(os.getenv("FOLLOWD_WRITERS"))) do
    if (i - 1) % nthreads == me then
      local id, tok = l:match("^(%d+)\t(%S+)$")
      writers[#writers + 1] = { id = id, auth = "Bearer " .. tok }
    end
  end
  targets = lines(os.getenv("FOLLOWD_TARGETS"))
  assert(#writers > 0, "fewer writers than wrk threads")
end

function request()
  local npairs = #writers * #targets
  local p = counter % npairs
  local round = math.floor(counter / npairs)
  counter = counter + 1
  local w = writers[p % #writers + 1]
  local t = targets[math.floor(p / #writers) + 1]
  if round % 2 == 0 then
    return wrk.format("POST", "/2/users/" .. w.id .. "/following",
                      { ["Authorization"] = w.auth, ["Content-Type"] = "application/json" },
                      '{"target_user_id":"' .. t .. '"}')
  end
  return wrk.format("DELETE", "/2/users/" .. w.id .. "/following/" .. t, { ["Authorization"] = w.auth })
end
