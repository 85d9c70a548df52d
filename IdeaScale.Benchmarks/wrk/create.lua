-- wrk script for the provisioning scenario of the SCIM load benchmark (IdeaScale.Benchmarks, ./bench.sh):
--   wrk -t1 -c<clients> -d900s --latency -s create.lua http://127.0.0.1:PORT -- <first number> <count>
-- POSTs users with Entra's full create body (core + enterprise schemas, emails, addresses, phoneNumbers, roles: [],
-- read-only meta) as bench.user.<n>@bench.example, n = first number, first number + 1, ..., and ends the
-- run as soon as <count> responses arrived: no request is sent after that (delay() parks the connections; the
-- up to <clients> - 1 requests in flight still complete on the server), and the process signals itself SIGINT, which wrk handles like Ctrl-C (threads stop, results
-- are reported over the time actually taken). The bearer token comes from BENCH_TOKEN.
local first, count
local issued, responses, stopping = 0, 0, false
local headers = {
   ["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or ""),
   ["Accept"] = "application/scim+json",
   ["Content-Type"] = "application/scim+json",
}

function init(args)
   first, count = tonumber(args[1]), tonumber(args[2])
end

function delay()
   if stopping then return 3600000 end
   return 0
end

function request()
   local n = first + issued
   issued = issued + 1
   local body = string.format('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",' ..
      '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"ext-%d",' ..
      '"userName":"bench.user.%d@bench.example","active":true,"displayName":"Bench User%d",' ..
      '"name":{"formatted":"Bench User%d","givenName":"Bench","familyName":"User%d"},' ..
      '"emails":[{"primary":true,"type":"work","value":"bench.user.%d@bench.example"}],' ..
      '"addresses":[{"type":"work","formatted":"1 Main St, Springfield","streetAddress":"1 Main St","locality":"Springfield",' ..
      '"region":"IL","postalCode":"62701","country":"US","primary":true}],' ..
      '"phoneNumbers":[{"type":"work","value":"+1 555 %07d"},{"type":"mobile","value":"+1 556 %07d"}],' ..
      '"title":"Engineer","preferredLanguage":"en-US",' ..
      '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"%d","department":"R&D"},' ..
      '"meta":{"resourceType":"User"},"roles":[]}', n, n, n, n, n, n, n % 10000000, n % 10000000, n)
   return wrk.format("POST", "/scim/v2/Users", headers, body)
end

function response(status, headers, body)
   responses = responses + 1
   if responses >= count and not stopping then
      stopping = true
      local ffi = require("ffi")
      ffi.cdef("int getpid(void); int kill(int pid, int sig);")
      ffi.C.kill(ffi.C.getpid(), 2)
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format('BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
      '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
