-- SPDX-License-Identifier: MIT
-- Okta import: GET /Users?startIndex=S&count=100 for a random page of
-- the N users, so every offset is measured, deep ones included.
-- Args: N_USERS
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local pages, base
setup = C.setup

function init(args)
   C.seed()
   pages = math.max(1, math.floor((tonumber(args[1]) or 10000) / 100))
   base = C.base() .. "/Users?startIndex="
   C.headers(false)
end

function request()
   return wrk.format("GET", base .. (1 + 100 * (math.random(pages) - 1))
                     .. "&count=100")
end
