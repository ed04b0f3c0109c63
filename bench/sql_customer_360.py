"""The floor: customer_360 as one hand-written DuckDB query over the warehouse's Parquet.

Same definitions as finecrm's customer_360 (AUM parts, tier with the 3-month downgrade rule,
contribution, holdings, signups, activity, off-counter rate, lifecycle), no behaviour segments, no
checks, no snapshot: the fastest a person could make it on this machine.

    python bench/sql_customer_360.py WAREHOUSE_RAW OUT.parquet
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

QUERY = """
WITH
acc AS (
  SELECT a.account_id, a.customer_id, a.product_code, a.open_date, a.close_date, p.category,
         CASE WHEN p.category = 'debit_card' THEN 'deposit' ELSE p.category END AS part,
         CASE WHEN p.category IN ('deposit', 'debit_card') THEN 0.015 WHEN p.category = 'time_deposit' THEN 0.006
              WHEN p.category = 'wealth' THEN 0.004 WHEN p.category = 'fund' THEN 0.008
              WHEN p.category = 'insurance' THEN 0.01
              WHEN p.category = 'loan' THEN coalesce(l.rate::DOUBLE, 0.045) - 0.03 ELSE 0 END AS annual_rate
  FROM read_parquet('{raw}/accounts/data.parquet') a
  LEFT JOIN read_parquet('{raw}/products/data.parquet') p USING (product_code)
  LEFT JOIN (SELECT account_id, max(rate) AS rate FROM read_parquet('{raw}/loans/data.parquet')
             GROUP BY account_id) l USING (account_id)
),
cust AS (SELECT * FROM read_parquet('{raw}/customers/data.parquet')),
bal AS (
  SELECT acc.customer_id, m.month,
         sum(m.avg_daily_balance::DOUBLE) FILTER (part = 'deposit') AS deposit_avg,
         sum(m.avg_daily_balance::DOUBLE) FILTER (part = 'time_deposit') AS time_deposit_avg,
         sum(m.avg_daily_balance::DOUBLE) FILTER (part = 'wealth') AS wealth_avg,
         sum(m.avg_daily_balance::DOUBLE) FILTER (part = 'fund') AS fund_avg,
         sum(m.avg_daily_balance::DOUBLE) FILTER (part = 'insurance') AS insurance_avg,
         sum(m.avg_daily_balance::DOUBLE) FILTER (part = 'loan') AS loan_avg,
         sum(m.avg_daily_balance::DOUBLE) FILTER (part IN ('deposit', 'time_deposit', 'wealth', 'fund', 'insurance'))
           AS aum_avg,
         sum(m.avg_daily_balance::DOUBLE * annual_rate / 12) AS contrib
  FROM read_parquet('{raw}/account_month/*/data.parquet') m JOIN acc USING (account_id)
  GROUP BY ALL
),
ranked AS (
  SELECT b.*, c.kind,
         CASE WHEN c.kind = 'corporate' THEN
              CASE WHEN coalesce(deposit_avg, 0) + coalesce(time_deposit_avg, 0) >= 10000000 THEN 4
                   WHEN coalesce(deposit_avg, 0) + coalesce(time_deposit_avg, 0) >= 5000000 THEN 3
                   WHEN coalesce(deposit_avg, 0) + coalesce(time_deposit_avg, 0) >= 1000000 THEN 2 ELSE 1 END
         ELSE CASE WHEN aum_avg >= 6000000 THEN 4 WHEN aum_avg >= 500000 THEN 3 WHEN aum_avg >= 50000 THEN 2
                   ELSE 1 END END AS raw_rank
  FROM bal b JOIN cust c USING (customer_id)
),
tiers AS (
  SELECT *, max(raw_rank) OVER (PARTITION BY customer_id ORDER BY month ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
              AS tier_rank,
         lag(aum_avg, 3) OVER (PARTITION BY customer_id ORDER BY month) AS aum_3m_ago
  FROM ranked
),
bounds AS (SELECT max(month) AS m0, (max(month) + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS as_of FROM bal),
contrib AS (
  SELECT customer_id, sum(contrib) * 12 / count(*) AS contribution
  FROM tiers, bounds WHERE month > m0 - INTERVAL 12 MONTH GROUP BY customer_id
),
txn AS (
  SELECT acc.customer_id,
         count(*) FILTER (ci AND day > as_of - 30) AS txn_ci_30d,
         count(*) FILTER (ci AND day > as_of - 90) AS txn_ci_90d,
         count(*) FILTER (ci AND day > as_of - 90 AND channel <> 'counter') AS txn_off_counter_90d,
         count(*) FILTER (ci AND day > as_of - 90 AND channel = 'mobile') AS txn_mobile_90d,
         count(*) FILTER (ci AND day > as_of - 90 AND channel = 'counter') AS txn_counter_90d,
         max(day) FILTER (ci) AS last_ci_date,
         sum(amount::DOUBLE) FILTER (kind = 'fee' AND day > as_of - 365) AS fees_12m
  FROM (SELECT t.*, t.ts::DATE AS day,
               kind NOT IN ('interest', 'fee', 'salary', 'pension', 'loan_disbursement') AND channel <> 'batch' AS ci
        FROM read_parquet('{raw}/transactions/*/data.parquet') t) t
  JOIN acc USING (account_id), bounds
  GROUP BY acc.customer_id
),
hold AS (
  SELECT customer_id, count(DISTINCT product_code) AS products_held,
         bool_or(category = 'wealth') AS has_wealth, bool_or(category = 'fund') AS has_fund,
         bool_or(category = 'loan') AS has_loan, bool_or(category = 'credit_card') AS has_credit_card,
         bool_or(category = 'insurance') AS has_insurance, bool_or(category = 'time_deposit') AS has_time_deposit
  FROM acc, bounds WHERE close_date IS NULL OR close_date > as_of GROUP BY customer_id
),
sig AS (
  SELECT customer_id, bool_or(service = 'online') AS signed_online, bool_or(service = 'mobile') AS signed_mobile,
         bool_or(service = 'wechat') AS signed_wechat, bool_or(service = 'payroll') AS signed_payroll
  FROM read_parquet('{raw}/signups/data.parquet'), bounds
  WHERE cancelled_on IS NULL OR cancelled_on > as_of GROUP BY customer_id
),
first_open AS (SELECT customer_id, min(open_date) AS first_open FROM acc GROUP BY customer_id)
SELECT c.customer_id, c.kind, c.branch_id, c.grid_id,
       t.deposit_avg, t.time_deposit_avg, t.wealth_avg, t.fund_avg, t.insurance_avg, t.loan_avg, t.aum_avg,
       t.tier_rank, t.raw_rank,
       coalesce(k.contribution, 0) + coalesce(x.fees_12m, 0) AS contribution,
       x.txn_ci_30d, x.txn_ci_90d, x.txn_off_counter_90d, x.txn_mobile_90d, x.txn_counter_90d,
       x.txn_off_counter_90d / nullif(x.txn_ci_90d, 0) AS off_counter_rate_90d,
       h.*, s.*,
       CASE WHEN date_diff('month', f.first_open, b.as_of) < 6 THEN 'new'
            WHEN x.last_ci_date IS NULL OR b.as_of - x.last_ci_date > 365 THEN 'dormant'
            WHEN t.aum_avg <= 0.7 * t.aum_3m_ago THEN 'declining'
            WHEN t.aum_avg >= 1.2 * t.aum_3m_ago THEN 'growing' ELSE 'stable' END AS lifecycle
FROM cust c CROSS JOIN bounds b
LEFT JOIN tiers t ON t.customer_id = c.customer_id AND t.month = b.m0
LEFT JOIN contrib k ON k.customer_id = c.customer_id
LEFT JOIN txn x ON x.customer_id = c.customer_id
LEFT JOIN hold h ON h.customer_id = c.customer_id
LEFT JOIN sig s ON s.customer_id = c.customer_id
LEFT JOIN first_open f ON f.customer_id = c.customer_id
"""


def main(raw: Path, out: Path) -> None:
    con = duckdb.connect()
    con.execute(f"COPY ({QUERY.format(raw=raw)}) TO '{out}' (FORMAT parquet)")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
