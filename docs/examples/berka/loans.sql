-- Loans: the borrower is the owner of the account the loan is serviced from; the loan's own account
-- is 'L' || loan_id (accounts.sql), whose balance account_month.sql derives from the schedule.
-- Berka gives no rate, and its amount is what is repaid in all (amount = duration × payments, exactly,
-- for every loan), so principal here is that amount. maturity = start + duration months.
-- (status A–D is an outcome, kept out of the contract.)
SELECT 'L' || l.loan_id AS loan_id,
       'C' || d.client_id AS customer_id,
       'L' || l.loan_id AS account_id,
       'LOAN' AS product_code,
       TRY_CAST(l.amount AS DECIMAL(18, 2)) AS principal,
       try_strptime(l.date, '%y%m%d')::DATE AS start_date,
       (try_strptime(l.date, '%y%m%d') + to_months(TRY_CAST(l.duration AS INTEGER)))::DATE AS maturity_date,
       'equal_installment' AS repayment_method
FROM loan l LEFT JOIN disp d ON d.account_id = l.account_id AND d.type = 'OWNER'
