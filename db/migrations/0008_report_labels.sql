CREATE TABLE "report_labels" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"job_id" uuid NOT NULL,
	"rule_id" uuid NOT NULL,
	"evidence_id" uuid NOT NULL,
	"case_id" uuid NOT NULL,
	"finding" text NOT NULL,
	"status" text NOT NULL,
	"matched" text DEFAULT '' NOT NULL,
	"sentence" text DEFAULT '' NOT NULL,
	"trigger" text DEFAULT '' NOT NULL,
	"sampled" boolean DEFAULT false NOT NULL,
	"review" text DEFAULT 'pending' NOT NULL,
	"reviewed_status" text,
	"reviewed_by" text,
	"reviewed_at" timestamp with time zone,
	CONSTRAINT "report_labels_once" UNIQUE("job_id","evidence_id","finding"),
	CONSTRAINT "report_labels_review" CHECK ("report_labels"."review" in ('pending','accepted','corrected') and ("report_labels"."review" = 'corrected') = ("report_labels"."reviewed_status" is not null))
);
--> statement-breakpoint
ALTER TABLE "report_labels" ADD CONSTRAINT "report_labels_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_labels" ADD CONSTRAINT "report_labels_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_labels" ADD CONSTRAINT "report_labels_rule_id_extraction_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."extraction_rules"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_labels" ADD CONSTRAINT "report_labels_evidence_id_evidence_id_fk" FOREIGN KEY ("evidence_id") REFERENCES "public"."evidence"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_labels" ADD CONSTRAINT "report_labels_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_labels" ADD CONSTRAINT "report_labels_reviewed_by_users_id_fk" FOREIGN KEY ("reviewed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "report_labels_job_status_idx" ON "report_labels" USING btree ("job_id","status");--> statement-breakpoint
CREATE INDEX "report_labels_job_sampled_idx" ON "report_labels" USING btree ("job_id") WHERE "report_labels"."sampled";