#!/usr/bin/env bash
# End-to-end test of the ./cortado launcher with the packaged CLI (run by `./mvnw verify` in the
# integration-test phase of the cli module, after the jar and target/lib exist): the real script,
# the real JVM flags, plugin jars from CORTADO_PLUGINS_DIR and CORTADO_CLASSPATH, the error style.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
testdata="${CORTADO_TESTDATA:-$root/testdata}"
export CORTADO_NO_BUILD=1 # the reactor has just packaged the CLI
tmp="$(mktemp -d "${TMPDIR:-/tmp}/cortado-launcher-test.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "launcher-test: FAIL: $*" >&2
  exit 1
}
minidb="$testdata/fmnist-mini/fmnist-mini.minidb"

# --version and a command's output through the script
"$root/cortado" --version | grep -q '^cortado ' || fail "--version"
"$root/cortado" db-dump --db "$minidb" --db-type minidb >"$tmp/dump"
[[ "$(wc -l <"$tmp/dump")" -eq 256 ]] || fail "db-dump printed $(wc -l <"$tmp/dump") lines, expected 256"
head -1 "$tmp/dump" | grep -q '"key_hex":"3030303030303030","value_len":805' || fail "first db-dump line: $(head -1 "$tmp/dump")"

# --version names the commit, Java and what was found
"$root/cortado" --version >"$tmp/version"
grep -q '^git commit: ' "$tmp/version" || fail "--version has no git commit: $(cat "$tmp/version")"
grep -q '^db backends: .*lmdb' "$tmp/version" || fail "--version lists no backends: $(cat "$tmp/version")"

# through a symlink on PATH, from another folder
mkdir -p "$tmp/bin"
ln -s "$root/cortado" "$tmp/bin/cortado"
n="$(cd / && PATH="$tmp/bin:$PATH" cortado db-dump --db "$minidb" | wc -l)"
[[ "$n" -eq 256 ]] || fail "through a symlink on PATH: $n lines"

# shell completion
"$root/cortado" generate-completion | grep -q 'complete -F' || fail "generate-completion"

# the error style: exit 1, one line on stderr, no stack trace; --verbose adds it
set +e
"$root/cortado" db-dump --db "$tmp/missing.minidb" --db-type minidb >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "exit status $rc for a missing DB, expected 1"
[[ "$(wc -l <"$tmp/err")" -eq 1 ]] || fail "stderr has $(wc -l <"$tmp/err") lines: $(cat "$tmp/err")"
grep -q "$tmp/missing.minidb" "$tmp/err" || fail "the error does not name the path: $(cat "$tmp/err")"
set +e
"$root/cortado" db-dump --verbose --db "$tmp/missing.minidb" --db-type minidb >"$tmp/out" 2>"$tmp/err"
set -e
grep -q $'^\tat ' "$tmp/err" || fail "--verbose printed no stack trace"

# a plugin jar, written the way an outside author would: one DbProvider + META-INF/services
mkdir -p "$tmp/src/example" "$tmp/classes/META-INF/services" "$tmp/plugins"
cat >"$tmp/src/example/AliasProvider.java" <<'JAVA'
package example;

import dev.cortado.db.Db;
import dev.cortado.db.DbProvider;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;

/** db_type "launcher-test": minidb under another name, to prove the plugin was loaded. */
public final class AliasProvider implements DbProvider {
  @Override
  public String name() {
    return "launcher-test";
  }

  @Override
  public Db open(String source, Mode mode) {
    return DbRegistry.fromServiceLoader().open("minidb", source, mode);
  }
}
JAVA
api="$(ls "$root"/cli/target/lib/cortado-operator-api-*.jar | head -1)"
runtime="$(ls "$root"/cli/target/lib/cortado-runtime-*.jar | head -1)"
javac --release 17 -d "$tmp/classes" -cp "$api:$runtime" "$tmp/src/example/AliasProvider.java"
echo example.AliasProvider >"$tmp/classes/META-INF/services/dev.cortado.db.DbProvider"
jar --create --file "$tmp/plugins/alias.jar" -C "$tmp/classes" .

n="$(CORTADO_PLUGINS_DIR="$tmp/plugins" "$root/cortado" db-dump --db "$minidb" --db-type launcher-test | wc -l)"
[[ "$n" -eq 256 ]] || fail "a plugin from CORTADO_PLUGINS_DIR: $n lines"
n="$(CORTADO_CLASSPATH="$tmp/plugins/*" "$root/cortado" db-dump --db "$minidb" --db-type LAUNCHER-TEST | wc -l)"
[[ "$n" -eq 256 ]] || fail "a plugin from CORTADO_CLASSPATH: $n lines"
CORTADO_CLASSPATH="$tmp/plugins/alias.jar" "$root/cortado" ops | grep -q 'launcher-test' \
  || fail "ops does not list the plugin's db type"
set +e
"$root/cortado" db-dump --db "$minidb" --db-type launcher-test >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "unknown db_type 'launcher-test'" "$tmp/err" \
  || fail "without the plugin: exit $rc, $(cat "$tmp/err")"

# C's example plugin, when the reactor built it (its jars land in target/plugin/)
if compgen -G "$root/examples/sqlite-db-plugin/target/plugin/*.jar" >/dev/null; then
  CORTADO_CLASSPATH="$root/examples/sqlite-db-plugin/target/plugin/*" "$root/cortado" convert-db \
    --input-db "$minidb" --input-db-type minidb --output-db "$tmp/f.sqlite" --output-db-type sqlite >/dev/null
  n="$(CORTADO_CLASSPATH="$root/examples/sqlite-db-plugin/target/plugin/*" "$root/cortado" db-dump \
    --db "$tmp/f.sqlite" --db-type sqlite | wc -l)"
  [[ "$n" -eq 256 ]] || fail "the sqlite plugin: $n lines"
  echo "launcher-test: sqlite example plugin OK"
fi
echo "launcher-test: OK"
