-- Current accounts (owner from the OWNER disposition) and cards (on a disposition's client).
SELECT 'A' || a.account_id AS account_id,
       'C' || d.client_id AS customer_id,
       'CURRENT' AS product_code,
       try_strptime(a.date, '%y%m%d')::DATE AS open_date,
       'active' AS status,
       'D' || a.district_id AS branch_id,
       'CZK' AS currency
FROM account a LEFT JOIN disp d ON d.account_id = a.account_id AND d.type = 'OWNER'
UNION ALL
SELECT 'K' || k.card_id,
       'C' || d.client_id,
       'CARD_' || upper(k.type),
       try_strptime(k.issued, '%y%m%d %H:%M:%S')::DATE,
       'active',
       'D' || a.district_id,
       'CZK'
FROM card k
JOIN disp d ON d.disp_id = k.disp_id
JOIN account a ON a.account_id = d.account_id
