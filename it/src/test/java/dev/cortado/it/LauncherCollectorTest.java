package dev.cortado.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The {@code ./cortado} launcher's choice of garbage collector: the throughput collector with a
 * capped young generation, unless {@code JAVA_OPTS} picks a collector, which then is the only one
 * (the JVM refuses to start with two).
 */
class LauncherCollectorTest {
  private static Repo.Result version(String javaOpts) throws Exception {
    Repo.Result r =
        Repo.run(
            List.of(Repo.root().resolve("cortado").toString(), "--version"),
            "JAVA_OPTS='" + javaOpts + "' ./cortado --version",
            Repo.root(),
            Map.of("CORTADO_NO_BUILD", "1", "JAVA_OPTS", javaOpts),
            120);
    assertThat(r.ok()).as(r.output()).isTrue();
    return r;
  }

  @Test
  void theThroughputCollectorWithACappedYoungGenerationByDefault() throws Exception {
    String flags = version("-XX:+PrintCommandLineFlags").output();
    assertThat(flags).contains("-XX:+UseParallelGC", "-XX:MaxNewSize=67108864");
  }

  @Test
  void aCollectorNamedInJavaOptsReplacesIt() throws Exception {
    String flags = version("-XX:+PrintCommandLineFlags -XX:+UseG1GC").output();
    assertThat(flags).contains("-XX:+UseG1GC").doesNotContain("UseParallelGC", "MaxNewSize");
    flags = version("-XX:+UseSerialGC -XX:+PrintCommandLineFlags").output();
    assertThat(flags).contains("-XX:+UseSerialGC").doesNotContain("UseParallelGC", "MaxNewSize");
  }

  @Test
  void otherJavaOptsKeepIt() throws Exception {
    String flags = version("-XX:+PrintCommandLineFlags -XX:+UseGCOverheadLimit -Xmx1g").output();
    assertThat(flags).contains("-XX:+UseParallelGC", "-XX:MaxNewSize=67108864");
  }
}
