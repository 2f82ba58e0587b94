#!/usr/bin/env bash
# The shaded connector jar with Spark's own classpath, as `spark-submit --jars` runs it: Spark's
# protobuf-java (older than Cortado's) and rocksdbjni come first, the connector brings only
# target/cortado-spark-*-all.jar. Run by `./mvnw verify` in the integration-test phase.
set -euo pipefail
module="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
testdata="${CORTADO_TESTDATA:-$module/../testdata}"
target="$module/target"
all_jar="$(ls "$target"/cortado-spark-*-all.jar)"
spark_cp="$(cat "$target/spark-classpath.txt"):$(cat "$target/spark-slf4j-classpath.txt")"
spark_protobuf="$(ls "$target"/spark-protobuf/protobuf-java-*.jar)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/cortado-all-jar.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# Only the check's own class from the test classes; no other test classes or services.
mkdir -p "$tmp/check/dev/cortado/spark"
cp "$target/test-classes/dev/cortado/spark/AllJarCheck.class" "$tmp/check/dev/cortado/spark/"
# Anything the jar pulls in that Spark already has would shadow Spark's copy: refuse it.
if unzip -l "$all_jar" | grep -qE ' (com/google/protobuf/|org/rocksdb/|org/slf4j/|scala/)'; then
  echo "all-jar-check: FAIL: $all_jar holds classes Spark provides (unrelocated protobuf, rocksdb, slf4j or scala)" >&2
  exit 1
fi
# shellcheck disable=SC2086
java ${SPARK_JVM_FLAGS:-} -cp "$spark_protobuf:$spark_cp:$all_jar:$tmp/check" \
  dev.cortado.spark.AllJarCheck "$testdata" "$tmp" 2>"$tmp/stderr" | tee "$tmp/stdout" || {
  tail -40 "$tmp/stderr" >&2
  echo "all-jar-check: FAIL" >&2
  exit 1
}
grep -q "protobuf-java on the classpath: .*protobuf-java-4\.33" "$tmp/stdout" \
  || { echo "all-jar-check: FAIL: Spark's protobuf-java was not the one on the classpath" >&2; exit 1; }
grep -q "rocksdbjni on the classpath: .*rocksdbjni-9\." "$tmp/stdout" \
  || { echo "all-jar-check: FAIL: Spark's rocksdbjni was not the one on the classpath" >&2; exit 1; }
echo "all-jar-check: ok ($(du -h "$all_jar" | cut -f1) $(basename "$all_jar"))"
