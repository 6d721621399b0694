-- Run once by the postgres image on an empty data volume
-- (mounted into /docker-entrypoint-initdb.d/). One database per service;
-- each is owned by POSTGRES_USER, the role the services connect as.
CREATE DATABASE registry;
CREATE DATABASE finance;
CREATE DATABASE health;
CREATE DATABASE reporting;
