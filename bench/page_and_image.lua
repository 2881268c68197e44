-- wrk script: alternate the page and the image it shows, as a browser loads them.
--   wrk -t2 -c8 -d30s -s bench/page_and_image.lua http://127.0.0.1:8000
-- Paths are relative to the URL given to wrk, so a mount prefix works:
--   wrk ... -s bench/page_and_image.lua http://127.0.0.1:8000/plots
local prefix = ""
local paths = {"/normal/5_2", "/fig/5_2"}
local count = 0

function init(args)
  prefix = wrk.path == "/" and "" or wrk.path:gsub("/$", "")
end

function request()
  count = count + 1
  return wrk.format("GET", prefix .. paths[(count % 2) + 1])
end
