-- wrk script for the SCIM load benchmark (IdeaScale.Benchmarks, ./bench.sh). One file, one scenario per run:
--   wrk -t1 -c8 -d10s --latency -s scim.lua http://127.0.0.1:PORT -- <scenario> <list file> [options]
-- The bearer token comes from the BENCH_TOKEN environment variable (never on the command line).
-- Provisioning (POST /Users) has its own script, create.lua.
-- The list file has one user per line: "<id> <userName>". Picks are random, or sequential where
-- concurrent requests must not touch the same user (a single wrk thread, so one cursor partitions the users
-- between the in-flight requests). done() prints one machine-readable line: "BENCH_RESULT {json}".
--
-- Scenarios:
--   filter                  GET /scim/v2/Users?filter=userName eq "<random>"
--   id                      GET /scim/v2/Users/<random id>
--   page                    GET /scim/v2/Users?startIndex=<random>&count=100   (option 1: total users)
--   group-patch <group id> <add-first|remove-first>
--                           PATCH /scim/v2/Groups/<id>: one op on one member per request, alternating so each
--                           request changes the membership: add-first adds pool[k] and later removes it again
--                           (the pool are non-members), remove-first removes pool[k] then adds it back. The
--                           second op trails the first by LAG users, more than the 8 requests in flight.
--                           Entra's default-mode body, no query string (as IdPs send it); answered 204.
--   group-get <group id>    GET /scim/v2/Groups/<id>?excludedAttributes=members
--   mixed                   Entra-like sync: lookup by userName, then PATCH of that user in Entra's default form
--                           (capitalised ops, one per attribute: Replace title, Add on the work email's value (replaces it), Replace active as the
--                           string: one PATCH in four sends "False" (disable), the others "True")
--   cursor                  RFC 9865 cursor walk: GET /scim/v2/Users?cursor=<the last nextCursor received>&count=100,
--                           from the first page (empty cursor) on; after the last page it starts again
--   user-patch              PATCH /scim/v2/Users/<id> in Entra's default form (as in mixed), a different user each time
--   okta-sync               Okta-like sync: lookup by userName with Okta's startIndex=1&count=100, then PUT of the
--                           full user as Okta sends it (name.middleName changed, locale, groups: [], no enterprise)
--   okta-import <total>     Okta's import walk: GET /Users?startIndex=1,101,201,...&count=100 in order (run with one
--                           connection, as Okta imports; wraps around after the last page)

