-- wrk script for bench.orders: POST /checkout with ready-made shopper sessions.
-- BENCH_PAIRS names a file of "Cookie header<TAB>form body" lines (one shopper each).
-- Counts answers by class, and 303s by where they lead: /checkout/<code> is a placed order,
-- /cart a refused one (the cart went stale: out of stock). Prints one "TALLY {json}" line.

local threads = {}
local next_id = 0
local keys = {"placed", "refused", "redirect_other", "s2xx", "s4xx", "s5xx"}

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  shoppers = {}
  local f = assert(io.open(os.getenv("BENCH_PAIRS"), "r"))
  for line in f:lines() do
    local cookie, body = line:match("^([^\t]*)\t(.*)$")
    if cookie then
      table.insert(shoppers, {cookie, body})
    end
  end
  f:close()
  -- Threads start at different shoppers so they rarely want the same product row.
  n = (id * 7919) % #shoppers
  math.randomseed(os.time() + id * 7919)
  for _, k in ipairs(keys) do _G[k] = 0 end
end

-- Every request is a new checkout form: a fresh one-time key (a repeated key would be answered
-- with the first checkout instead of placing one).
-- Unique within a run (thread id and a counter), random across runs.
sent = 0
function once_key()
  sent = sent + 1
  local hex = {string.format("%04x%08x", id, sent)}
  for i = 1, 20 do hex[#hex + 1] = string.format("%x", math.random(0, 15)) end
  return table.concat(hex)
end

function request()
  n = n % #shoppers + 1
  local s = shoppers[n]
  return wrk.format("POST", "/checkout", {
    ["Cookie"] = s[1],
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, s[2] .. "&once_key=" .. once_key())
end

function response(status, headers, body)
  if status >= 500 then
    s5xx = s5xx + 1
  elseif status >= 400 then
    s4xx = s4xx + 1
  elseif status >= 300 then
    local location = headers["Location"] or headers["location"] or ""
    if location:find("/checkout/", 1, true) then
      placed = placed + 1
    elseif location:find("/cart", 1, true) then
      refused = refused + 1
    else
      redirect_other = redirect_other + 1
    end
  else
    s2xx = s2xx + 1
  end
end

function done(summary, latency, requests)
  local parts = {}
  for _, k in ipairs(keys) do
    local total = 0
    for _, thread in ipairs(threads) do
      total = total + (thread:get(k) or 0)
    end
    table.insert(parts, string.format('"%s": %d', k == "s5xx" and "5xx" or
      (k == "s4xx" and "4xx" or (k == "s2xx" and "2xx" or k)), total))
  end
  io.write("TALLY {" .. table.concat(parts, ", ") .. "}\n")
end
