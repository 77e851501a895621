wrk.method = "GET"
wrk.headers["Authorization"] = "Key bench-id:bench-secret"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/api/v1/models?q=photo+" .. n .. "+dogs+playing+snow&limit=30")
end
