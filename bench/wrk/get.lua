-- SPDX-License-Identifier: MIT
-- GET /Users/{id} for a random id of the list. Args: IDS_FILE
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local ids, base
setup = C.setup

function init(args)
   C.seed()
   ids = C.load_ids(args[1])
   base = C.base() .. "/Users/"
   C.headers(false)
end

function request()
   return wrk.format("GET", base .. ids[math.random(#ids)])
end
