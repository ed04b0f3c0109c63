-- Clients. birth_number is YYMMDD with month + 50 for women; names are not in the export, so a
-- placeholder stands in. open_date is the client's first account date; branch = home district.
WITH c AS (
  SELECT client_id, district_id,
         TRY_CAST(substr(birth_number, 1, 2) AS INTEGER) AS yy,
         TRY_CAST(substr(birth_number, 3, 2) AS INTEGER) AS mm,
         substr(birth_number, 5, 2) AS dd
  FROM client
), opened AS (
  SELECT d.client_id, min(try_strptime(a.date, '%y%m%d'))::DATE AS first_open
  FROM disp d JOIN account a ON a.account_id = d.account_id
  GROUP BY d.client_id
)
SELECT 'C' || c.client_id AS customer_id,
       'individual' AS kind,
       'Berka client ' || c.client_id AS name,
       CASE WHEN c.mm > 50 THEN 'F' ELSE 'M' END AS gender,
       try_strptime(CAST(1900 + c.yy AS VARCHAR) || '-' || lpad(CAST(CASE WHEN c.mm > 50 THEN c.mm - 50 ELSE c.mm END AS VARCHAR), 2, '0') || '-' || c.dd, '%Y-%m-%d')::DATE AS birth_date,
       o.first_open AS open_date,
       'D' || c.district_id AS branch_id
FROM c LEFT JOIN opened o ON o.client_id = c.client_id
