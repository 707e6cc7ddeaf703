-- The database's two roles, made by the instance's administrator (the RDS
-- master user; the local stacks' `postgres` superuser), once, and again to
-- change a password. psql variables: owner, owner_password, app,
-- app_password.
--
--   psql "host=… user=<master> dbname=postgres sslmode=verify-full" \
--     -v owner=flightbook -v owner_password=… \
--     -v app=flightbook_app -v app_password=… -f deploy/database-roles.sql
--
-- * owner: owns the database and its schema; only the migrations
--   (`db-migrate`) and the operator's seeding connect as it.
-- * app: what the functions connect as, through the pooler. It creates and
--   drops nothing; `db-migrate` grants it the rows it needs
--   (shared/src/store/app_privileges.sql) after each migration.
--
-- The app role's session settings live on the role, never in the startup
-- packet (RDS Proxy and PgBouncer refuse `options`):
-- * jit off: short indexed queries; JIT costs more than it saves.
-- * timeouts under the handler's deadline (2 x DEPENDENCY_TIMEOUT_MS = 6 s,
--   function timeout 10 s): a statement or a lock wait is cut before the
--   handler gives up on it, and a connection left inside a transaction by a
--   frozen or killed instance releases its locks.
\set ON_ERROR_STOP on
SET password_encryption = 'scram-sha-256';

SELECT format('CREATE ROLE %I LOGIN', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
ALTER ROLE :"owner" WITH LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'owner_password';

SELECT format('CREATE ROLE %I LOGIN', :'app')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
ALTER ROLE :"app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_password';
ALTER ROLE :"app" SET jit = off;
ALTER ROLE :"app" SET statement_timeout = '5s';
ALTER ROLE :"app" SET lock_timeout = '4s';
ALTER ROLE :"app" SET idle_in_transaction_session_timeout = '10s';

-- RDS's master is no superuser: it may give a database to a role it belongs to.
SELECT format('GRANT %I TO CURRENT_USER', :'owner')
 WHERE NOT (SELECT rolsuper FROM pg_roles WHERE rolname = CURRENT_USER) \gexec
SELECT format('CREATE DATABASE flightbook OWNER %I', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'flightbook') \gexec
SELECT format('ALTER DATABASE flightbook OWNER TO %I', :'owner') \gexec
-- Only the two roles reach this database.
REVOKE ALL ON DATABASE flightbook FROM PUBLIC;
GRANT CONNECT ON DATABASE flightbook TO :"app";
