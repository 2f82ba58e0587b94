package dev.cortado.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import dev.cortado.RegistrationException;
import dev.cortado.db.Db;
import dev.cortado.db.DbException;
import dev.cortado.db.DbProvider;
import dev.cortado.db.DbRegistry;
import dev.cortado.db.Mode;
import dev.cortado.operator.Defs;
import dev.cortado.operator.OperatorProvider;
import dev.cortado.operator.OperatorRegistration;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.operator.TestOperators;
import dev.cortado.workspace.Workspace;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CortadoRuntimeTest {
  /** A backend that opens nothing; it only proves which provider was chosen. */
  public static class FakeDb implements DbProvider {
    private final String name;

    public FakeDb() {
      this("fake");
    }

    FakeDb(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Set<String> aliases() {
      return Set.of("FakeDB", "phony");
    }

    @Override
    public Db open(String source, Mode mode) {
      throw new DbException("fake " + name + " cannot open " + source);
    }
  }

  /**
   * Listed in this module's test META-INF/services, as a backend jar on the class path would be.
   */
  public static class ListedDb extends FakeDb {
    public ListedDb() {
      super("listed");
    }

    @Override
    public Set<String> aliases() {
      return Set.of();
    }
  }

  /** A second provider claiming the name "fake". */
  public static class OtherFakeDb extends FakeDb {}

  static Module withTestOperators() {
    return new AbstractModule() {
      @Override
      protected void configure() {
        CortadoModule.operatorProviders(binder()).addBinding().toInstance(new TestOperators());
      }
    };
  }

  @Test
  void pluginsFromTheClassPathAndModulesAreWired() {
    CortadoRuntime rt = CortadoRuntime.create(withTestOperators());
    // A backend on the class path registers itself through META-INF/services.
    assertThat(rt.dbs().names()).contains("listed");
    assertThat(rt.operators().types()).contains("Const", "AddTo");
    assertThat(rt.services().find(DbRegistry.class)).containsSame(rt.dbs());
    assertThat(rt.injector().getInstance(DbRegistry.class)).isSameAs(rt.dbs());
    assertThat(rt.services().find(StringBuilder.class)).isEmpty();
    try (Workspace ws = rt.newWorkspace(Path.of("/tmp/root"))) {
      assertThat(ws.rootFolder()).isEqualTo("/tmp/root");
      assertThat(ws.services().find(DbRegistry.class)).containsSame(rt.dbs());
      ws.runOperatorOnce(Defs.op("type: 'Const' output: 'x' arg { name: 'value' i: 4 }"));
      assertThat(TestOperators.value(ws.blob("x").get())).isEqualTo(4);
    }
    try (Workspace ws = rt.newWorkspace()) {
      assertThat(ws.rootFolder()).isEqualTo(".");
    }
  }

  @Test
  void aModuleReplacesOneDbTypeByItsKey() {
    FakeDb mine = new FakeDb("listed");
    CortadoRuntime rt =
        CortadoRuntime.create(
            new AbstractModule() {
              @Override
              protected void configure() {
                bind(CortadoModule.dbKey("listed")).toInstance(mine);
              }
            });
    assertThat(rt.dbs().provider("listed")).isSameAs(mine);
    assertThat(rt.dbs().provider("LISTED")).isSameAs(mine);
  }

  @Test
  void aModuleAddsADbTypeAndItsAliasesWork() {
    CortadoRuntime rt =
        CortadoRuntime.create(
            new AbstractModule() {
              @Override
              protected void configure() {
                CortadoModule.dbProviders(binder()).addBinding("fake").toInstance(new FakeDb());
              }
            });
    assertThat(rt.dbs().names()).contains("fake", "listed");
    assertThat(rt.dbs().provider("PHONY")).isInstanceOf(FakeDb.class);
    assertThatThrownBy(() -> rt.dbs().open("fake", "/x", Mode.READ))
        .hasMessageContaining("fake fake cannot open /x");
  }

  @Test
  void serviceLoaderPluginsAndTheirAliasesAreBound(@TempDir Path dir) throws IOException {
    try (URLClassLoader loader = pluginLoader(dir, FakeDb.class)) {
      CortadoRuntime rt = CortadoRuntime.create(loader);
      assertThat(rt.dbs().provider("fakedb")).isInstanceOf(FakeDb.class);
      assertThat(rt.dbs().provider("phony")).isSameAs(rt.dbs().provider("fake"));
    }
  }

  @Test
  void twoPluginsClaimingOneDbTypeIsAStartupError(@TempDir Path dir) throws IOException {
    try (URLClassLoader loader = pluginLoader(dir, FakeDb.class, OtherFakeDb.class)) {
      assertThatThrownBy(() -> CortadoRuntime.create(loader))
          .isInstanceOf(RegistrationException.class)
          .hasMessageContaining("db_type 'fake' is provided twice, by")
          .hasMessageContaining(FakeDb.class.getName())
          .hasMessageContaining(OtherFakeDb.class.getName());
    }
  }

  @Test
  void duplicateOperatorsAreAStartupError() {
    OperatorProvider again =
        new OperatorProvider() {
          @Override
          public Collection<OperatorRegistration> operators() {
            return List.of(
                OperatorRegistration.cpu(OperatorSchema.builder("Const").build(), ctx -> () -> {}));
          }
        };
    assertThatThrownBy(
            () ->
                CortadoRuntime.create(
                    withTestOperators(),
                    new AbstractModule() {
                      @Override
                      protected void configure() {
                        CortadoModule.operatorProviders(binder()).addBinding().toInstance(again);
                      }
                    }))
        .isInstanceOf(RegistrationException.class)
        .hasMessageContaining("operator Const on device CPU is registered twice");
  }

  /** A class loader whose META-INF/services lists these DbProvider classes (from the test path). */
  static URLClassLoader pluginLoader(Path dir, Class<?>... providers) throws IOException {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    StringBuilder sb = new StringBuilder();
    for (Class<?> c : providers) {
      sb.append(c.getName()).append('\n');
    }
    Files.writeString(services.resolve(DbProvider.class.getName()), sb.toString());
    return new URLClassLoader(
        new URL[] {dir.toUri().toURL()}, CortadoRuntimeTest.class.getClassLoader());
  }
}
