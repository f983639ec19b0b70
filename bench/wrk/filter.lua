-- SPDX-License-Identifier: MIT
-- GET /Users?filter=userName eq "..." for a random seeded user (names
-- follow bench/gen.c: user%07d@example.com). Args: N_USERS
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local n, base
setup = C.setup

function init(args)
   C.seed()
   n = tonumber(args[1]) or 10000
   base = C.base() .. "/Users?filter=userName%20eq%20%22user"
   C.headers(false)
end

function request()
   return wrk.format("GET", base .. string.format("%07d", math.random(n) - 1)
                     .. "%40example.com%22&startIndex=1&count=100")
end
