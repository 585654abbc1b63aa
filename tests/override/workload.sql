-- workload.sql — sqlite3's work under libmemkit_override (test_override_sqlite,
-- bench/run_override.sh): tables, an index, inserts, joins, aggregates, strings.
PRAGMA cache_size = 2000;
CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT, city INTEGER, score REAL);
CREATE TABLE city(id INTEGER PRIMARY KEY, name TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
INSERT INTO city SELECT i, 'city-' || i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO person SELECT i, printf('person-%06d-%s', i, hex(i * 31)), i % 50 + 1, (i * 7919) % 1000 / 10.0 FROM n;
CREATE INDEX person_city ON person(city, score);
SELECT count(*), sum(score), min(name), max(name) FROM person;
SELECT c.name, count(*), round(avg(p.score), 3) FROM person p JOIN city c ON c.id = p.city
  GROUP BY c.id ORDER BY c.id LIMIT 5;
SELECT group_concat(name, ',') FROM (SELECT name FROM person WHERE score > 99.5 ORDER BY id LIMIT 8);
UPDATE person SET name = upper(name) || '!' WHERE id % 3 = 0;
DELETE FROM person WHERE id % 5 = 0;
SELECT count(*), length(group_concat(name)) FROM person;
SELECT id, name FROM person WHERE city = 7 ORDER BY score DESC, id LIMIT 3;
