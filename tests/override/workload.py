# workload.py — python3's work under libmemkit_override (test_override_python):
# dicts, lists, strings, json, and threads that each build and drop their own.
import json
import threading

d = {f"key-{i}": [i, str(i) * (i % 7), {"x": i % 13}] for i in range(50000)}
text = json.dumps(d, sort_keys=True)
back = json.loads(text)
assert back == d
words = sorted((k[::-1] for k in d), key=lambda w: (len(w), w))
results = [None] * 8


def work(slot):
    local = {}
    for i in range(20000):
        local.setdefault(i % 97, []).append("w%d" % (i * slot))
    results[slot] = sum(len(v) for v in local.values()) + len(json.dumps(local))


threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(text), words[:3], words[-1], results)
