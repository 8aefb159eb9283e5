SELECT COALESCE(SUM(live), 0) FROM project_counts WHERE owner_id = ?1
