SELECT COUNT(*) FROM (SELECT p.*,
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
    ) AS shown_updated_at,
    (SELECT h.keyframe_asset_id FROM shots h
       JOIN assets a ON a.id = h.keyframe_asset_id AND a.status = 'active'
                     AND a.mime_type LIKE 'image/%'
      WHERE h.version_id = p.current_version_id AND h.deleted_at IS NULL
      ORDER BY a.created_at DESC, a.id DESC LIMIT 1) AS thumbnail_asset_id
  FROM projects p)
 WHERE owner_id = ?1 AND deleted_at IS NULL
