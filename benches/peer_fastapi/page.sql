SELECT p.id, p.name, p.description, p.aspect_ratio, p.shown_status, p.script, p.created_at,
     p.shown_updated_at, p.current_version_id, p.owner_id, p.cost_cap, p.style,
     (SELECT h.keyframe_asset_id FROM shots h
       JOIN assets a ON a.id = h.keyframe_asset_id AND a.status = 'active'
                     AND a.mime_type LIKE 'image/%'
      WHERE h.version_id = p.current_version_id AND h.deleted_at IS NULL
      ORDER BY a.created_at DESC, a.id DESC LIMIT 1) AS thumbnail_asset_id FROM projects p WHERE p.owner_id = ?1 AND p.deleted_at IS NULL
 ORDER BY p.shown_updated_at DESC, p.id DESC LIMIT {limit} OFFSET ?4
