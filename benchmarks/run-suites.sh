#!/usr/bin/env bash
# Runs the JMH suites as PERFORMANCE.md reports them. For each suite, the JSON results and the log
# go to $OUT (default benchmarks/target/results), and so does the load before and after it
# (load.txt). summary.md holds the tables (dev.cortado.bench.Report): medians with min-max over
# the measurement iterations, and ratios against the floor and the reference decoder of the same
# run.
#
#   benchmarks/run-suites.sh                 # every suite
#   benchmarks/run-suites.sh operator large  # some of them
#   JMH_OPTS="-f 1 -wi 2 -i 10 -w 1 -r 1" NICE=-19 benchmarks/run-suites.sh operator
#
# Suites: decode read assembly operator large prefetch gc profile cli (the last runs cortado
# bench and db-throughput on the same fmnist-train DBs).
# NICE (a niceness, e.g. -19, needs root) gives the benchmark JVMs priority over other work on
# the machine.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
JAR=${JAR:-benchmarks/target/benchmarks.jar}
OUT=${OUT:-benchmarks/target/results}
read -r -a JMH <<< "${JMH_OPTS:--f 1 -wi 2 -i 3}"
PREFIX=()
if [[ -n "${NICE:-}" ]]; then PREFIX=(nice -n "$NICE"); fi
[[ -f $JAR ]] || { echo "build it first: ./mvnw -B -q install -pl benchmarks -am -DskipTests" >&2; exit 1; }
mkdir -p "$OUT"

run() {
  local name=$1; shift
  echo "== $name: java -jar $JAR ${JMH[*]} $* -rf json -rff $OUT/$name.json" | tee -a "$OUT/load.txt"
  echo "   before: $(cat /proc/loadavg)" >> "$OUT/load.txt"
  # JMH refuses to start while another JMH run holds /tmp/jmh.lock: wait for it (up to 30 min).
  local tries=0
  until "${PREFIX[@]}" java -jar "$JAR" "${JMH[@]}" "$@" -rf json -rff "$OUT/$name.json" > "$OUT/$name.log" 2>&1; do
    if grep -q 'Unable to acquire the JMH lock' "$OUT/$name.log" && (( tries++ < 180 )); then
      sleep 10
    else
      echo "$name failed; see $OUT/$name.log" >&2
      return 1
    fi
  done
  echo "   after:  $(cat /proc/loadavg)" >> "$OUT/load.txt"
}

# CPU samples every 1 ms (JFR's "profile" settings sample every 10-20 ms).
jfc() {
  local java_home
  java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  sed '/<event name="jdk.ExecutionSample">/,/<\/event>/ s|<setting name="period"[^>]*>[^<]*</setting>|<setting name="period">1 ms</setting>|' \
    "$java_home/lib/jfr/profile.jfc" > "$OUT/cpu-1ms.jfc"
}

suite() {
  case $1 in
    decode) run decode 'DecodeBenchmark' ;;
    read) run read 'DbReadBenchmark|LmdbRawBenchmark' ;;
    assembly) run assembly 'AssemblyBenchmark|DbReadBenchmark.floor' -p backend=lmdb ;;
    operator) run operator 'OperatorBenchmark|DbReadBenchmark.floor' -p noPrefetch=false,true ;;
    large) run large 'OperatorBenchmark|DbReadBenchmark.(floor|readerDecodeBatch)|DecodeBenchmark.(streaming|reference)$' \
             -p backend=lmdb -p dataset=imagenet-like,float-small -p batchSize=64 \
             -p dtype=BYTE,FLOAT -p elements=150528,3072 -p noPrefetch=false,true ;;
    prefetch) run prefetch 'PrefetchOverlapBenchmark' ;;
    gc) run gc 'OperatorBenchmark|DbReadBenchmark.(floor|readerDecodeBatch)' -p backend=lmdb -prof gc ;;
    profile)
      jfc
      run profile 'OperatorBenchmark|DbReadBenchmark.readerDecodeBatch' -p backend=lmdb -p batchSize=64 \
        -prof "jfr:dir=$OUT/jfr;configName=$OUT/cpu-1ms.jfc"
      for f in "$OUT"/jfr/*/profile.jfr; do
        echo "### $(basename "$(dirname "$f")")"
        java -cp "$JAR" dev.cortado.bench.JfrTop "$f" 25
      done > "$OUT/profile.txt" ;;
    cli)
      # cortado bench and db-throughput (the CLI's own timing loop) on the same fmnist-train DBs.
      [[ -x ./cortado ]] || { echo "no ./cortado launcher" >&2; return 1; }
      local b path
      echo "== cli: ./cortado bench / db-throughput --json" | tee -a "$OUT/load.txt"
      echo "   before: $(cat /proc/loadavg)" >> "$OUT/load.txt"
      : > "$OUT/cli.jsonl"
      while IFS=$'\t' read -r b path; do
        for batch in 64 256; do
          "${PREFIX[@]}" ./cortado bench --db "$path" --db-type "$b" --batch-size "$batch" \
            --passes 15 --warmup 3 --json -q >> "$OUT/cli.jsonl"
          "${PREFIX[@]}" ./cortado bench --db "$path" --db-type "$b" --batch-size "$batch" \
            --passes 15 --warmup 3 --no-prefetch --json -q >> "$OUT/cli.jsonl"
        done
        "${PREFIX[@]}" ./cortado db-throughput --db "$path" --db-type "$b" --repeat 15 --warmup 3 --json -q \
          >> "$OUT/cli.jsonl"
      done < <(java -cp "$JAR" dev.cortado.bench.Datasets fmnist-train 0 lmdb leveldb rocksdb minidb)
      echo "   after:  $(cat /proc/loadavg)" >> "$OUT/load.txt" ;;
    *) echo "unknown suite '$1'; known: decode read assembly operator large prefetch gc profile cli" >&2; exit 2 ;;
  esac
}

{
  echo "# $(date -u +%FT%TZ) $(uname -r) git $(git rev-parse --short HEAD 2>/dev/null)" \
    "($(git status --porcelain --untracked-files=no 2>/dev/null | wc -l) files modified)"
  lscpu | grep -E 'Model name|^CPU\(s\)|Thread|MHz|L2|L3' || true
  java -version 2>&1 | head -2
} >> "$OUT/load.txt"
if [[ $# -eq 0 ]]; then set -- decode read assembly operator large prefetch gc profile cli; fi
for s in "$@"; do suite "$s"; done
java -cp "$JAR" dev.cortado.bench.Report "$OUT"/*.json "$OUT"/*.jsonl > "$OUT/summary.md"
echo "results in $OUT (summary.md, load.txt)"
