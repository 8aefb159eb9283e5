-- The project list derives each project's status and updated time from its exports (issue 14,
-- item 7): without this index every listed project scanned the whole exports table.
CREATE INDEX exports_project ON exports (project_id, status, updated_at);
