-- wrk script: alternate follow and unfollow of a list of targets by one user,
-- so every request is a real, durable graph write.
-- env: FOLLOWD_TOKEN, FOLLOWD_USER, FOLLOWD_TARGETS (file with one id per line)
local token = os.getenv("FOLLOWD_TOKEN")
local user = os.getenv("FOLLOWD_USER")
local targets = {}
for line in io.lines(os.getenv("FOLLOWD_TARGETS")) do targets[#targets + 1] = line end
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  thread_id = tid or 0
end

function request()
  counter = counter + 1
  -- threads use disjoint halves of the target list so they do not undo each other
  local n = math.floor(#targets / 2)
  local t = targets[thread_id * n + (math.floor((counter - 1) / 2) % n) + 1]
  local hdr = { ["Authorization"] = "Bearer " .. token }
  if counter % 2 == 1 then
    hdr["Content-Type"] = "application/json"
    return wrk.format("POST", "/2/users/" .. user .. "/following", hdr, '{"target_user_id":"' .. t .. '"}')
  end
  return wrk.format("DELETE", "/2/users/" .. user .. "/following/" .. t, hdr)
end
