#!/usr/bin/env bash
# Cortado's GPU check, in two halves:
#
#   ./gpu-check.sh prepare        (on a build machine with JDK 17 + Maven deps; no GPU needed)
#       Builds ./gpu-bundle/ (git-ignored, < 60 MiB): a jlink'ed Java runtime with only the modules
#       the jars need, the jars of operator-cuda and its dependencies (no RocksDB, no LMDB: the check
#       reads minidb, which is pure Java), the test classes with the pinned JUnit console launcher,
#       and a copy of testdata/fmnist-mini.
#
#   ./gpu-check.sh run OUTDIR     (on the GPU machine: no Java, no Maven, no network needed)
#       Uses only ./gpu-bundle and writes everything to OUTDIR:
#         1. the operator-cuda tests (GPU tests run; CPU-side tests run too)   -> junit/, junit.txt
#         2. the conformance run on fmnist-mini: CPU variant and CUDA variants,
#            digests compared with expectations.json and with each other      -> conformance.txt
#        2b. `cortado run-net --digest` with the CPU and the CUDA read net: equal digests (without a
#            GPU: the CUDA net exits non-zero with the one-line no-device error) -> run-net-*.jsonl
#         3. throughput: pinned H2D GB/s vs. PyTorch's pinned .cuda(non_blocking=True) on the same
#            bytes, and TensorProtosDBInput batches/s on CPU and CUDA          -> throughput.{txt,json}
#       summary.txt says PASS/FAIL per step. Without a GPU (or driver) the GPU parts are skipped with
#       the reason and the script exits 0; a failing step exits 1. Each step has a timeout
#       (probe 20, tests 90, conformance 50, run-net 2 x 40, PyTorch 45, throughput 60 s) and all
#       of them together are capped at 270 s, so a run ends within 5 minutes; a normal one takes
#       about a minute.
#
# CUDA libraries: JCuda 12.6's libJCudaRuntime links the CUDA runtime (cudart) statically, so the
# only native CUDA library needed at run time is the driver's libcuda.so.1 (any driver that supports
# CUDA >= 12.6, e.g. a CUDA 13 driver). Only memcpy/stream/event APIs are used, no kernels, so the
# GPU architecture does not matter. `run` finds libcuda.so.1 (ldconfig, the usual driver folders,
# then a bounded search) and puts its folder on LD_LIBRARY_PATH; stub libraries are skipped.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUNDLE="$ROOT/gpu-bundle"
MAX_BUNDLE_MIB=60

die() { echo "gpu-check: $*" >&2; exit 1; }

