-- The two PostgreSQL roles (README, deployment step 3). As a superuser, after `createuser guidance`:
--   runuser -u postgres -- psql -v owner_password=… -f scripts/pg-roles.sql
-- guidance_owner owns the database and the schema and runs the migrations (`flask init-db`), then
-- grants the app's role what it needs (`flask db-roles guidance`): no TRUNCATE, no ALTER, no DELETE
-- on records and the audit trail, no UPDATE of the audit trail.
\set ON_ERROR_STOP on
CREATE ROLE guidance_owner LOGIN PASSWORD :'owner_password';
CREATE DATABASE guidance OWNER guidance_owner;
\connect guidance
ALTER SCHEMA public OWNER TO guidance_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO guidance;
