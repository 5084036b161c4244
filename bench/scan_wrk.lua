-- wrk script for bench/scan_bench.py: each wrk thread posts the scans of its share of the token
-- file (one token per line) with a fresh nonce, rotating the scanner devices' bearer tokens.
-- Arguments: TOKEN_FILE DEVICE_FILE THREADS LIST_SLUG
local tokens, devices = {}, {}
local threads, position, counter, list_slug = 1, 0, 0, ""

local function read_lines(path, into)
  for line in io.lines(path) do into[#into + 1] = line end
end

local started = 0
function setup(thread)
  thread:set("thread_id", started)  -- a global in that thread's own Lua state
  started = started + 1
end

function init(args)
  read_lines(args[1], tokens)
  read_lines(args[2], devices)
  threads = tonumber(args[3])
  list_slug = args[4]
  position = thread_id
  math.randomseed(os.time() + thread_id * 7919)
end

function request()
  local token = tokens[(position % #tokens) + 1]
  position = position + threads
  counter = counter + 1
  local nonce = string.format("wrk-%d-%d-%08x%08x", thread_id, counter,
    math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  local body = '{"token":"' .. token .. '","list":"' .. list_slug ..
    '","direction":"in","nonce":"' .. nonce .. '"}'
  return wrk.format("POST", "/api/checkin/scan", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. devices[(counter % #devices) + 1],
  }, body)
end
