-- Current accounts (owner from the OWNER disposition), cards (on a disposition's client) and one loan
-- account per loan (its balance is derived in account_month.sql). A loan account is closed at its
-- maturity when that falls within the export (which ends on its last transaction day); a build only
-- sees accounts opened by its date. The Berka data has no time deposits or wealth products: the optional
-- maturity_date is left out (empty), so a Berka bank has no maturity reminders.
WITH export_end AS (
  SELECT max(try_strptime(date, '%y%m%d'))::DATE AS last_day FROM trans
), loan_accounts AS (
  SELECT l.loan_id, l.account_id,
         try_strptime(l.date, '%y%m%d')::DATE AS start_date,
         (try_strptime(l.date, '%y%m%d') + to_months(TRY_CAST(l.duration AS INTEGER)))::DATE AS maturity_date
  FROM loan l
)
SELECT 'A' || a.account_id AS account_id,
       'C' || d.client_id AS customer_id,
       'CURRENT' AS product_code,
       try_strptime(a.date, '%y%m%d')::DATE AS open_date,
       NULL::DATE AS close_date,
       'active' AS status,
       'D' || a.district_id AS branch_id,
       'CZK' AS currency
FROM account a LEFT JOIN disp d ON d.account_id = a.account_id AND d.type = 'OWNER'
UNION ALL
SELECT 'K' || k.card_id,
       'C' || d.client_id,
       'CARD_' || upper(k.type),
       try_strptime(k.issued, '%y%m%d %H:%M:%S')::DATE,
       NULL::DATE,
       'active',
       'D' || a.district_id,
       'CZK'
FROM card k
JOIN disp d ON d.disp_id = k.disp_id
JOIN account a ON a.account_id = d.account_id
UNION ALL
SELECT 'L' || l.loan_id,
       'C' || d.client_id,
       'LOAN',
       l.start_date,
       CASE WHEN l.maturity_date <= e.last_day THEN l.maturity_date END,
       CASE WHEN l.maturity_date <= e.last_day THEN 'closed' ELSE 'active' END,
       'D' || a.district_id,
       'CZK'
FROM loan_accounts l
CROSS JOIN export_end e
JOIN account a ON a.account_id = l.account_id
LEFT JOIN disp d ON d.account_id = l.account_id AND d.type = 'OWNER'
