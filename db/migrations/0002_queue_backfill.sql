-- Custom (hand-written) migration: fills the queue columns, round participants and assignment
-- projects/slots for rows written before they existed, with the same formulas as
-- workflows/queue-columns.ts (the runtime keeps them from now on; `verify` checks them).
UPDATE "case_workflows" cw SET
  "project_id" = c."project_id",
  "queue_key" = ('x' || substr(md5(c."project_id"::text || ':' || c."id"::text), 1, 16))::bit(64)::bigint,
  "state_since" = coalesce(cw."snapshot"->'context'->>'since', ''),
  "vote_batch" = coalesce((cw."snapshot"->'context'->>'voteBatch')::int, 0),
  "open_read_slots" = CASE WHEN cw."state" = 'awaitingReads' THEN greatest(0,
      coalesce((cw."snapshot"->'context'->'truthPolicy'->>'readersPerCase')::int, 0)
      + coalesce((cw."snapshot"->'context'->>'extraReads')::int, 0)
      - (SELECT count(*) FROM jsonb_array_elements(coalesce(cw."snapshot"->'context'->'reads', '[]'::jsonb)) r
         WHERE (r->>'round')::int = (cw."snapshot"->'context'->>'round')::int
           AND coalesce(r->>'supersededBy', '') = ''
           AND jsonb_typeof(r->'values') IS DISTINCT FROM 'null'
           AND r->'values' IS NOT NULL)) ELSE 0 END,
  "open_vote_slots" = CASE WHEN cw."state" = 'adjudication' THEN greatest(0,
      (CASE WHEN cw."snapshot"->'context'->'truthPolicy'->'adjudication'->>'mode' = 'panel'
            THEN (cw."snapshot"->'context'->'truthPolicy'->'adjudication'->>'panelSize')::int ELSE 1 END)
      - (SELECT count(*) FROM jsonb_array_elements(coalesce(cw."snapshot"->'context'->'votes', '[]'::jsonb)) v
         WHERE (v->>'round')::int = (cw."snapshot"->'context'->>'round')::int
           AND (v->>'batch')::int = coalesce((cw."snapshot"->'context'->>'voteBatch')::int, 0))) ELSE 0 END
FROM "cases" c WHERE c."id" = cw."case_id";
--> statement-breakpoint
INSERT INTO "round_participants" ("case_id", "user_id", "role", "vote_batch")
SELECT DISTINCT cw."case_id", r->>'readerId', 'reader'::"assignment_role", NULL::int
FROM "case_workflows" cw, jsonb_array_elements(coalesce(cw."snapshot"->'context'->'reads', '[]'::jsonb)) r
WHERE (r->>'round')::int = (cw."snapshot"->'context'->>'round')::int
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO "round_participants" ("case_id", "user_id", "role", "vote_batch")
SELECT cw."case_id", v->>'adjudicatorId', 'adjudicator'::"assignment_role", max((v->>'batch')::int)
FROM "case_workflows" cw, jsonb_array_elements(coalesce(cw."snapshot"->'context'->'votes', '[]'::jsonb)) v
WHERE (v->>'round')::int = (cw."snapshot"->'context'->>'round')::int
GROUP BY cw."case_id", v->>'adjudicatorId'
ON CONFLICT DO NOTHING;
--> statement-breakpoint
UPDATE "assignments" a SET "project_id" = c."project_id" FROM "cases" c WHERE c."id" = a."case_id";
--> statement-breakpoint
UPDATE "assignments" a SET "status" = 'cancelled', "closed_at" = now()
WHERE a."status" = 'open' AND a."role" = 'reader' AND EXISTS (
  SELECT 1 FROM "assignments" b WHERE b."status" = 'open' AND b."role" = 'reader' AND b."project_id" = a."project_id"
    AND b."user_id" = a."user_id" AND (b."assigned_at", b."id") < (a."assigned_at", a."id"));
--> statement-breakpoint
UPDATE "assignments" SET "slot" = 'current' WHERE "status" = 'open' AND "role" = 'reader';