local LAG = 16
local base = "/scim/v2"
local scenario, users, option1, option2
local cursor, issued, first, second = 0, 0, 0, 0
local next_cursor = ""
local headers = {
   ["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or ""),
   ["Accept"] = "application/scim+json",
}
local json_headers = {
   ["Authorization"] = headers["Authorization"],
   ["Accept"] = "application/scim+json",
   ["Content-Type"] = "application/scim+json",
}

local okta_headers = {
   ["Authorization"] = headers["Authorization"],
   ["Accept"] = "application/scim+json",
   ["Content-Type"] = "application/json",
}

local function load_users(path)
   local list = {}
   for line in io.lines(path) do
      local id, name = line:match("^(%S+)%s+(%S+)")
      if id then list[#list + 1] = { id = id, name = name } end
   end
   if #list == 0 then error("no users in " .. path) end
   return list
end

local function urlencode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function random_user() return users[math.random(#users)] end

local function filter_path(user)
   return base .. "/Users?filter=" .. urlencode('userName eq "' .. user.name .. '"')
end

-- Entra's default-mode user PATCH: capitalised op names, one op per attribute, booleans as strings.
local function entra_user_patch(n, user)
   local active = (n % 4 == 0) and "False" or "True"
   return '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[' ..
      '{"op":"Replace","path":"title","value":"Engineer ' .. n .. '"},' ..
      '{"op":"Add","path":"emails[type eq \\"work\\"].value","value":"' .. user.name .. '"},' ..
      '{"op":"Replace","path":"active","value":"' .. active .. '"}]}'
end

-- Okta's PUT: the full user as Okta holds it (core schema only), read-only id included.
local function okta_put(n, user)
   local number = user.name:match("(%d+)") or "0"
   return '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"' .. user.id .. '",' ..
      '"userName":"' .. user.name .. '","name":{"givenName":"Bench","middleName":"M' .. n .. '","familyName":"User' .. number .. '"},' ..
      '"emails":[{"primary":true,"value":"' .. user.name .. '","type":"work"}],"displayName":"Bench User' .. number .. '",' ..
      '"locale":"en-US","externalId":"ext-' .. number .. '","groups":[],"active":true}'
end

local function member_patch(op, user)
   return '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"' .. op ..
      '","path":"members","value":[{"$ref":null,"value":"' .. user.id .. '"}]}]}'
end

function init(args)
   scenario = args[1]
   users = load_users(args[2])
   option1, option2 = args[3], args[4]
   math.randomseed(os.time() + math.floor(os.clock() * 1000000))
   cursor = math.random(#users) - 1
end

function request()
   issued = issued + 1
   if scenario == "filter" then
      return wrk.format("GET", filter_path(random_user()), headers)
   elseif scenario == "id" then
      return wrk.format("GET", base .. "/Users/" .. random_user().id, headers)
   elseif scenario == "page" then
      local total = tonumber(option1) or #users
      return wrk.format("GET", base .. "/Users?startIndex=" .. math.random(math.max(1, total - 99)) .. "&count=100", headers)
   elseif scenario == "group-patch" then
      local add_first = option2 == "add-first"
      -- No query string, exactly as Entra and Okta send membership PATCHes (answered 204).
      local path = base .. "/Groups/" .. option1
      local op, user
      if issued % 2 == 1 or first - second <= LAG then
         user = users[(cursor + first) % #users + 1]
         first = first + 1
         op = add_first and "Add" or "Remove"
      else
         user = users[(cursor + second) % #users + 1]
         second = second + 1
         op = add_first and "Remove" or "Add"
      end
      return wrk.format("PATCH", path, json_headers, member_patch(op, user))
   elseif scenario == "group-get" then
      return wrk.format("GET", base .. "/Groups/" .. option1 .. "?excludedAttributes=members", headers)
   elseif scenario == "mixed" then
      local user = users[(cursor + math.floor((issued - 1) / 2)) % #users + 1]
      if issued % 2 == 1 then
         return wrk.format("GET", filter_path(user), headers)
      end
      return wrk.format("PATCH", base .. "/Users/" .. user.id, json_headers, entra_user_patch(math.floor(issued / 2), user))
   elseif scenario == "cursor" then
      return wrk.format("GET", base .. "/Users?count=100&cursor=" .. urlencode(next_cursor), headers)
   elseif scenario == "user-patch" then
      local user = users[(cursor + issued) % #users + 1]
      return wrk.format("PATCH", base .. "/Users/" .. user.id, json_headers, entra_user_patch(issued, user))
   elseif scenario == "okta-sync" then
      -- Okta sends application/json bodies and its lookups with startIndex and count.
      local user = users[(cursor + math.floor((issued - 1) / 2)) % #users + 1]
      if issued % 2 == 1 then
         return wrk.format("GET", filter_path(user) .. "&startIndex=1&count=100", headers)
      end
      return wrk.format("PUT", base .. "/Users/" .. user.id, okta_headers, okta_put(issued, user))
   elseif scenario == "okta-import" then
      local total = tonumber(option1) or #users
      local pages = math.max(1, math.ceil(total / 100))
      return wrk.format("GET", base .. "/Users?startIndex=" .. (((issued - 1) % pages) * 100 + 1) .. "&count=100", headers)
   end
   error("unknown scenario " .. tostring(scenario))
end

function response(status, headers, body)
   if scenario == "cursor" then
      next_cursor = (status == 200 and body:match('"nextCursor":"([^"]+)"')) or ""
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format('BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
      '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
