#!/usr/bin/env bash
# make demo: a sample county bank from nothing. Each step says what it did.
set -euo pipefail
cd "$(dirname "$0")/.."
FC=.venv/bin/finecrm
HOME_DIR="${DEMO_HOME:-demo}"
N="${DEMO_CUSTOMERS:-20000}"
M="${DEMO_MONTHS:-12}"
SAMPLE="$HOME_DIR/samples/bank-1"

echo "== 1/3 创建工作区 init workspace: $HOME_DIR"
$FC init --home "$HOME_DIR"
if [ ! -f "$SAMPLE/customers.parquet" ]; then
  echo "== 2/3 生成模拟银行 generate a synthetic bank: $N customers × $M months → $SAMPLE"
  $FC generate --home "$HOME_DIR" --customers "$N" --months "$M" --seed 1 --out "$SAMPLE"
else
  echo "== 2/3 模拟银行已存在 sample bank exists: $SAMPLE (delete it to regenerate)"
fi
echo "== 3/3 导入 ingest $SAMPLE"
$FC ingest "$SAMPLE" --home "$HOME_DIR"
echo
echo "完成 done. 工作区 workspace: $HOME_DIR; 数据 data: $HOME_DIR/warehouse/raw; 隔离 quarantine: $HOME_DIR/warehouse/quarantine"
echo "下一步 next: .venv/bin/finecrm --help"
