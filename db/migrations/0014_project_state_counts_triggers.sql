-- Cases per project and workflow state, kept by triggers on case_workflows. Inserts and deletes
-- are statement-level (an import of 100,000 cases adds one counter write per shard and state);
-- updates are row-level and fire only when a case changes state, so the events that leave the
-- state alone (most reads) write nothing here. A case's shard comes from its id, so its -1 and
-- +1 land in the same row and concurrent events on different cases rarely share a counter row;
-- rows are written in key order so two transactions never lock the same two rows crosswise.
CREATE OR REPLACE FUNCTION project_state_counts_shard(case_id uuid) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT hashtext(case_id::text) & 15
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION project_state_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO project_state_counts AS p (project_id, state, shard, n)
  SELECT coalesce(r.project_id, c.project_id), r.state, project_state_counts_shard(r.case_id), count(*)::int
  FROM new_rows r LEFT JOIN cases c ON r.project_id IS NULL AND c.id = r.case_id
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (project_id, state, shard) DO UPDATE SET n = p.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION project_state_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_project uuid := coalesce(OLD.project_id, (SELECT c.project_id FROM cases c WHERE c.id = OLD.case_id));
  new_project uuid := coalesce(NEW.project_id, (SELECT c.project_id FROM cases c WHERE c.id = NEW.case_id));
BEGIN
  INSERT INTO project_state_counts AS p (project_id, state, shard, n)
  SELECT d.project_id, d.state, d.shard, sum(d.n)::int
  FROM (VALUES (old_project, OLD.state, project_state_counts_shard(OLD.case_id), -1),
               (new_project, NEW.state, project_state_counts_shard(NEW.case_id), 1)) AS d(project_id, state, shard, n)
  GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT (project_id, state, shard) DO UPDATE SET n = p.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION project_state_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE project_state_counts p SET n = p.n - d.n
  FROM (SELECT coalesce(r.project_id, c.project_id) AS project_id, r.state, project_state_counts_shard(r.case_id) AS shard, count(*)::int AS n
        FROM old_rows r LEFT JOIN cases c ON r.project_id IS NULL AND c.id = r.case_id
        GROUP BY 1, 2, 3) d
  WHERE p.project_id = d.project_id AND p.state = d.state AND p.shard = d.shard;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER case_workflows_state_count_insert AFTER INSERT ON case_workflows REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION project_state_counts_insert();
--> statement-breakpoint
CREATE TRIGGER case_workflows_state_count_update AFTER UPDATE ON case_workflows FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.project_id IS DISTINCT FROM NEW.project_id OR OLD.case_id IS DISTINCT FROM NEW.case_id)
  EXECUTE FUNCTION project_state_counts_update();
--> statement-breakpoint
CREATE TRIGGER case_workflows_state_count_delete AFTER DELETE ON case_workflows REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION project_state_counts_delete();
--> statement-breakpoint
INSERT INTO project_state_counts AS p (project_id, state, shard, n)
SELECT coalesce(w.project_id, c.project_id), w.state, project_state_counts_shard(w.case_id), count(*)::int
FROM case_workflows w JOIN cases c ON c.id = w.case_id
GROUP BY 1, 2, 3
ON CONFLICT (project_id, state, shard) DO UPDATE SET n = excluded.n;
