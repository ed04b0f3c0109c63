-- Transactions. type PRIJEM = credit; VYDAJ and VYBER = debit. operation VYBER KARTOU = card
-- withdrawal (ATM), VKLAD / VYBER = cash at the counter, PREVOD = transfer with another bank;
-- no operation = interest or fee booked by the system (batch).
SELECT 'T' || trans_id AS txn_id,
       'A' || account_id AS account_id,
       try_strptime(date, '%y%m%d') AS ts,
       TRY_CAST(amount AS DECIMAL(18, 2)) AS amount,
       CASE type WHEN 'PRIJEM' THEN 'in' WHEN 'VYDAJ' THEN 'out' WHEN 'VYBER' THEN 'out' END AS direction,
       CASE coalesce(operation, '')
         WHEN 'VYBER KARTOU' THEN 'atm'
         WHEN 'VKLAD' THEN 'counter'
         WHEN 'VYBER' THEN 'counter'
         WHEN '' THEN 'batch'
         ELSE 'other' END AS channel,
       CASE
         WHEN k_symbol = 'UROK' THEN 'interest'
         WHEN k_symbol IN ('SLUZBY', 'SANKC. UROK') THEN 'fee'
         WHEN k_symbol = 'DUCHOD' THEN 'pension'
         WHEN k_symbol = 'UVER' THEN 'loan_repayment'
         WHEN k_symbol = 'SIPO' THEN 'utility'
         WHEN k_symbol = 'POJISTNE' THEN 'other'
         WHEN operation IN ('VKLAD', 'VYBER', 'VYBER KARTOU') THEN 'cash'
         WHEN operation LIKE 'PREVOD%' THEN 'transfer'
         ELSE 'other' END AS kind,
       NULLIF(account, '') AS counterparty_account,
       NULLIF(bank, '') AS counterparty_bank
FROM trans
