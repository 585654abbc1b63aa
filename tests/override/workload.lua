-- workload.lua — lua5.4's work under libmemkit_override (test_override_lua,
-- bench/run_override.sh): tables, strings, closures, sorting, coroutines, gc.
local n = tonumber(arg and arg[1]) or 60000
local t = {}
for i = 1, n do t[i] = { id = i, name = string.format("item-%06d", (i * 7919) % n), tags = { i % 7, i % 11 } } end
table.sort(t, function(a, b) return a.name < b.name end)
local parts = {}
for i = 1, n, 97 do parts[#parts + 1] = t[i].name:upper() end
local joined = table.concat(parts, ",")
local counts = {}
for _, v in ipairs(t) do local k = v.tags[1] * 100 + v.tags[2]; counts[k] = (counts[k] or 0) + 1 end
local distinct = 0
for _ in pairs(counts) do distinct = distinct + 1 end
local gen = coroutine.wrap(function() for i = 1, 1000 do coroutine.yield(string.rep("x", i % 50)) end end)
local total = 0
for _ = 1, 1000 do total = total + #gen() end
local adders = {}
for i = 1, 1000 do adders[i] = function(x) return x + i end end
local s = 0
for i = 1, 1000 do s = adders[i](s) end
t = nil
collectgarbage()
print(#joined, distinct, total, s, joined:sub(1, 40))
