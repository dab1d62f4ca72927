-- Tables over the copied file; runs through HiveServer2.
CREATE DATABASE IF NOT EXISTS seeded;

DROP TABLE IF EXISTS seeded.people;
CREATE EXTERNAL TABLE seeded.people (
  id INT,
  name STRING  -- the first name
)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
LOCATION 'hdfs://devenv/seed/people';
