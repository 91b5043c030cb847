CREATE TABLE "case_view_times" (
	"assignment_id" uuid PRIMARY KEY NOT NULL,
	"visible_ms" bigint DEFAULT 0 NOT NULL,
	"first_viewed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "case_view_times" ADD CONSTRAINT "case_view_times_assignment_id_assignments_id_fk" FOREIGN KEY ("assignment_id") REFERENCES "public"."assignments"("id") ON DELETE cascade ON UPDATE no action;