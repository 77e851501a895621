wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer bench-id:bench-secret"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"tools/call\", \"params\": {\"name\": \"recommend_model\", \"arguments\": {\"task\": \"a photo of %d dogs playing in the snow\"}}}", n))
end
