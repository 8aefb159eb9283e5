-- Issue 15 item 9: the project list sorted and filtered by a status and an updated time derived
-- from every one of the owner's projects' runs and exports on each request. They are stored now
-- (`shown_status`, `shown_updated_at`), so the list reads one index range whatever the number of
-- projects. The triggers below recompute them from `projects_shown` whenever a project's own
-- status or time, or any of its runs or exports, changes: whichever code makes the change
-- (cascaded deletes included), the stored pair is what the derivation gives.

-- What the list shows (issue 14 item 7): a project with a run is in progress and one with a
-- finished export is completed, whatever its stored status says (a status set by hand to
-- something further along stays); its updated time is the latest of its own, its runs' and its
-- exports'.
CREATE VIEW projects_shown AS
SELECT p.id,
    CASE
      WHEN p.status = 'completed'
        OR EXISTS (SELECT 1 FROM exports e WHERE e.project_id = p.id AND e.status = 'completed')
        THEN 'completed'
      WHEN p.status = 'in_progress'
        OR EXISTS (SELECT 1 FROM workflow_runs r WHERE r.project_id = p.id)
        OR EXISTS (SELECT 1 FROM exports e WHERE e.project_id = p.id)
        THEN 'in_progress'
      ELSE p.status
    END AS shown_status,
    MAX(p.updated_at,
        COALESCE((SELECT MAX(r.updated_at) FROM workflow_runs r WHERE r.project_id = p.id), ''),
        COALESCE((SELECT MAX(e.updated_at) FROM exports e WHERE e.project_id = p.id), '')
    ) AS shown_updated_at
  FROM projects p;

ALTER TABLE projects ADD COLUMN shown_status TEXT NOT NULL DEFAULT 'draft';
ALTER TABLE projects ADD COLUMN shown_updated_at TEXT NOT NULL DEFAULT '';
UPDATE projects SET (shown_status, shown_updated_at) =
    (SELECT s.shown_status, s.shown_updated_at FROM projects_shown s WHERE s.id = projects.id);

-- The list's total without walking the owner's projects: live projects per owner and shown
-- status, kept by `projects_shown_insert` and the triggers below (the shown-status triggers change
-- `shown_status` through an UPDATE, so they pass through here too).
CREATE TABLE project_counts (
    owner_id     TEXT NOT NULL,
    shown_status TEXT NOT NULL,
    live         INTEGER NOT NULL CHECK (live >= 0),
    PRIMARY KEY (owner_id, shown_status)
) WITHOUT ROWID;
INSERT INTO project_counts (owner_id, shown_status, live)
SELECT owner_id, shown_status, COUNT(*) FROM projects WHERE deleted_at IS NULL
 GROUP BY owner_id, shown_status;

-- The list's two orders (all, and one shown status), live projects only.
CREATE INDEX projects_list ON projects (owner_id, shown_updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX projects_list_status ON projects (owner_id, shown_status, shown_updated_at, id)
    WHERE deleted_at IS NULL;
-- A project's latest run time from the index (each trigger below reads it): through
-- `workflow_runs_project` it read every run of the project.
CREATE INDEX workflow_runs_project_updated ON workflow_runs (project_id, updated_at);

-- Counted first as inserted (`project_counts`), so the UPDATE's move to its shown
-- status has a row to leave; one trigger, so the order is certain.
CREATE TRIGGER projects_shown_insert AFTER INSERT ON projects
BEGIN
  INSERT INTO project_counts (owner_id, shown_status, live)
  SELECT NEW.owner_id, NEW.shown_status, 1 WHERE NEW.deleted_at IS NULL
      ON CONFLICT (owner_id, shown_status) DO UPDATE SET live = live + 1;
  UPDATE projects SET (shown_status, shown_updated_at) =
      (SELECT s.shown_status, s.shown_updated_at FROM projects_shown s WHERE s.id = NEW.id)
   WHERE id = NEW.id;
END;
CREATE TRIGGER projects_shown_update AFTER UPDATE OF status, updated_at ON projects
BEGIN
  UPDATE projects SET (shown_status, shown_updated_at) =
      (SELECT s.shown_status, s.shown_updated_at FROM projects_shown s WHERE s.id = NEW.id)
   WHERE id = NEW.id;
END;
CREATE TRIGGER workflow_runs_shown_insert AFTER INSERT ON workflow_runs
BEGIN
  UPDATE projects SET (shown_status, shown_updated_at) =
      (SELECT s.shown_status, s.shown_updated_at FROM projects_shown s WHERE s.id = NEW.project_id)
   WHERE id = NEW.project_id;
END;
CREATE TRIGGER workflow_runs_shown_update AFTER UPDATE OF project_id, updated_at ON workflow_runs
BEGIN
  UPDATE projects SET (shown_status, shown_updated_at) =
      (SELECT s.shown_status, s.shown_updated_at FROM projects_shown s WHERE s.id = projects.id)
   WHERE id IN (NEW.project_id, OLD.project_id);
END;
CREATE TRIGGER workflow_runs_shown_delete AFTER DELETE ON workflow_runs
BEGIN
  UPDATE projects SET (shown_status, shown_updated_at) =
      (SELECT s.shown_status, s.shown_updated_at FROM projects_shown s WHERE s.id = OLD.project_id)
   WHERE id = OLD.project_id;
END;
CREATE TRIGGER exports_shown_insert AFTER INSERT ON exports
BEGIN
  UPDATE projects SET (shown_status, shown_updated_at) =
      (SELECT s.shown_status, s.shown_updated_at FROM projects_shown s WHERE s.id = NEW.project_id)
   WHERE id = NEW.project_id;
END;
CREATE TRIGGER exports_shown_update AFTER UPDATE OF project_id, status, updated_at ON exports
BEGIN
  UPDATE projects SET (shown_status, shown_updated_at) =
      (SELECT s.shown_status, s.shown_updated_at FROM projects_shown s WHERE s.id = projects.id)
   WHERE id IN (NEW.project_id, OLD.project_id);
END;
CREATE TRIGGER exports_shown_delete AFTER DELETE ON exports
BEGIN
  UPDATE projects SET (shown_status, shown_updated_at) =
      (SELECT s.shown_status, s.shown_updated_at FROM projects_shown s WHERE s.id = OLD.project_id)
   WHERE id = OLD.project_id;
END;

CREATE TRIGGER project_counts_update AFTER UPDATE OF owner_id, shown_status, deleted_at ON projects
BEGIN
  UPDATE project_counts SET live = live - 1
   WHERE OLD.deleted_at IS NULL AND owner_id = OLD.owner_id AND shown_status = OLD.shown_status;
  INSERT INTO project_counts (owner_id, shown_status, live)
  SELECT NEW.owner_id, NEW.shown_status, 1 WHERE NEW.deleted_at IS NULL
      ON CONFLICT (owner_id, shown_status) DO UPDATE SET live = live + 1;
END;
CREATE TRIGGER project_counts_delete AFTER DELETE ON projects WHEN OLD.deleted_at IS NULL
BEGIN
  UPDATE project_counts SET live = live - 1
   WHERE owner_id = OLD.owner_id AND shown_status = OLD.shown_status;
END;
