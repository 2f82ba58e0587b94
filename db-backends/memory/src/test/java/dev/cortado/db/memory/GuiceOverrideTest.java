package dev.cortado.db.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.Db;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import dev.cortado.runtime.CortadoModule;
import dev.cortado.runtime.CortadoRuntime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A user's plain Guice module replaces the backend behind a db_type name. */
class GuiceOverrideTest {
  /** What a user might bind instead of the built-in backend: a wrapper recording each open. */
  static final class RecordingProvider implements DbProvider {
    final List<String> opened = new ArrayList<>();

    @Override
    public String name() {
      return "memory";
    }

    @Override
    public Db open(String source, Mode mode) {
      opened.add(source + " " + mode);
      return new MemoryDbProvider().open(source, mode);
    }
  }

  @Test
  void byDefaultTheNameSelectsTheServiceLoaderBackendInAnyCase() {
    CortadoRuntime runtime = CortadoRuntime.create();
    assertThat(runtime.dbs().provider("memory")).isInstanceOf(MemoryDbProvider.class);
    assertThat(runtime.dbs().provider("MEMORY")).isInstanceOf(MemoryDbProvider.class);
  }

  @Test
  void aUserModuleOverridesTheName() {
    RecordingProvider mine = new RecordingProvider();
    CortadoRuntime runtime =
        CortadoRuntime.create(
            binder -> binder.bind(CortadoModule.dbKey("memory")).toInstance(mine));
    String name = "guice-override-" + System.nanoTime();
    try (Db db = runtime.dbs().open("Memory", name, Mode.NEW)) {
      assertThat(db.type()).isEqualTo("memory");
    } finally {
      MemoryDbProvider.drop(name);
    }
    assertThat(mine.opened).containsExactly(name + " NEW");
    assertThat(runtime.dbs().provider("memory")).isSameAs(mine);
    assertThat(CortadoRuntime.create().dbs().provider("memory"))
        .isInstanceOf(MemoryDbProvider.class); // other runtimes untouched
  }
}