# ----------------------------------------------------------------------------------------------
# prepare
# ----------------------------------------------------------------------------------------------
prepare() {
  command -v jlink >/dev/null || die "prepare needs a JDK 17 with jlink and jdeps on the PATH"
  command -v jdeps >/dev/null || die "prepare needs jdeps (JDK 17)"
  local jv
  jv="$(java -version 2>&1 | head -1)"
  case "$jv" in *'"17'*) ;; *) die "prepare needs JDK 17 (the bundle's runtime is jlinked from it); found: $jv" ;; esac

  echo "== building operator-cuda and its dependencies"
  # Upstream modules are installed without compiling their tests (only this module's tests go into
  # the bundle), then operator-cuda is packaged with the gpu-bundle profile, which stages the jars.
  rm -rf "$ROOT/operator-cuda/target/gpu-bundle"
  mvn_try -q install -pl operator-cuda -am -Dmaven.test.skip=true || die "maven build of the upstream modules failed"
  mvn_try -q -Pgpu-bundle package -pl operator-cuda -DskipTests || die "maven package of operator-cuda failed"
  local staged="$ROOT/operator-cuda/target/gpu-bundle"
  [ -d "$staged/lib" ] || die "maven did not stage $staged/lib"

  echo "== assembling $BUNDLE"
  rm -rf "$BUNDLE"
  mkdir -p "$BUNDLE/lib" "$BUNDLE/tests" "$BUNDLE/junit" "$BUNDLE/native" "$BUNDLE/testdata"
  local jar
  for jar in "$staged"/lib/*.jar; do
    case "$(basename "$jar")" in
      jcuda-natives-*) slim_natives "$jar" "$BUNDLE/lib/$(basename "$jar")" ;;
      *) cp "$jar" "$BUNDLE/lib/" ;;
    esac
  done
  cp "$ROOT"/operator-cuda/target/cortado-operator-cuda-*-tests.jar "$BUNDLE/tests/" \
    || die "no test jar in operator-cuda/target"
  cp "$ROOT"/operator-cuda/target/cortado-operator-cuda-*[0-9T].jar "$BUNDLE/lib/" \
    || die "no main jar in operator-cuda/target"
  cp "$staged"/junit/junit-platform-console-standalone-*.jar "$BUNDLE/junit/" \
    || die "the JUnit console launcher was not staged"

  local testdata="${CORTADO_TESTDATA:-$ROOT/testdata}"
  [ -f "$testdata/fmnist-mini/expectations.json" ] || die "no fmnist-mini under $testdata"
  cp -r "$testdata/fmnist-mini" "$BUNDLE/testdata/"
  # One test checks that STRING outputs are refused on CUDA; it reads all-dtypes' minidb (18 KiB).
  mkdir -p "$BUNDLE/testdata/all-dtypes"
  cp "$testdata/all-dtypes/all-dtypes.minidb" "$testdata/all-dtypes/expectations.json" "$BUNDLE/testdata/all-dtypes/"
  chmod -R u+w "$BUNDLE/testdata"

  add_cli

  echo "== finding the Java modules the jars need (jdeps)"
  # One jar at a time: a modular jar (progressbar) needs its module dependencies on the module path,
  # which would break the automatic modules of the others. Only JDK modules are kept.
  local modules="" cpall jar found
  cpall="$(cd "$BUNDLE" && ls -d "$PWD"/lib/*.jar "$PWD"/junit/*.jar $(ls -d "$PWD"/cli/*.jar 2>/dev/null) | tr '\n' ':')"
  for jar in "$BUNDLE"/lib/*.jar "$BUNDLE"/tests/*.jar "$BUNDLE"/junit/*.jar $(ls "$BUNDLE"/cli/*.jar 2>/dev/null); do
    found="$(jdeps --print-module-deps --ignore-missing-deps --multi-release 17 --class-path "$cpall" "$jar" 2>/dev/null | tail -1)" \
      || found="$(jdeps --print-module-deps --ignore-missing-deps --multi-release 17 \
                  --module-path "$BUNDLE/cli:$BUNDLE/lib" "$jar" 2>/dev/null | tail -1)" \
      || die "jdeps failed on $jar"
    modules="$modules,$found"
  done
  modules="$(echo "$modules" | tr ',' '\n' | grep -E '^(java|jdk)\.' | sort -u | paste -sd, -)"
  [ -n "$modules" ] || die "jdeps found no modules"
  # Users jdeps cannot see: protobuf/Guice use sun.misc.Unsafe reflectively, JCuda logs through
  # java.util.logging, and JUnit scans the test jar through the zip file system.
  modules="$modules,jdk.unsupported,java.logging,jdk.zipfs"
  modules="$(echo "$modules" | tr ',' '\n' | sort -u | paste -sd, -)"
  echo "   modules: $modules"

  echo "== jlink"
  jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 \
    --output "$BUNDLE/jre" || die "jlink failed"
  # Distribution JDKs ship libjvm.so with its symbol table; the runtime does not need it.
  if command -v strip >/dev/null; then
    find "$BUNDLE/jre" -name '*.so' -exec strip --strip-unneeded {} + 2>/dev/null || true
  fi
  "$BUNDLE/jre/bin/java" -version >/dev/null 2>&1 || die "the jlinked runtime does not start"

  cp "$ROOT/operator-cuda/src/test/python/h2d_baseline.py" "$BUNDLE/"
  {
    echo "cortado gpu bundle"
    echo "built:   $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm)"
    echo "commit:  $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)$(cd "$ROOT" && git diff --quiet -- operator-cuda 2>/dev/null || echo ' (+ uncommitted operator-cuda changes)')"
    echo "java:    $jv"
    echo "modules: $modules"
    echo "glibc:   needs >= 2.34 (jlinked from $(ldd --version 2>/dev/null | head -1))"
    echo "jars:"
    (cd "$BUNDLE" && ls lib tests junit | sed 's/^/  /')
  } > "$BUNDLE/MANIFEST.txt"

  local kib mib
  kib="$(du -sk "$BUNDLE" | cut -f1)"
  mib=$(( (kib + 1023) / 1024 ))
  echo "== bundle: $BUNDLE, ${mib} MiB"
  [ "$mib" -lt "$MAX_BUNDLE_MIB" ] || die "bundle is ${mib} MiB, over the ${MAX_BUNDLE_MIB} MiB limit"
  echo "ok: carry 'gpu-bundle' with the working tree, then run: ./gpu-check.sh run OUTDIR"
}

# Adds the cortado CLI (cli/ in the bundle) for the run-net --digest check, without the native
# DB backends (RocksDB, LMDB and their JNR/JFFI helpers): the check reads minidb. Optional: if the
# CLI does not build, the bundle is made without it and `run` skips that step.
add_cli() {
  echo "== the cortado CLI (for the run-net --digest check)"
  if ! mvn_try -q package -pl cli -am -Dmaven.test.skip=true || [ ! -f "$ROOT/cli/target/cortado-cli.jar" ]; then
    echo "WARNING: the CLI did not build; the bundle has no run-net check"
    return 0
  fi
  mkdir -p "$BUNDLE/cli" "$BUNDLE/cli-nets"
  cp "$ROOT/cli/target/cortado-cli.jar" "$BUNDLE/cli/"
  local jar name
  for jar in "$ROOT"/cli/target/lib/*.jar; do
    name="$(basename "$jar")"
    case "$name" in
      rocksdbjni-*|lmdbjava-*|jnr-*|jffi-*|asm-*|cortado-db-rocksdb-*|cortado-db-lmdb-*|jcuda-natives-*|byte-buddy-*) continue ;;
    esac
    [ -e "$BUNDLE/lib/$name" ] || cp "$jar" "$BUNDLE/cli/"
  done
  cat > "$BUNDLE/cli-nets/init.pbtxt" <<'NET'
name: "init"
op { type: "CreateDB" output: "dbreader"
     arg { name: "db_type" s: "minidb" } arg { name: "db" s: "testdata/fmnist-mini/fmnist-mini.minidb" } }
NET
  local device
  for device in cpu cuda; do
    {
      echo "name: \"read_$device\""
      echo 'external_input: "dbreader"'
      [ "$device" = cuda ] && echo 'device_option { device_type: 1 device_id: 0 }'
      echo 'op { type: "TensorProtosDBInput" input: "dbreader" output: "image" output: "label"'
      echo '     arg { name: "batch_size" i: 64 } }'
    } > "$BUNDLE/cli-nets/read-$device.pbtxt"
  done
}

# Runs the Maven Wrapper offline, and online once if offline fails (first run: downloads).
mvn_try() {
  (cd "$ROOT" && ./mvnw -B -o "$@") && return 0
  echo "offline maven run failed; retrying online"
  (cd "$ROOT" && ./mvnw -B "$@")
}

# Repacks jcuda-natives with only libJCudaRuntime: the driver-API, NVRTC and PTX-compiler JNI
# libraries (24 MiB unpacked) are not used by Cortado. Also unpacks it to native/ so that
# java.library.path works where the temp folder is not executable.
slim_natives() {
  local src="$1" dst="$2" tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && unzip -q "$src" 'META-INF/*' 'lib/libJCudaRuntime-*') || die "cannot unpack $src"
  (cd "$tmp" && jar --create --file "$dst" --no-manifest META-INF lib) || die "cannot repack $src"
  cp "$tmp"/lib/libJCudaRuntime-*.so "$BUNDLE/native/"
  rm -rf "$tmp"
}

# ----------------------------------------------------------------------------------------------
# run
# ----------------------------------------------------------------------------------------------

# Prints the folder holding the NVIDIA driver's libcuda.so.1, or nothing.
find_libcuda_dir() {
  local f d
  is_real() { case "$1" in *stubs*) return 1 ;; esac; [ -e "$1" ]; }
  if command -v ldconfig >/dev/null; then
    f="$(ldconfig -p 2>/dev/null | awk '/libcuda\.so\.1 .*x86-64/ {print $NF; exit}')"
    if [ -n "$f" ] && is_real "$f"; then dirname "$(readlink -f "$f")"; return; fi
  fi
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib \
           /usr/lib/wsl/lib /run/nvidia/driver/usr/lib/x86_64-linux-gnu /run/nvidia/driver/usr/lib64 \
           /usr/lib/x86_64-linux-gnu/nvidia/current /usr/local/cuda/compat /usr/local/cuda/lib64; do
    if is_real "$d/libcuda.so.1"; then echo "$d"; return; fi
  done
  f="$(timeout 15 find / -xdev \( -path /proc -o -path /sys \) -prune -o -name 'libcuda.so.1' -print 2>/dev/null \
       | grep -v stubs | head -1)"
  [ -n "$f" ] && dirname "$f"
}

# Seconds a step may still take: its own limit, capped so that the whole run stays within
# RUN_BUDGET_S (270 s, leaving room for start-up and the summary under the 5-minute bound).
RUN_BUDGET_S=270
step_limit() {
  local want="$1" left=$(( RUN_BUDGET_S - SECONDS ))
  [ "$left" -lt 5 ] && left=5
  [ "$want" -lt "$left" ] && echo "$want" || echo "$left"
}

run_step() { # name timeout_s command...
  local name="$1" limit
  limit="$(step_limit "$2")"; shift 2
  echo
  echo "=================== $name"
  local start=$SECONDS
  timeout --kill-after=5 "$limit" "$@"
  local rc=$?
  [ "$rc" -eq 124 ] && echo "$name: TIMED OUT after ${limit}s"
  echo "($name: exit $rc, $((SECONDS - start)) s)"
  return "$rc"
}

run() {
  local out="${1:-}"
  [ -n "$out" ] || die "usage: $0 run OUTDIR"
  [ -x "$BUNDLE/jre/bin/java" ] || die "no bundle at $BUNDLE: run './gpu-check.sh prepare' first and carry gpu-bundle"
  out="$(cd "$out" && pwd)"
  mkdir -p "$out/tmp"
  local t0=$SECONDS
  echo "cortado gpu-check run: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm), bundle:"
  sed -n '1,6p' "$BUNDLE/MANIFEST.txt" | sed 's/^/  /'

  local java="$BUNDLE/jre/bin/java"
  if ! "$java" -version > "$out/java-version.txt" 2>&1; then
    cat "$out/java-version.txt"
    echo "the bundled Java runtime does not start here. glibc: $(ldd --version 2>/dev/null | head -1)"
    ldd "$BUNDLE/jre/lib/server/libjvm.so" 2>&1 | grep -i 'not found' || true
    die "bundled java failed (it needs glibc >= 2.34, libstdc++, libz)"
  fi

  # Is a GPU expected here? (Then failing to use it is an error, not a skip.)
  local gpu_expected=0
  if command -v nvidia-smi >/dev/null; then
    timeout 20 nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
    timeout 20 nvidia-smi -L 2>/dev/null | sed 's/^/  /'
    timeout 20 nvidia-smi -L 2>/dev/null | grep -q '^GPU' && gpu_expected=1
    timeout 20 nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1 | sed 's/^/  driver /'
  else
    echo "  nvidia-smi: not found"
  fi
  ls /dev/nvidia[0-9]* >/dev/null 2>&1 && gpu_expected=1
  local libdir base_ld="${LD_LIBRARY_PATH:-}"
  libdir="$(find_libcuda_dir)"
  if [ -n "$libdir" ]; then
    echo "  libcuda.so.1: $libdir"
    export LD_LIBRARY_PATH="$libdir${base_ld:+:$base_ld}"
  else
    echo "  libcuda.so.1: not found (no NVIDIA driver here)"
  fi

  # An explicit list: the JUnit launcher's --class-path does not expand "dir/*" like java -cp.
  local jars=("$BUNDLE"/lib/*.jar "$BUNDLE"/tests/*.jar) cp
  cp="$(IFS=:; echo "${jars[*]}")"
  local jopts=(-Xss4m -Djava.io.tmpdir="$out/tmp" -Djava.library.path="$BUNDLE/native"
               -Dcortado.testdata="$BUNDLE/testdata"
               --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED)
  # CORTADO_GPU_CHECK_FAKE=1: a dry run of the GPU branch on a fake device (for testing this script
  # on a machine without a GPU); the JUnit GPU tests still need a real one and stay skipped.
  local fake="${CORTADO_GPU_CHECK_FAKE:-0}"
  [ "$fake" = 1 ] && jopts+=(-Dcortado.gpucheck.fake=true) && echo "  DRY RUN on a fake GPU (CORTADO_GPU_CHECK_FAKE=1)"
  local probe gpu=0 rc
  probe="$(timeout 20 "$java" "${jopts[@]}" -cp "$cp" dev.cortado.cuda.GpuCheck probe 2>&1)"
  rc=$?
  if [ "$rc" = 3 ] && [ "$gpu_expected" = 1 ]; then
    # A GPU is there but the driver's libcuda did not serve CUDA 12.6: try the CUDA forward
    # compatibility libraries (cuda-compat) where a CUDA toolkit installed them.
    local compat
    for compat in /usr/local/cuda/compat /usr/local/cuda-*/compat; do
      [ -e "$compat/libcuda.so.1" ] || continue
      echo "  probe failed ($probe); retrying with $compat"
      export LD_LIBRARY_PATH="$compat${base_ld:+:$base_ld}"
      probe="$(timeout 20 "$java" "${jopts[@]}" -cp "$cp" dev.cortado.cuda.GpuCheck probe 2>&1)"
      rc=$?
      [ "$rc" = 0 ] && break
      export LD_LIBRARY_PATH="$libdir${base_ld:+:$base_ld}"
    done
  fi
  case $rc in 0) gpu=1 ;; 3) gpu=0 ;; *) echo "$probe"; die "the CUDA probe crashed (exit $rc)" ;; esac
  echo "  $probe"
  echo "$probe" > "$out/cuda-probe.txt"

  local summary=() status=0
  if [ "$gpu" = 0 ] && [ "$gpu_expected" = 1 ]; then
    summary+=("0. CUDA: FAIL (a GPU is present but JCuda cannot use it: $probe; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-})")
    status=1
    echo "  ERROR: a GPU is present but JCuda cannot use it; the GPU steps are skipped and the run FAILS"
  fi

  # 1. tests
  echo
  echo "=================== 1. operator-cuda tests (JUnit; full tree in junit.txt)"
  run_step "1. operator-cuda tests (JUnit)" 90 \
    "$java" "${jopts[@]}" -jar "$BUNDLE"/junit/junit-platform-console-standalone-*.jar execute \
      --class-path "$cp" --scan-class-path "$(ls "$BUNDLE"/tests/*.jar | head -1)" \
      --reports-dir "$out/junit" --details=tree --disable-banner --disable-ansi-colors \
      > "$out/junit.txt" 2>&1
  local rc1=$?
  grep -E 'tests (found|successful|skipped|aborted|failed)' "$out/junit.txt" | sed 's/^/  /'
  local aborted
  aborted="$(awk '/tests aborted/ {print $2}' "$out/junit.txt")"
  if [ "$rc1" -ne 0 ]; then
    summary+=("1. tests: FAIL (exit $rc1; see junit.txt)"); status=1
    grep -E '✘' "$out/junit.txt" | head -20
  elif [ "$gpu" = 1 ] && [ "$fake" = 1 ]; then
    summary+=("1. tests: PASS for CPU-side tests; GPU tests SKIPPED (${aborted:-0}; fake GPU dry run)")
  elif [ "$gpu" = 1 ] && [ "${aborted:-0}" != 0 ]; then
    summary+=("1. tests: FAIL ($aborted GPU tests skipped although a GPU is present)"); status=1
  elif [ "$gpu" = 1 ]; then
    summary+=("1. tests: PASS (GPU tests ran)")
  else
    summary+=("1. tests: PASS for CPU-side tests; GPU tests SKIPPED (${aborted:-0} skipped: no GPU)")
  fi

  # 2. conformance
  run_step "2. conformance on fmnist-mini (CPU and CUDA variants)" 50 \
    "$java" "${jopts[@]}" -cp "$cp" dev.cortado.cuda.GpuCheck conformance \
      "$BUNDLE/testdata/fmnist-mini" "$out"
  local rc2=$?
  if [ "$rc2" -ne 0 ]; then summary+=("2. conformance: FAIL (see conformance.txt)"); status=1
  elif [ "$gpu" = 1 ]; then summary+=("2. conformance: PASS (CUDA digests == CPU digests == expectations.json)")
  else summary+=("2. conformance: PASS for the CPU variant; CUDA variant SKIPPED (no GPU)"); fi

  # 2b. the CLI end to end
  if [ -f "$BUNDLE/cli/cortado-cli.jar" ]; then
    local cli=("$java" "${jopts[@]}" -cp "$BUNDLE/cli/*:$BUNDLE/lib/*" dev.cortado.cli.Main run-net -q
               --init cli-nets/init.pbtxt --iterations 6 --digest image,label)
    echo
    echo "=================== 2b. cortado run-net --digest: CPU net vs CUDA net"
    (cd "$BUNDLE" && timeout "$(step_limit 40)" "${cli[@]}" --net cli-nets/read-cpu.pbtxt) \
      > "$out/run-net-cpu.jsonl" 2> "$out/run-net-cpu.err"
    local rcc=$?
    (cd "$BUNDLE" && timeout "$(step_limit 40)" "${cli[@]}" --net cli-nets/read-cuda.pbtxt) \
      > "$out/run-net-cuda.jsonl" 2> "$out/run-net-cuda.err"
    local rcg=$?
    echo "  CPU net: exit $rcc, $(grep -c sha256 "$out/run-net-cpu.jsonl") digest lines; CUDA net: exit $rcg, $(grep -c sha256 "$out/run-net-cuda.jsonl") digest lines"
    [ -s "$out/run-net-cuda.err" ] && sed 's/^/  CUDA net stderr: /' "$out/run-net-cuda.err" | head -3
    if [ "$rcc" -ne 0 ] || [ ! -s "$out/run-net-cpu.jsonl" ]; then
      summary+=("2b. run-net: FAIL (the CPU net failed, exit $rcc; see run-net-cpu.err)"); status=1
    elif [ "$gpu" = 1 ] && [ "$fake" != 1 ]; then
      if [ "$rcg" -eq 0 ] && [ "$(cat "$out/run-net-cpu.jsonl")" = "$(cat "$out/run-net-cuda.jsonl")" ]; then
        summary+=("2b. run-net: PASS (--digest of the CUDA blobs == CPU blobs, 6 runs)")
      else
        summary+=("2b. run-net: FAIL (CUDA net exit $rcg; digests differ or missing; see run-net-*.jsonl/.err)"); status=1
      fi
    elif [ "$rcg" -ne 0 ] && [ "$(wc -l < "$out/run-net-cuda.err")" -le 1 ] \
        && grep -q 'no CUDA device available' "$out/run-net-cuda.err"; then
      summary+=("2b. run-net: PASS for the CPU net; the CUDA net exits $rcg with the one-line no-device error")
    else
      summary+=("2b. run-net: FAIL (without a GPU the CUDA net must exit non-zero with one 'no CUDA device available' line)"); status=1
    fi
  else
    summary+=("2b. run-net: SKIPPED (the bundle has no CLI)")
  fi

  # 3. throughput
  local torch_json=""
  if [ "$gpu" = 1 ]; then
    if command -v python3 >/dev/null; then
      torch_json="$out/torch-h2d.json"
      run_step "3a. PyTorch pinned H2D baseline" 45 \
        python3 "$BUNDLE/h2d_baseline.py" "$((64 * 788)),$((256 * 788)),$((4096 * 788))" "$torch_json" \
        || echo "PyTorch baseline unavailable; continuing without it"
    else
      echo "python3 not found: the PyTorch baseline is skipped"
    fi
  fi
  run_step "3. throughput" 60 \
    "$java" "${jopts[@]}" -cp "$cp" dev.cortado.cuda.GpuCheck throughput \
      "$BUNDLE/testdata/fmnist-mini" "$out" $torch_json
  local rc3=$?
  if [ "$rc3" -ne 0 ]; then summary+=("3. throughput: FAIL (exit $rc3)"); status=1
  elif [ "$gpu" = 1 ]; then summary+=("3. throughput: done (throughput.txt)")
  else summary+=("3. throughput: CPU pipeline only; GPU parts SKIPPED (no GPU)"); fi

  {
    echo "cortado gpu-check: $probe"
    printf '%s\n' "${summary[@]}"
    echo "overall: $([ $status = 0 ] && echo PASS || echo FAIL) in $((SECONDS - t0)) s$([ "$fake" = 1 ] && echo ' (FAKE GPU DRY RUN: GPU numbers are meaningless)')"
  } > "$out/summary.txt"
  echo
  echo "=================== summary"
  cat "$out/summary.txt"
  rm -rf "$out/tmp"
  return "$status"
}

case "${1:-}" in
  prepare) prepare ;;
  run)
    [ -n "${2:-}" ] || die "usage: $0 run OUTDIR"
    mkdir -p "$2" || die "cannot create $2"
    # Everything also goes to OUTDIR/gpu-check.log; the exit code is run's.
    run "$2" 2>&1 | tee "$2/gpu-check.log"
    exit "${PIPESTATUS[0]}"
    ;;
  *) echo "usage: $0 prepare | run OUTDIR" >&2; exit 2 ;;
esac
