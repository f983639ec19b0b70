-- SPDX-License-Identifier: MIT
-- Shared helpers of the wrk scripts: loading the "id<TAB>userName" list,
-- the bearer token (BENCH_TOKEN), per-thread numbering and the 1.2 KB
-- User body that POST and PUT send (the same shape as bench/gen.c).
local M = {}

M.CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
M.ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
M.PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

function M.headers(json)
   local token = os.getenv("BENCH_TOKEN")
   if token and token ~= "" then
      wrk.headers["Authorization"] = "Bearer " .. token
   end
   wrk.headers["Accept"] = "application/scim+json"
   if json then
      wrk.headers["Content-Type"] = "application/scim+json"
   end
end

-- Reads the id list; returns two arrays (ids, userNames).
function M.load_ids(path)
   local ids, names = {}, {}
   local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
   for line in f:lines() do
      local id, name = line:match("^([^\t]+)\t?(.*)$")
      if id then
         ids[#ids + 1] = id
         names[#names + 1] = name
      end
   end
   f:close()
   assert(#ids > 0, "empty id list " .. path)
   return ids, names
end

-- Every thread numbers itself, so that generated names never collide.
local counter = 0
function M.setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
end

function M.seed()
   local t = tid or 0
   math.randomseed(os.time() * 7919 + t * 104729 + os.clock() * 1e6)
   return t
end

function M.user(userName, n, id)
   local ext = string.format("00u%016x", n)
   return table.concat({
      '{"schemas":["', M.CORE, '","', M.ENT, '"],',
      id and ('"id":"' .. id .. '",') or "",
      '"externalId":"', ext, '","userName":"', userName, '",',
      '"name":{"formatted":"Bench User ', n, '","familyName":"User',
      n % 977, '","givenName":"Bench","middleName":"Q"},',
      '"displayName":"Bench User ', n, '","nickName":"Bench",',
      '"title":"Engineer grade ', n % 9, '","userType":"Employee",',
      '"preferredLanguage":"en-US","locale":"en-US",',
      '"timezone":"Europe/Lisbon","active":true,',
      '"emails":[{"value":"', userName, '","type":"work","primary":true},',
      '{"value":"b', n, '@home.example.org","type":"home"}],',
      '"phoneNumbers":[{"value":"+1-555-', string.format("%03d-%04d",
      n % 1000, n % 10000), '","type":"work","primary":true},',
      '{"value":"+1-555-010-0101","type":"mobile"}],',
      '"addresses":[{"type":"work","streetAddress":"', n % 900 + 100,
      ' Market Street, Floor ', n % 40, '","locality":"Lisbon",',
      '"region":"Central","postalCode":"', string.format("%05d", n % 99999),
      '","country":"PT","formatted":"', n % 900 + 100,
      ' Market Street, Lisbon","primary":true}],',
      '"', M.ENT, '":{"employeeNumber":"B', n, '","costCenter":"CC-',
      n % 10000, '","organization":"Example Corp",',
      '"division":"Engineering Division","department":"Engineering",',
      '"manager":{"value":"00u0000000000000042",',
      '"displayName":"Grace Hopper"}}}'
   })
end

function M.base()
   local p = wrk.path
   if p:sub(-1) == "/" then p = p:sub(1, -2) end
   return p
end

return M
