-- Berka has no organisation tree: a head office plus one sub-branch per district (77).
SELECT 'HO' AS branch_id, 'Berka head office 总行' AS name, NULL AS parent_id, 'head_office' AS level, NULL AS region
UNION ALL
SELECT 'D' || A1, A2, 'HO', 'sub_branch', A3 FROM district
