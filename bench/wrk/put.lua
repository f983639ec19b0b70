-- SPDX-License-Identifier: MIT
-- PUT /Users/{id}: a full profile push of a random user, keeping its
-- userName and changing other attributes. Args: IDS_FILE
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local ids, names, base, k = nil, nil, "", 0
setup = C.setup

function init(args)
   C.seed()
   ids, names = C.load_ids(args[1])
   base = C.base() .. "/Users/"
   C.headers(true)
end

function request()
   local i = math.random(#ids)
   k = k + 1
   return wrk.format("PUT", base .. ids[i], nil,
                     C.user(names[i], i * 31 + k, ids[i]))
end
