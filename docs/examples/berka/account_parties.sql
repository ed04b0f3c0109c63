-- Dispositions: who may operate each account (OWNER = 户主, DISPONENT = 授权代理人).
SELECT 'A' || account_id AS account_id,
       'C' || client_id AS customer_id,
       CASE type WHEN 'OWNER' THEN 'owner' WHEN 'DISPONENT' THEN 'authorised' END AS role
FROM disp
