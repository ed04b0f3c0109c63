#!/usr/bin/env bash
# make demo: a sample county bank from nothing. Each step says what it did.
set -euo pipefail
cd "$(dirname "$0")/.."
FC=.venv/bin/finecrm
HOME_DIR="${DEMO_HOME:-demo}"
N="${DEMO_CUSTOMERS:-20000}"
M="${DEMO_MONTHS:-12}"
SAMPLE="$HOME_DIR/samples/bank-1"

echo "== 1/5 创建工作区 init workspace: $HOME_DIR"
$FC init --home "$HOME_DIR"
if [ ! -f "$SAMPLE/customers.parquet" ]; then
  echo "== 2/5 生成模拟银行 generate a synthetic bank: $N customers × $M months → $SAMPLE"
  $FC generate --home "$HOME_DIR" --customers "$N" --months "$M" --seed 1 --out "$SAMPLE"
else
  echo "== 2/5 模拟银行已存在 sample bank exists: $SAMPLE (delete it to regenerate)"
fi
echo "== 3/5 导入 ingest $SAMPLE"
$FC ingest "$SAMPLE" --home "$HOME_DIR"
echo "== 4/5 构建分析快照 build the analytics snapshot"
$FC build --home "$HOME_DIR"
echo "== 4/5 训练并启用倾向模型 train and activate the propensity models (history → AUC on a later period)"
FINECRM_CLI_ROLE=analyst $FC model train --product all --activate --home "$HOME_DIR"
echo "== 4/5 再次构建：为每位客户打分，下一个最佳产品 build again: every customer scored, next best product"
$FC build --home "$HOME_DIR"
if [ "$(FINECRM_CLI_ROLE=analyst $FC campaign list --json --home "$HOME_DIR")" = "[]" ]; then
  echo "== 4/5 示例营销活动 a sample campaign: audience → list with a random control group → assigned to managers"
  FINECRM_CLI_ROLE=analyst $FC audience create 线上活跃未开手机银行 --home "$HOME_DIR" \
    --rule "signed_online AND NOT signed_mobile AND age < 60" --description "网银客户转手机银行 / online to mobile banking"
  FINECRM_CLI_ROLE=analyst $FC campaign create 手机银行推广 --home "$HOME_DIR" --target mobile_banking --audience 1 \
    --cap 3000 --channel phone --start "$(date +%F)" --end "$(date -d '+30 days' +%F)" --cost-per-contact 5
  FINECRM_CLI_ROLE=analyst $FC campaign assign 1 --home "$HOME_DIR"
fi
if [ ! -f "$HOME_DIR/.demo-voice" ] && [ -f "$SAMPLE/_voice/complaints.csv" ]; then
  echo "== 4/5 客户之声 the customer's voice: the hotline's complaints (the overdue escalate when a queue is opened) and a survey firm's answers"
  FINECRM_CLI_ROLE=analyst $FC complaint import "$SAMPLE/_voice/complaints.csv" --home "$HOME_DIR"
  FINECRM_CLI_ROLE=analyst $FC complaint escalate --home "$HOME_DIR"
  FINECRM_CLI_ROLE=analyst $FC survey import --sample "$SAMPLE/_voice/survey_sample.csv" \
    --answers "$SAMPLE/_voice/survey_answers.csv" --name 年度网点服务满意度调查 --home "$HOME_DIR"
  touch "$HOME_DIR/.demo-voice"
fi
if [ ! -f "$HOME_DIR/.demo-kpi" ]; then
  echo "== 4/5 考核目标 KPI targets for the demo month: drafted from its figures (+10 %) and imported, so the ranking shows scores"
  FINECRM_CLI_ROLE=analyst $FC kpi targets draft --out "$HOME_DIR/kpi-targets.xlsx" --home "$HOME_DIR"
  FINECRM_CLI_ROLE=analyst $FC kpi targets import "$HOME_DIR/kpi-targets.xlsx" --home "$HOME_DIR"
  touch "$HOME_DIR/.demo-kpi"
fi
echo
echo "工作区 workspace: $HOME_DIR"
echo "  查询 query (analyst console): FINECRM_CLI_ROLE=analyst .venv/bin/finecrm sql --home $HOME_DIR \"SELECT tier, count(*) FROM customer_360 GROUP BY 1\""
echo "  快照 snapshots: .venv/bin/finecrm snapshots list --home $HOME_DIR"
echo "  模型 models: FINECRM_CLI_ROLE=analyst .venv/bin/finecrm model list --home $HOME_DIR"
echo "  下一个最佳产品 next best product: FINECRM_CLI_ROLE=analyst .venv/bin/finecrm sql --home $HOME_DIR \"SELECT nbp_target, count(*), round(avg(nbp_value), 1) FROM customer_propensity GROUP BY 1\""
echo "  考核排名 KPIs: FINECRM_CLI_ROLE=analyst .venv/bin/finecrm kpi ranking --home $HOME_DIR; report: finecrm kpi report --out report.xlsx"
echo "  催收 collections: every build assigns the overdue loans to collectors (demo_collector signs in to the queue); again now: FINECRM_CLI_ROLE=risk_officer .venv/bin/finecrm collections assign --home $HOME_DIR"
echo "  真实数据 real data: .venv/bin/finecrm ingest ../shared/data/berka --mapping docs/examples/berka --home <another workspace>"
echo "== 5/5 启动工作台 serve the workbench (demo logins below; each start gives new passwords)"
exec $FC serve --demo --home "$HOME_DIR" --host "${DEMO_HOST:-127.0.0.1}" --port "${DEMO_PORT:-8000}"
