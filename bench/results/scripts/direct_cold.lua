wrk.method = "GET"
wrk.headers["Authorization"] = "Key bench-id:bench-secret"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/api/v1/models?limit=20&q=cold" .. n)
end
