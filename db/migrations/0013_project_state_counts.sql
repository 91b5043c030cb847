CREATE TABLE "project_state_counts" (
	"project_id" uuid NOT NULL,
	"state" text NOT NULL,
	"shard" integer NOT NULL,
	"n" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "project_state_counts_project_id_state_shard_pk" PRIMARY KEY("project_id","state","shard")
);
--> statement-breakpoint
CREATE INDEX "cases_project_list_idx" ON "cases" USING btree ("project_id","study_date" DESC NULLS FIRST,"external_id","id");--> statement-breakpoint
CREATE INDEX "cases_project_created_idx" ON "cases" USING btree ("project_id","created_at","id");