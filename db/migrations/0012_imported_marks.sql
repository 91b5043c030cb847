CREATE TABLE "imported_marks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"case_id" uuid NOT NULL,
	"source" text NOT NULL,
	"source_kind" text NOT NULL,
	"format" text NOT NULL,
	"lesions" jsonb NOT NULL,
	"imported_by" text,
	"job_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "imported_marks" ADD CONSTRAINT "imported_marks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imported_marks" ADD CONSTRAINT "imported_marks_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imported_marks" ADD CONSTRAINT "imported_marks_imported_by_users_id_fk" FOREIGN KEY ("imported_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imported_marks" ADD CONSTRAINT "imported_marks_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "imported_marks_case_source" ON "imported_marks" USING btree ("project_id","case_id","source");--> statement-breakpoint
CREATE INDEX "imported_marks_case_idx" ON "imported_marks" USING btree ("case_id");