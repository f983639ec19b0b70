-- SPDX-License-Identifier: MIT
-- Group membership churn on one group: each request adds one pool user
-- or removes it again (members[value eq "..."]), so the group keeps its
-- size. Every thread owns its own slice of the pool, walked in order,
-- so the add and the remove of one user never race.
-- Limitation: this times an add and a remove in turn, not adds alone; a
-- run of adds alone would grow the group of 10 into the thousands.
-- Args: GROUP_ID POOL_FILE N_THREADS
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local C = dofile(dir .. "common.lua")
local mine, url, k, j = {}, "", 0, 1
setup = C.setup
local add = '{"schemas":["' .. C.PATCHOP .. '"],"Operations":[{"op":"add",'
   .. '"path":"members","value":[{"value":"%s"}]}]}'
local del = '{"schemas":["' .. C.PATCHOP .. '"],"Operations":[{"op":'
   .. '"remove","path":"members[value eq \\"%s\\"]"}]}'

function init(args)
   local t = C.seed()
   local nt = tonumber(args[3]) or 2
   local pool = C.load_ids(args[2])
   for i = 1, #pool do
      if (i - 1) % nt == t % nt then mine[#mine + 1] = pool[i] end
   end
   url = C.base() .. "/Groups/" .. args[1]
   C.headers(true)
end

function request()
   local id = mine[j]
   k = k + 1
   if k % 2 == 1 then
      return wrk.format("PATCH", url, nil, string.format(add, id))
   end
   j = j % #mine + 1
   return wrk.format("PATCH", url, nil, string.format(del, id))
end
