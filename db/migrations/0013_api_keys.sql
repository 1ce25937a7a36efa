CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"scopes" text[] NOT NULL,
	"secret_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_id_format" CHECK ("api_keys"."id" ~ '^[a-z0-9]{8,32}$'),
	CONSTRAINT "api_keys_secret_hash_format" CHECK ("api_keys"."secret_hash" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "api_keys_has_scope" CHECK (cardinality("api_keys"."scopes") > 0),
	CONSTRAINT "api_keys_name_length" CHECK (char_length("api_keys"."name") between 1 and 200)
);
