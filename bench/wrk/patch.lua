-- SPDX-License-Identifier: MIT
-- PATCH /Users/{id} deactivate then reactivate (Okta's shape: replace
-- with a value object), on random users. Args: IDS_FILE
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local ids, base, k = nil, "", 0
setup = C.setup
local body = '{"schemas":["' .. C.PATCHOP .. '"],"Operations":[{"op":'
   .. '"replace","value":{"active":%s}}]}'

function init(args)
   C.seed()
   ids = C.load_ids(args[1])
   base = C.base() .. "/Users/"
   C.headers(true)
end

function request()
   k = k + 1
   local v = (k % 2 == 1) and "false" or "true"
   return wrk.format("PATCH", base .. ids[math.random(#ids)], nil,
                     string.format(body, v))
end
