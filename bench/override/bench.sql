-- bench/override/bench.sql — sqlite3's allocation-heavy work for bench/run_override.sh:
-- 100k rows inserted one statement at a time in a transaction, an index, joins,
-- aggregates, string building, updates and deletes, all in memory.
PRAGMA cache_size = 4000;
CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT, g INTEGER, w REAL);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO kv SELECT i, printf('value-%08d-%s', i, hex(i * 2654435761)), i % 1000, (i * 7919) % 10007 / 7.0 FROM n;
COMMIT;
CREATE INDEX kv_g ON kv(g, w);
SELECT g, count(*), round(sum(w), 2), max(v) FROM kv GROUP BY g ORDER BY 3 DESC LIMIT 3;
SELECT count(*) FROM kv a JOIN kv b ON b.k = a.k + 1 WHERE a.g = b.g - 1;
SELECT length(group_concat(v, ';')) FROM kv WHERE w > 1000;
UPDATE kv SET v = v || '-' || upper(substr(v, 7, 8)) WHERE k % 3 = 0;
DELETE FROM kv WHERE k % 4 = 0;
SELECT count(*), sum(length(v)) FROM kv;
SELECT v FROM kv WHERE g = 42 ORDER BY w DESC LIMIT 2;
