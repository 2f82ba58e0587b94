package dev.cortado.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ludovic.netlib.blas.NativeBLAS;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every benchmark once, in this JVM, on tiny datasets, so the suite cannot rot: each must set
 * up, run and tear down without error, and each throughput benchmark must report the records it
 * processed.
 */
class BenchmarksSmokeTest {
  @TempDir Path cache;

  /** Whether netlib finds a native BLAS on this machine. */
  private static boolean nativeBlasLoads() {
    try {
      NativeBLAS.getInstance();
      return true;
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  @Test
  void everyBenchmarkRunsOnTinyData() throws Exception {
    System.setProperty("cortado.bench.dir", cache.toString());
    // JMH's lock keeps two timed runs apart; this run times nothing, so a benchmark run elsewhere
    // on the machine must not fail the build.
    System.setProperty("jmh.ignoreLock", "true");
    try {
      OptionsBuilder builder = new OptionsBuilder();
      if (!nativeBlasLoads()) {
        // Without a system BLAS (libopenblas0-pthread, which .ci/run installs) netlib's native
        // kernel cannot load; the other GEMM kernels bring their own or need none.
        builder.param("kernel", "java", "netlib-java", "openblas-offheap", "openblas-heap");
      }
      Options options =
          builder
              .include("dev\\.cortado\\.bench\\..*")
              .forks(0)
              .warmupIterations(1)
              .warmupTime(TimeValue.milliseconds(20))
              .measurementIterations(1)
              .measurementTime(TimeValue.milliseconds(50))
              .param("records", "256")
              .param("consumerTokens", "1000")
              .shouldFailOnError(true)
              .verbosity(VerboseMode.SILENT)
              .build();
      Collection<RunResult> results = new Runner(options).run();

      Set<String> ran = new TreeSet<>();
      for (RunResult r : results) {
        String name = r.getParams().getBenchmark();
        ran.add(name);
        double score = r.getPrimaryResult().getScore();
        assertThat(score).as("score of %s %s", name, r.getParams()).isFinite().isNotNegative();
        if (r.getParams().getMode() == Mode.Throughput) {
          // Throughput benchmarks count what they processed; zero means they did nothing.
          Result<?> records = r.getSecondaryResults().get("records");
          assertThat(records).as("records counter of %s %s", name, r.getParams()).isNotNull();
          assertThat(records.getScore()).as("records of %s %s", name, r.getParams()).isPositive();
        }
      }
      assertThat(ran).as("benchmarks that ran").containsExactlyInAnyOrderElementsOf(declared());
    } finally {
      System.clearProperty("cortado.bench.dir");
      System.clearProperty("jmh.ignoreLock");
    }
  }

  /** Every benchmark method the annotation processor listed. */
  private static Set<String> declared() {
    Set<String> names = new TreeSet<>();
    for (BenchmarkListEntry e :
        BenchmarkList.defaultList()
            .getAll(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT),
                List.of())) {
      names.add(e.getUsername());
    }
    assertThat(names).as("benchmarks in META-INF/BenchmarkList").hasSizeGreaterThan(5);
    return names;
  }
}
