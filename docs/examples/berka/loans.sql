-- Loans: the borrower is the owner of the account the loan is serviced from. Berka gives no
-- rate; maturity = start + duration months. (status A–D is an outcome, kept out of the contract.)
SELECT 'L' || l.loan_id AS loan_id,
       'C' || d.client_id AS customer_id,
       'A' || l.account_id AS account_id,
       'LOAN' AS product_code,
       TRY_CAST(l.amount AS DECIMAL(18, 2)) AS principal,
       try_strptime(l.date, '%y%m%d')::DATE AS start_date,
       (try_strptime(l.date, '%y%m%d') + to_months(TRY_CAST(l.duration AS INTEGER)))::DATE AS maturity_date,
       'equal_installment' AS repayment_method
FROM loan l LEFT JOIN disp d ON d.account_id = l.account_id AND d.type = 'OWNER'
