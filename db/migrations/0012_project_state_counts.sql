CREATE TABLE "project_state_counts" (
	"project_id" uuid NOT NULL,
	"state" text NOT NULL,
	"shard" integer NOT NULL,
	"n" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "project_state_counts_project_id_state_shard_pk" PRIMARY KEY("project_id","state","shard")
);
