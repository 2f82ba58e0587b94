package dev.cortado.db.lmdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cortado.db.Db;
import dev.cortado.db.DbProvider;
import dev.cortado.db.Mode;
import dev.cortado.db.memory.MemoryDbProvider;
import dev.cortado.runtime.CortadoModule;
import dev.cortado.runtime.CortadoRuntime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A user's plain Guice module replaces the backend behind a db_type name. */
class GuiceOverrideTest {
  /** What a user might bind instead of LMDB: here, the in-memory backend, recording each open. */
  static final class RecordingProvider implements DbProvider {
    final List<String> opened = new ArrayList<>();

    @Override
    public String name() {
      return "lmdb";
    }

    @Override
    public Db open(String source, Mode mode) {
      opened.add(source + " " + mode);
      return new MemoryDbProvider().open(source, mode);
    }
  }

  @Test
  void byDefaultTheLmdbNameAndItsAliasSelectTheLmdbBackend() {
    CortadoRuntime runtime = CortadoRuntime.create();
    assertThat(runtime.dbs().provider("lmdb")).isInstanceOf(LmdbProvider.class);
    assertThat(runtime.dbs().provider("LMDB")).isInstanceOf(LmdbProvider.class);
  }

  @Test
  void aUserModuleOverridesTheLmdbName() {
    RecordingProvider mine = new RecordingProvider();
    CortadoRuntime runtime =
        CortadoRuntime.create(binder -> binder.bind(CortadoModule.dbKey("lmdb")).toInstance(mine));
    String name = "guice-override-" + System.nanoTime();
    try (Db db = runtime.dbs().open("LMDB", name, Mode.NEW)) {
      assertThat(db.type()).isEqualTo("memory");
    } finally {
      MemoryDbProvider.drop(name);
    }
    assertThat(mine.opened).containsExactly(name + " NEW");
    assertThat(runtime.dbs().provider("lmdb")).isSameAs(mine);
    assertThat(runtime.dbs().provider("memory")).isInstanceOf(MemoryDbProvider.class); // untouched
  }
}
