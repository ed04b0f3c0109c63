"""The floor: customer_360 as one hand-written DuckDB query over the warehouse's Parquet.

The same columns and definitions as finecrm's customer_360 — AUM and its parts with 3/6/12-month
history, tier with the 3-month downgrade rule and the watch, contribution and its parts, value rank
and tier, holdings and signups for every category and service, 30/90-day activity by channel,
off-counter rate, lifecycle from the monthly history, 潜力 — written by hand as one query, with no
behaviour segments, no checks and no snapshot: the fastest a person could make it on this machine.

    python bench/sql_customer_360.py WAREHOUSE_RAW OUT.parquet
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

CHANNELS = ("counter", "atm", "pos", "online", "mobile", "wechat", "phone")
CATEGORIES = ("deposit", "time_deposit", "wealth", "fund", "insurance", "loan", "credit_card", "debit_card",
              "e_banking", "payroll", "other")
SERVICES = ("online", "mobile", "phone", "sms", "wechat", "payroll", "utility")

QUERY = """
WITH
bounds AS (
  SELECT max(month) AS m0, (max(month) + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS as_of
  FROM read_parquet('{raw}/account_month/*/data.parquet')
),
cust AS (SELECT * FROM read_parquet('{raw}/customers/data.parquet'), bounds WHERE open_date <= as_of),
acc AS (
  SELECT a.*, p.category, CASE WHEN p.category = 'debit_card' THEN 'deposit' ELSE p.category END AS part,
         CASE WHEN p.category IN ('deposit', 'debit_card') THEN 0.015 WHEN p.category = 'time_deposit' THEN 0.006
              WHEN p.category = 'wealth' THEN 0.004 WHEN p.category = 'fund' THEN 0.008
              WHEN p.category = 'insurance' THEN 0.01
              WHEN p.category = 'loan' THEN coalesce(l.rate::DOUBLE, 0.045) - 0.03 ELSE 0 END AS annual_rate
  FROM read_parquet('{raw}/accounts/data.parquet') a
  LEFT JOIN read_parquet('{raw}/products/data.parquet') p USING (product_code)
  LEFT JOIN (SELECT account_id, max(rate) AS rate FROM read_parquet('{raw}/loans/data.parquet')
             GROUP BY account_id) l USING (account_id), bounds
  WHERE a.open_date <= as_of
),
bal AS (
  SELECT acc.customer_id, m.month,
         sum(avg_daily_balance::DOUBLE) FILTER (part = 'deposit') AS deposit_avg,
         sum(avg_daily_balance::DOUBLE) FILTER (part = 'time_deposit') AS time_deposit_avg,
         sum(avg_daily_balance::DOUBLE) FILTER (part = 'wealth') AS wealth_avg,
         sum(avg_daily_balance::DOUBLE) FILTER (part = 'fund') AS fund_avg,
         sum(avg_daily_balance::DOUBLE) FILTER (part = 'insurance') AS insurance_avg,
         sum(avg_daily_balance::DOUBLE) FILTER (part = 'loan') AS loan_avg,
         sum(avg_daily_balance::DOUBLE) FILTER (category IN ('deposit', 'debit_card', 'time_deposit', 'wealth',
                                                            'fund', 'insurance')) AS aum_avg,
         sum(end_balance::DOUBLE) FILTER (category IN ('deposit', 'debit_card', 'time_deposit', 'wealth', 'fund',
                                                      'insurance')) AS aum_end,
         sum(end_balance::DOUBLE) FILTER (category IN ('deposit', 'debit_card', 'time_deposit')) AS deposits_end,
         sum(end_balance::DOUBLE) FILTER (category = 'loan') AS loans_end,
         sum(avg_daily_balance::DOUBLE * annual_rate / 12)
           FILTER (category IN ('deposit', 'debit_card', 'time_deposit')) AS c_dep,
         sum(avg_daily_balance::DOUBLE * annual_rate / 12) FILTER (category = 'loan') AS c_loan,
         sum(avg_daily_balance::DOUBLE * annual_rate / 12) FILTER (category IN ('wealth', 'fund', 'insurance'))
           AS c_int
  FROM read_parquet('{raw}/account_month/*/data.parquet') m JOIN acc USING (account_id), bounds
  WHERE m.month <= m0
  GROUP BY ALL
),
txm AS (
  SELECT acc.customer_id, date_trunc('month', t.ts)::DATE AS month,
         count(*) FILTER (ci) AS txn_ci,
         count(*) FILTER (ci AND day > as_of - 30) AS txn_ci_30d,
         count(*) FILTER (ci AND day > as_of - 90) AS txn_ci_90d,
         count(*) FILTER (ci AND day > as_of - 90 AND channel <> 'counter') AS txn_off_counter_90d,
         {channel_counts},
         max(day) FILTER (ci) AS last_ci_date,
         sum(amount::DOUBLE) FILTER (direction = 'out' AND day > as_of - 90) AS out_90d,
         sum(amount::DOUBLE) FILTER (direction = 'out' AND kind = 'consumption' AND day > as_of - 90)
           AS consumption_90d,
         sum(amount::DOUBLE) FILTER (direction = 'out' AND kind = 'fee' AND day > as_of - 365) AS fees_12m,
         sum(amount::DOUBLE) FILTER (direction = 'out' AND kind = 'fee') AS fees
  FROM (SELECT *, ts::DATE AS day,
               kind NOT IN ('interest', 'fee', 'salary', 'pension', 'loan_disbursement') AND channel <> 'batch' AS ci
        FROM read_parquet('{raw}/transactions/*/data.parquet') t, bounds WHERE ts::DATE <= as_of) t
  JOIN (SELECT account_id, customer_id FROM acc) acc USING (account_id)
  GROUP BY ALL
),
life AS (
  SELECT customer_id, min(open_date) AS first_open, count(*) FILTER (close_date IS NULL) AS open_ended,
         max(close_date) AS last_close
  FROM acc GROUP BY customer_id
),
months AS (
  SELECT unnest(generate_series((SELECT min(month) FROM bal), (SELECT m0 FROM bounds), INTERVAL 1 MONTH))::DATE
    AS month
),
grid AS (
  SELECT c.customer_id, c.kind, mo.month, coalesce(b.aum_avg, 0) AS aum_avg,
         coalesce(b.deposit_avg, 0) + coalesce(b.time_deposit_avg, 0) AS deposits_avg,
         coalesce(x.txn_ci, 0) AS txn_ci, l.first_open, l.open_ended, l.last_close
  FROM cust c JOIN months mo ON mo.month >= date_trunc('month', c.open_date)
  LEFT JOIN bal b ON b.customer_id = c.customer_id AND b.month = mo.month
  LEFT JOIN txm x ON x.customer_id = c.customer_id AND x.month = mo.month
  LEFT JOIN life l ON l.customer_id = c.customer_id
),
ranked AS (
  SELECT *, CASE WHEN kind = 'corporate' THEN
                CASE WHEN deposits_avg >= 10000000 THEN 4 WHEN deposits_avg >= 5000000 THEN 3
                     WHEN deposits_avg >= 1000000 THEN 2 ELSE 1 END
            ELSE CASE WHEN aum_avg >= 6000000 THEN 4 WHEN aum_avg >= 500000 THEN 3 WHEN aum_avg >= 50000 THEN 2
                      ELSE 1 END END AS raw_rank
  FROM grid
),
hist AS (
  SELECT *,
         max(raw_rank) OVER w3 AS tier_rank,
         lag(raw_rank, 1) OVER w AS r1, lag(raw_rank, 2) OVER w AS r2,
         lag(aum_avg, 3) OVER w AS aum_avg_3m_ago, lag(aum_avg, 6) OVER w AS aum_avg_6m_ago,
         lag(aum_avg, 12) OVER w AS aum_avg_12m_ago,
         max(CASE WHEN txn_ci > 0 THEN month END) OVER (w ROWS UNBOUNDED PRECEDING) AS last_active,
         min(month) OVER (PARTITION BY customer_id) AS first_month
  FROM ranked
  WINDOW w AS (PARTITION BY customer_id ORDER BY month),
         w3 AS (PARTITION BY customer_id ORDER BY month ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
),
cur AS (
  SELECT h.*,
         CASE WHEN raw_rank < tier_rank THEN 1 + CASE WHEN r1 < tier_rank THEN 1 + (r2 < tier_rank)::INT ELSE 0 END
              ELSE 0 END AS months_below,
         CASE WHEN last_active IS NULL
              THEN date_diff('month', greatest(date_trunc('month', first_open), (SELECT min(month) FROM months)),
                             month) + 1
              ELSE date_diff('month', last_active, month) END AS inactive_months
  FROM hist h, bounds WHERE month = m0
),
year AS (
  SELECT g.customer_id, count(*) AS n, sum(b.c_dep) AS c_dep, sum(b.c_loan) AS c_loan, sum(b.c_int) AS c_int,
         avg(g.aum_avg) AS aum_avg_12m
  FROM grid g LEFT JOIN bal b USING (customer_id, month), bounds
  WHERE g.month > m0 - INTERVAL 12 MONTH GROUP BY g.customer_id
),
fees AS (SELECT customer_id, sum(fees) AS fees FROM txm, bounds WHERE month > m0 - INTERVAL 12 MONTH GROUP BY 1),
recent AS (
  SELECT customer_id, sum(txn_ci_30d) AS txn_ci_30d, sum(txn_ci_90d) AS txn_ci_90d,
         sum(txn_off_counter_90d) AS txn_off_counter_90d, {channel_sums}, max(last_ci_date) AS last_ci_date,
         sum(out_90d) AS out_90d, sum(consumption_90d) AS consumption_90d, sum(fees_12m) AS fees_12m
  FROM txm GROUP BY customer_id
),
hold AS (
  SELECT customer_id, count(*) AS accounts_open, count(DISTINCT product_code) AS products_held, {has_flags}
  FROM acc, bounds WHERE close_date IS NULL OR close_date > as_of GROUP BY customer_id
),
sig AS (
  SELECT customer_id, {signed_flags}
  FROM read_parquet('{raw}/signups/data.parquet'), bounds
  WHERE signed_on <= as_of AND (cancelled_on IS NULL OR cancelled_on > as_of) GROUP BY customer_id
),
joined AS (
  SELECT c.*, date_diff('year', c.birth_date, b.as_of) - (strftime(b.as_of, '%m%d') < strftime(c.birth_date, '%m%d'))::INT
           AS age,
         date_diff('month', c.open_date, b.as_of) AS tenure_months,
         bl.deposit_avg, bl.time_deposit_avg, bl.wealth_avg, bl.fund_avg, bl.insurance_avg, bl.loan_avg,
         bl.aum_end, bl.deposits_end, bl.loans_end,
         u.aum_avg, u.raw_rank, u.tier_rank, u.months_below, u.inactive_months,
         u.aum_avg_3m_ago, u.aum_avg_6m_ago, u.aum_avg_12m_ago, y.aum_avg_12m,
         12.0 / greatest(y.n, 1) * y.c_dep AS contribution_deposits,
         12.0 / greatest(y.n, 1) * y.c_loan AS contribution_loans,
         12.0 / greatest(y.n, 1) * y.c_int AS contribution_intermediary,
         12.0 / greatest(y.n, 1) * coalesce(f.fees, 0) AS contribution_fees,
         u.first_open, u.open_ended, u.last_close,
         r.* EXCLUDE (customer_id), h.* EXCLUDE (customer_id), s.* EXCLUDE (customer_id)
  FROM cust c CROSS JOIN bounds b
  LEFT JOIN cur u ON u.customer_id = c.customer_id
  LEFT JOIN bal bl ON bl.customer_id = c.customer_id AND bl.month = b.m0
  LEFT JOIN year y ON y.customer_id = c.customer_id
  LEFT JOIN fees f ON f.customer_id = c.customer_id
  LEFT JOIN recent r ON r.customer_id = c.customer_id
  LEFT JOIN hold h ON h.customer_id = c.customer_id
  LEFT JOIN sig s ON s.customer_id = c.customer_id
),
scored AS (
  SELECT *, coalesce(contribution_deposits, 0) + coalesce(contribution_loans, 0)
            + coalesce(contribution_intermediary, 0) + coalesce(contribution_fees, 0) AS contribution
  FROM joined
),
valued AS (
  SELECT *, row_number() OVER (ORDER BY contribution DESC, customer_id) AS contribution_rank,
         row_number() OVER (ORDER BY contribution DESC, customer_id) / count(*) OVER () AS customer_share
  FROM scored
)
SELECT v.*,
       CASE WHEN kind = 'corporate' THEN ['基础客户', '成长客户', '重点客户', '战略客户'][tier_rank]
            ELSE ['大众', '贵宾', '财富', '私行'][tier_rank] END AS tier,
       raw_rank < tier_rank AS tier_watch,
       kind = 'individual' AND tier_rank = 1 AND aum_avg < 10000 AND coalesce(txn_ci_90d, 0) >= 15 AS tier_potential,
       CASE WHEN customer_share <= 0.05 THEN '核心价值' WHEN customer_share <= 0.2 THEN '高价值'
            WHEN customer_share <= 0.5 THEN '中价值' ELSE '低价值' END AS value_tier,
       coalesce(deposit_avg, 0) + coalesce(time_deposit_avg, 0) AS deposits_avg,
       aum_avg / nullif(aum_avg_3m_ago, 0) - 1 AS aum_change_3m,
       aum_avg / nullif(aum_avg_12m_ago, 0) - 1 AS aum_change_12m,
       txn_off_counter_90d / nullif(txn_ci_90d, 0) AS off_counter_rate_90d,
       CASE WHEN open_ended = 0 AND last_close IS NOT NULL THEN 'lost'
            WHEN first_open IS NULL THEN 'potential'
            WHEN date_diff('month', first_open, (SELECT m0 FROM bounds)) < 6 THEN 'new'
            WHEN inactive_months >= 12 THEN 'dormant'
            WHEN aum_avg_3m_ago > 0 AND aum_avg <= 0.7 * aum_avg_3m_ago THEN 'declining'
            WHEN (aum_avg_3m_ago > 0 AND aum_avg >= 1.2 * aum_avg_3m_ago) OR (aum_avg_3m_ago = 0 AND aum_avg > 0)
              THEN 'growing'
            ELSE 'stable' END AS lifecycle,
       'AUM ' || round(aum_avg)::BIGINT || ' (' || tier_rank || ')' AS tier_reason
FROM valued v
"""


def query(raw: Path) -> str:
    return QUERY.format(
        raw=raw,
        channel_counts=",\n         ".join(
            f"count(*) FILTER (ci AND day > as_of - 90 AND channel = '{c}') AS txn_{c}_90d" for c in CHANNELS),
        channel_sums=", ".join(f"sum(txn_{c}_90d) AS txn_{c}_90d" for c in CHANNELS),
        has_flags=", ".join(f"bool_or(category = '{c}') AS has_{c}" for c in CATEGORIES),
        signed_flags=", ".join(f"bool_or(service = '{s}') AS signed_{s}" for s in SERVICES),
    )


def main(raw: Path, out: Path) -> None:
    con = duckdb.connect()
    con.execute(f"COPY ({query(raw)}) TO '{out}' (FORMAT parquet)")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
