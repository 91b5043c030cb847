CREATE TABLE "project_case_counts" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"cases" integer DEFAULT 0 NOT NULL,
	"withdrawn" integer DEFAULT 0 NOT NULL
);
