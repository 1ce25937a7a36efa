#!/usr/bin/env bash
# Postgres init script (docker-entrypoint-initdb.d): runs ONCE, when the data volume is empty.
# One role and database for the application, one role owning Temporal's two databases. Neither role
# is a superuser; passwords come from the postgres service's environment (docker-compose.yml).
set -euo pipefail

: "${ERP_DB_PASSWORD:?set ERP_DB_PASSWORD}"
: "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set erp_password="$ERP_DB_PASSWORD" \
  --set temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
-- the application (DATABASE_URL): owns its database, so the migrations can create schemas and tables
CREATE ROLE erp LOGIN PASSWORD :'erp_password';
CREATE DATABASE erp OWNER erp;
REVOKE ALL ON DATABASE erp FROM PUBLIC;

-- Temporal: its default store and its visibility store; the schema is set up by the temporal-schema job
CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
REVOKE ALL ON DATABASE temporal FROM PUBLIC;
REVOKE ALL ON DATABASE temporal_visibility FROM PUBLIC;

-- the visibility schema uses btree_gin; create it here rather than rely on the extension being trusted
\connect temporal_visibility
CREATE EXTENSION IF NOT EXISTS btree_gin;
SQL
