-- Cases per project, kept by statement-level triggers on cases (one counter update per statement,
-- so a bulk import of 100,000 cases adds one row write, not 100,000). Pages read the counter
-- instead of counting a project's cases on every request.
CREATE OR REPLACE FUNCTION project_case_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO project_case_counts AS p (project_id, cases, withdrawn)
  SELECT project_id, count(*) FILTER (WHERE withdrawn_at IS NULL), count(*) FILTER (WHERE withdrawn_at IS NOT NULL)
  FROM new_rows GROUP BY project_id
  ON CONFLICT (project_id) DO UPDATE SET cases = p.cases + excluded.cases, withdrawn = p.withdrawn + excluded.withdrawn;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION project_case_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO project_case_counts AS p (project_id, cases, withdrawn)
  SELECT project_id, sum(live)::int, sum(gone)::int FROM (
    SELECT project_id, (withdrawn_at IS NULL)::int AS live, (withdrawn_at IS NOT NULL)::int AS gone FROM new_rows
    UNION ALL
    SELECT project_id, -((withdrawn_at IS NULL)::int), -((withdrawn_at IS NOT NULL)::int) FROM old_rows
  ) d
  GROUP BY project_id HAVING sum(live) <> 0 OR sum(gone) <> 0
  ON CONFLICT (project_id) DO UPDATE SET cases = p.cases + excluded.cases, withdrawn = p.withdrawn + excluded.withdrawn;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION project_case_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE project_case_counts p SET cases = p.cases - d.live, withdrawn = p.withdrawn - d.gone
  FROM (SELECT project_id, count(*) FILTER (WHERE withdrawn_at IS NULL) AS live, count(*) FILTER (WHERE withdrawn_at IS NOT NULL) AS gone
        FROM old_rows GROUP BY project_id) d
  WHERE p.project_id = d.project_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER cases_count_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION project_case_counts_insert();
--> statement-breakpoint
CREATE TRIGGER cases_count_update AFTER UPDATE ON cases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION project_case_counts_update();
--> statement-breakpoint
CREATE TRIGGER cases_count_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION project_case_counts_delete();
--> statement-breakpoint
INSERT INTO project_case_counts (project_id, cases, withdrawn)
SELECT project_id, count(*) FILTER (WHERE withdrawn_at IS NULL), count(*) FILTER (WHERE withdrawn_at IS NOT NULL) FROM cases GROUP BY project_id
ON CONFLICT (project_id) DO UPDATE SET cases = excluded.cases, withdrawn = excluded.withdrawn;
