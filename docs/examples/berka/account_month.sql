-- Month-end and daily-average balances.
-- Current accounts: derived from the running balance on each transaction: the end-of-day balance is
-- the last transaction's balance that day, carried forward over days without transactions, up to the
-- last day in the export.
-- Loan accounts ('L' || loan_id): Berka has no loan balances, but its schedule is exact — a fixed
-- monthly payment from the month after the loan starts, and amount = duration × payments — so the
-- balance still to repay at a month's end is amount − payments × payments due by then. The month's
-- daily average is the mean of its opening and closing balance (the payment falls within the month);
-- in the month the loan starts, the amount for the share of the month it was out. Rows run from the
-- start month to the month it is repaid (balance 0), within the export.
WITH t AS (
  SELECT account_id, try_strptime(date, '%y%m%d')::DATE AS d, TRY_CAST(trans_id AS BIGINT) AS id,
         TRY_CAST(balance AS DECIMAL(18, 2)) AS bal
  FROM trans
), daily AS (
  SELECT account_id, d, arg_max(bal, id) AS bal
  FROM t WHERE d IS NOT NULL AND bal IS NOT NULL AND id IS NOT NULL
  GROUP BY account_id, d
), span AS (
  SELECT account_id, min(d) AS first_d FROM daily GROUP BY account_id
), days AS (
  SELECT s.account_id, unnest(generate_series(s.first_d, (SELECT max(d) FROM daily), INTERVAL 1 DAY))::DATE AS d
  FROM span s
), filled AS (
  SELECT days.account_id, days.d,
         last_value(daily.bal IGNORE NULLS) OVER (PARTITION BY days.account_id ORDER BY days.d) AS bal
  FROM days LEFT JOIN daily ON daily.account_id = days.account_id AND daily.d = days.d
), loan AS (
  SELECT loan_id, try_strptime(date, '%y%m%d')::DATE AS start_d,
         TRY_CAST(amount AS DECIMAL(18, 2)) AS amount, TRY_CAST(payments AS DECIMAL(18, 2)) AS payment,
         TRY_CAST(duration AS INTEGER) AS months
  FROM loan
), loan_months AS (
  SELECT l.loan_id, l.start_d, l.amount, l.payment, l.months, m::DATE AS month,
         least(date_diff('month', date_trunc('month', l.start_d), m), l.months) AS paid
  FROM loan l,
       unnest(generate_series(date_trunc('month', l.start_d),
                              least(date_trunc('month', l.start_d) + to_months(l.months),
                                    date_trunc('month', (SELECT max(d) FROM daily))),
                              INTERVAL 1 MONTH)) AS g(m)
  WHERE l.start_d <= (SELECT max(d) FROM daily)
)
SELECT 'A' || account_id AS account_id,
       date_trunc('month', d)::DATE AS month,
       arg_max(bal, d) AS end_balance,
       round(avg(bal), 2)::DECIMAL(18, 2) AS avg_daily_balance
FROM filled
GROUP BY account_id, date_trunc('month', d)
UNION ALL
SELECT 'L' || loan_id,
       month,
       (amount - payment * paid)::DECIMAL(18, 2),
       CASE WHEN paid = 0
            THEN round(amount * (date_diff('day', start_d, last_day(month)) + 1)
                       / (date_diff('day', month, last_day(month)) + 1), 2)
            ELSE round(amount - payment * (paid - 0.5), 2) END::DECIMAL(18, 2)
FROM loan_months
