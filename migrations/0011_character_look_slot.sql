-- Issue 14: each character's place in its project's cast. The offline animatic draws every slot in
-- its own clothes colours, so no two characters of a project look alike; a slot is never reused
-- (deleted characters keep theirs), so a character's look never changes.
ALTER TABLE characters ADD COLUMN look_slot INTEGER NOT NULL DEFAULT 0;

UPDATE characters SET look_slot = (
    SELECT COUNT(*) FROM characters o
    WHERE o.project_id = characters.project_id
      AND (o.created_at < characters.created_at
           OR (o.created_at = characters.created_at AND o.id < characters.id))
);

CREATE INDEX characters_project_slot ON characters (project_id, look_slot);
