CREATE TYPE "public"."skip_outcome" AS ENUM('deferred', 'excluded');--> statement-breakpoint
CREATE TYPE "public"."skip_reason" AS ENUM('image_quality', 'missing_series', 'conflict_of_interest');--> statement-breakpoint
CREATE TYPE "public"."study_unit_kind" AS ENUM('study', 'reread', 'calibration');--> statement-breakpoint
CREATE TABLE "ai_results" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"source_key" text NOT NULL,
	"model_name" text NOT NULL,
	"model_version" text NOT NULL,
	"score" double precision NOT NULL,
	"label" text NOT NULL,
	"imported_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "study_plan" (
	"project_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"seq" integer NOT NULL,
	"session" integer NOT NULL,
	"case_id" uuid NOT NULL,
	"kind" "study_unit_kind" NOT NULL,
	"arm" text,
	"order_key" bigint NOT NULL,
	"washout_days" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "study_plan_project_id_user_id_seq_pk" PRIMARY KEY("project_id","user_id","seq")
);
--> statement-breakpoint
CREATE TABLE "study_skips" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"case_id" uuid NOT NULL,
	"reason" "skip_reason" NOT NULL,
	"outcome" "skip_outcome" NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "study_units" (
	"case_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"source_key" text NOT NULL,
	"kind" "study_unit_kind" NOT NULL,
	"arm" text,
	"block" integer DEFAULT 0 NOT NULL,
	"truth" jsonb,
	"explanation" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "project_versions" ADD COLUMN "study" jsonb;--> statement-breakpoint
ALTER TABLE "ai_results" ADD CONSTRAINT "ai_results_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_results" ADD CONSTRAINT "ai_results_imported_by_users_id_fk" FOREIGN KEY ("imported_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "study_plan" ADD CONSTRAINT "study_plan_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "study_plan" ADD CONSTRAINT "study_plan_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "study_plan" ADD CONSTRAINT "study_plan_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "study_skips" ADD CONSTRAINT "study_skips_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "study_skips" ADD CONSTRAINT "study_skips_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "study_skips" ADD CONSTRAINT "study_skips_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "study_units" ADD CONSTRAINT "study_units_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "study_units" ADD CONSTRAINT "study_units_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ai_results_case_model" ON "ai_results" USING btree ("project_id","source_key","model_name","model_version");--> statement-breakpoint
CREATE UNIQUE INDEX "study_plan_unit" ON "study_plan" USING btree ("project_id","user_id","case_id");--> statement-breakpoint
CREATE INDEX "study_skips_reader_idx" ON "study_skips" USING btree ("project_id","user_id","case_id");--> statement-breakpoint
CREATE UNIQUE INDEX "study_units_source_key" ON "study_units" USING btree ("project_id","source_key","kind","arm");--> statement-breakpoint
CREATE INDEX "study_units_project_idx" ON "study_units" USING btree ("project_id","kind");