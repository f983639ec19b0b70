-- SPDX-License-Identifier: MIT
-- Write-heavy provisioning mix: 50% POST, 25% PATCH active, 15% PUT,
-- 10% GET by id. Args: IDS_FILE
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local ids, names, base, t, k, tag = nil, nil, "", 0, 0, ""
setup = C.setup
local patch = '{"schemas":["' .. C.PATCHOP .. '"],"Operations":[{"op":'
   .. '"replace","value":{"active":%s}}]}'

function init(args)
   t = C.seed()
   ids, names = C.load_ids(args[1])
   tag = string.format("%x%04x", os.time(), math.random(65535))
   base = C.base() .. "/Users"
   C.headers(true)
end

function request()
   local r, i = math.random(100), math.random(#ids)
   k = k + 1
   if r <= 50 then
      local name = string.format("m%s-%d-%d@bench.example.com", tag, t, k)
      return wrk.format("POST", base, nil, C.user(name, t * 100000000 + k))
   elseif r <= 75 then
      return wrk.format("PATCH", base .. "/" .. ids[i], nil,
                        string.format(patch, (k % 2 == 0) and "true"
                                      or "false"))
   elseif r <= 90 then
      return wrk.format("PUT", base .. "/" .. ids[i], nil,
                        C.user(names[i], i * 31 + k, ids[i]))
   end
   return wrk.format("GET", base .. "/" .. ids[i])
end
