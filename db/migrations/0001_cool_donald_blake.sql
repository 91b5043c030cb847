CREATE TYPE "public"."assignment_slot" AS ENUM('current', 'next');--> statement-breakpoint
CREATE SEQUENCE "public"."case_queue_order" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "case_verifications" (
	"case_id" uuid PRIMARY KEY NOT NULL,
	"event_count" integer NOT NULL,
	"head_hash" text NOT NULL,
	"verified_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reader_queues" (
	"project_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"cursor_key" bigint,
	"cursor_case" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reader_queues_project_id_user_id_pk" PRIMARY KEY("project_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "round_participants" (
	"case_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"role" "assignment_role" NOT NULL,
	"vote_batch" integer,
	CONSTRAINT "round_participants_user_id_case_id_role_pk" PRIMARY KEY("user_id","case_id","role")
);
--> statement-breakpoint
ALTER TABLE "assignments" ADD COLUMN "project_id" uuid;--> statement-breakpoint
ALTER TABLE "assignments" ADD COLUMN "slot" "assignment_slot";--> statement-breakpoint
ALTER TABLE "assignments" ADD COLUMN "order_key" bigint;--> statement-breakpoint
ALTER TABLE "case_workflows" ADD COLUMN "project_id" uuid;--> statement-breakpoint
ALTER TABLE "case_workflows" ADD COLUMN "queue_key" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "case_workflows" ADD COLUMN "open_read_slots" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "case_workflows" ADD COLUMN "open_vote_slots" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "case_workflows" ADD COLUMN "vote_batch" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "case_workflows" ADD COLUMN "state_since" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "case_verifications" ADD CONSTRAINT "case_verifications_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reader_queues" ADD CONSTRAINT "reader_queues_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reader_queues" ADD CONSTRAINT "reader_queues_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "round_participants" ADD CONSTRAINT "round_participants_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "round_participants" ADD CONSTRAINT "round_participants_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "round_participants_case_idx" ON "round_participants" USING btree ("case_id");--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_workflows" ADD CONSTRAINT "case_workflows_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "assignments_one_current" ON "assignments" USING btree ("project_id","user_id") WHERE "assignments"."status" = 'open' and "assignments"."role" = 'reader' and "assignments"."slot" = 'current';--> statement-breakpoint
CREATE UNIQUE INDEX "assignments_one_next" ON "assignments" USING btree ("project_id","user_id") WHERE "assignments"."status" = 'open' and "assignments"."role" = 'reader' and "assignments"."slot" = 'next';--> statement-breakpoint
CREATE INDEX "assignments_case_open_idx" ON "assignments" USING btree ("case_id","role") WHERE "assignments"."status" = 'open';--> statement-breakpoint
CREATE INDEX "assignments_open_expiry_idx" ON "assignments" USING btree ("expires_at") WHERE "assignments"."status" = 'open';--> statement-breakpoint
CREATE INDEX "case_workflows_reader_queue_idx" ON "case_workflows" USING btree ("project_id","queue_key","case_id") WHERE "case_workflows"."open_read_slots" > 0;--> statement-breakpoint
CREATE INDEX "case_workflows_adjudication_queue_idx" ON "case_workflows" USING btree ("project_id","state_since","case_id") WHERE "case_workflows"."open_vote_slots" > 0;--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_slot_readers" CHECK ("assignments"."slot" is null or "assignments"."role" = 'reader');