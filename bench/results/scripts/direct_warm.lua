wrk.method = "GET"
wrk.headers["Authorization"] = "Key bench-id:bench-secret"
