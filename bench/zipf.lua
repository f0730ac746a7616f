-- wrk script for bench.provenance_page --zipf: label scans spread over a fair's products.
-- BENCH_PATHS names a file of "cumulative probability<TAB>path" lines (Zipf, s = 1, most
-- scanned first). Each request is a new visitor (its own User-Agent), so every page served must
-- be counted once: the bench checks scans recorded against pages served.

local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  cum, paths = {}, {}
  local f = assert(io.open(os.getenv("BENCH_PATHS"), "r"))
  for line in f:lines() do
    local p, path = line:match("^([^\t]*)\t(.*)$")
    if p then
      table.insert(cum, tonumber(p))
      table.insert(paths, path)
    end
  end
  f:close()
  math.randomseed(os.time() * 1000 + id)
  seq = 0
  run = os.time()  -- a new visitor in every wrk run too (a repeat view within 30 min counts once)
end

function request()
  local r = math.random()
  local lo, hi = 1, #cum
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cum[mid] < r then lo = mid + 1 else hi = mid end
  end
  seq = seq + 1
  return wrk.format("GET", paths[lo], {["User-Agent"] = "bench-visitor-" .. run .. "-" .. id .. "-" .. seq})
end
