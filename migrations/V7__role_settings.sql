-- Session settings of the role the functions connect as. They live on the
-- role, not in the connection's startup packet: RDS Proxy and PgBouncer
-- refuse the `options` startup parameter, so a setting sent that way would
-- leave every function without a database.
--
-- * jit off: the product runs short indexed queries; JIT compilation costs
--   more than it saves (400 ms on loading a day of the bench-scale schedule).
-- * Timeouts under the handler's deadline (2 x DEPENDENCY_TIMEOUT_MS = 6 s,
--   function timeout 10 s): a statement or lock wait is cut before the
--   handler gives up on it, and a connection left inside a transaction by a
--   frozen or killed instance releases its locks instead of blocking others.
--
-- The role that runs the migrations is the role the functions use; an
-- operator who splits them repeats these lines for the app role (README,
-- "Postgres roles"). Migrations themselves run without the timeouts.
ALTER ROLE CURRENT_USER SET jit = off;
ALTER ROLE CURRENT_USER SET statement_timeout = '5s';
ALTER ROLE CURRENT_USER SET lock_timeout = '4s';
ALTER ROLE CURRENT_USER SET idle_in_transaction_session_timeout = '10s';
