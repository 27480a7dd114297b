-- wrk script: GET with the bearer token from FOLLOWD_TOKEN.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("FOLLOWD_TOKEN")
