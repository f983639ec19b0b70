-- SPDX-License-Identifier: MIT
-- POST /Users with a fresh 1.2 KB User; names are unique per run, thread
-- and request. Args: none
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local t, k, tag, base = 0, 0, "", ""
setup = C.setup

function init(args)
   t = C.seed()
   tag = string.format("%x%04x", os.time(), math.random(65535))
   base = C.base() .. "/Users"
   C.headers(true)
end

function request()
   k = k + 1
   local name = string.format("p%s-%d-%d@bench.example.com", tag, t, k)
   return wrk.format("POST", base, nil, C.user(name, t * 100000000 + k))
end
