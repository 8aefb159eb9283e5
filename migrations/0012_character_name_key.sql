-- Issue 15: character names are unique per project case-insensitively for every script, not only
-- ASCII (SQLite's lower() folds A–Z only, so 'Émile' and 'émile' were both accepted). The key is
-- the name lowercased by the application (Unicode); `casefold()` is the same function, registered
-- for the migration. Live duplicates that the old rule let in keep distinct keys (the later ones
-- get their id appended) so that no data is lost; renaming one of them makes its key plain again.
ALTER TABLE characters ADD COLUMN name_key TEXT;
UPDATE characters SET name_key = casefold(name);
UPDATE characters SET name_key = name_key || '#' || id
 WHERE deleted_at IS NULL
   AND EXISTS (SELECT 1 FROM characters o
                WHERE o.project_id = characters.project_id AND o.deleted_at IS NULL
                  AND casefold(o.name) = casefold(characters.name) AND o.id < characters.id);
DROP INDEX characters_project_name;
CREATE UNIQUE INDEX characters_project_name_key ON characters (project_id, name_key) WHERE deleted_at IS NULL;
