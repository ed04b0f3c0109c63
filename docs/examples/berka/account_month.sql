-- Month-end and daily-average balances, derived from the running balance on each transaction:
-- the end-of-day balance is the last transaction's balance that day, carried forward over days
-- without transactions, up to the last day in the export.
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
)
SELECT 'A' || account_id AS account_id,
       date_trunc('month', d)::DATE AS month,
       arg_max(bal, d) AS end_balance,
       round(avg(bal), 2)::DECIMAL(18, 2) AS avg_daily_balance
FROM filled
GROUP BY account_id, date_trunc('month', d)
