CREATE TABLE "release_grants" (
	"release_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"granted_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "release_grants_release_id_user_id_pk" PRIMARY KEY("release_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "sequestered_cases" (
	"case_id" uuid NOT NULL,
	"release_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	CONSTRAINT "sequestered_cases_case_id_release_id_pk" PRIMARY KEY("case_id","release_id")
);
--> statement-breakpoint
ALTER TABLE "releases" ADD COLUMN "sequestered" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "releases" ADD COLUMN "counts" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "release_grants" ADD CONSTRAINT "release_grants_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_grants" ADD CONSTRAINT "release_grants_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_grants" ADD CONSTRAINT "release_grants_granted_by_users_id_fk" FOREIGN KEY ("granted_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sequestered_cases" ADD CONSTRAINT "sequestered_cases_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sequestered_cases" ADD CONSTRAINT "sequestered_cases_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sequestered_cases" ADD CONSTRAINT "sequestered_cases_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sequestered_cases_project_idx" ON "sequestered_cases" USING btree ("project_id","case_id");