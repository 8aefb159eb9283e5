-- Issue 14 item 10: the storyboard's hot queries by index, never by scanning every tenant's rows.

-- A scene's shots (counts, durations, "does this scene still have shots", delete a scene's shots, and
-- the foreign-key check when a scene is deleted). Without it each of these read the whole shots table.
CREATE INDEX shots_scene ON shots (scene_id, deleted_at, order_key);

-- A project's characters (names on every storyboard read). The unique index on live names is partial
-- (deleted_at IS NULL), so a query over all of a project's characters could not use it.
CREATE INDEX characters_project ON characters (project_id);

