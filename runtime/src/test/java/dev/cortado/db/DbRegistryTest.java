package dev.cortado.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cortado.RegistrationException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DbRegistryTest {
  /** A provider that opens nothing: records what it was asked. */
  static class NamedProvider implements DbProvider {
    final String name;
    final Set<String> aliases;
    String lastSource;

    NamedProvider(String name, String... aliases) {
      this.name = name;
      this.aliases = Set.of(aliases);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Set<String> aliases() {
      return aliases;
    }

    @Override
    public Db open(String source, Mode mode) {
      lastSource = source;
      return new FakeDb(source, 1);
    }
  }

  /** A second class, so that duplicate messages can name two classes. */
  static final class OtherProvider extends NamedProvider {
    OtherProvider(String name, String... aliases) {
      super(name, aliases);
    }
  }

  /** Found through META-INF/services in the ServiceLoader test. */
  public static final class ServiceProvider extends NamedProvider {
    public ServiceProvider() {
      super("svc", "Service");
    }
  }

  private static DbRegistry four() {
    return DbRegistry.of(
        List.of(
            new NamedProvider("minidb", "MiniDB"), new NamedProvider("lmdb", "LMDB"),
            new NamedProvider("rocksdb", "RocksDB"), new NamedProvider("leveldb", "LevelDB")));
  }

  @Test
  void unknownTypeListsTheKnownNamesAndSaysHowToAddOne() {
    assertThatThrownBy(() -> four().open("lmbd", "/x", Mode.READ))
        .isInstanceOf(DbException.class)
        .hasMessage(
            "unknown db_type 'lmbd'; known: [leveldb, lmdb, minidb, rocksdb]; a backend is"
                + " added by a jar that provides dev.cortado.db.DbProvider");
    assertThatThrownBy(() -> four().provider(null)).hasMessageStartingWith("no db_type given");
  }

  @Test
  void namesAndAliasesMatchInAnyCase() {
    DbRegistry registry = four();
    assertThat(registry.names()).containsExactly("leveldb", "lmdb", "minidb", "rocksdb");
    assertThat(registry.provider("MiniDB").name()).isEqualTo("minidb");
    assertThat(registry.provider("MINIDB").name()).isEqualTo("minidb");
    assertThat(registry.provider("lmdb")).isSameAs(registry.provider("LMDB"));
    assertThat(registry.find("nope")).isEmpty();
    Db db = registry.open("RocksDB", "/data/r", Mode.READ);
    assertThat(db.source()).isEqualTo("/data/r");
  }

  @Test
  void aNameProvidedTwiceIsAStartupErrorNamingBothClasses() {
    assertThatThrownBy(
            () -> DbRegistry.of(List.of(new NamedProvider("lmdb"), new OtherProvider("LMDB"))))
        .isInstanceOf(RegistrationException.class)
        .hasMessageContaining("'lmdb'")
        .hasMessageContaining(NamedProvider.class.getName())
        .hasMessageContaining(OtherProvider.class.getName());
    assertThatThrownBy(
            () ->
                DbRegistry.of(
                    List.of(new NamedProvider("lmdb", "fast"), new OtherProvider("fast"))))
        .isInstanceOf(RegistrationException.class)
        .hasMessageContaining("'fast'");
  }

  @Test
  void anExplicitMapBindingOverridesABuiltInName() {
    NamedProvider builtIn = new NamedProvider("lmdb", "LMDB");
    NamedProvider mine = new OtherProvider("my-lmdb");
    Map<String, DbProvider> bound = new LinkedHashMap<>();
    bound.put("lmdb", mine);
    bound.put("original-lmdb", builtIn);
    DbRegistry registry = new DbRegistry(bound);
    assertThat(registry.provider("LMDB")).isSameAs(mine);
    assertThat(registry.provider("my-lmdb")).isSameAs(mine);
    assertThat(registry.provider("original-lmdb")).isSameAs(builtIn);
    assertThat(registry.names()).containsExactly("lmdb", "my-lmdb", "original-lmdb");
  }

  @Test
  void mapKeysThatDifferOnlyInCaseMustAgree() {
    Map<String, DbProvider> bound = new LinkedHashMap<>();
    bound.put("lmdb", new NamedProvider("lmdb"));
    bound.put("LMDB", new OtherProvider("lmdb"));
    assertThatThrownBy(() -> new DbRegistry(bound)).hasMessageContaining("provided twice");
  }

  @Test
  void aProviderFailureNamesThePathTypeAndMode() {
    DbProvider failing =
        new NamedProvider("bad") {
          @Override
          public Db open(String source, Mode mode) {
            throw new IllegalStateException("native says no");
          }
        };
    assertThatThrownBy(() -> DbRegistry.of(List.of(failing)).open("bad", "/data/b", Mode.NEW))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("/data/b")
        .hasMessageContaining("'bad'")
        .hasMessageContaining("NEW")
        .hasMessageContaining("native says no");
  }

  @Test
  void aProviderReturningNullIsAnError() {
    DbProvider broken =
        new NamedProvider("null") {
          @Override
          public Db open(String source, Mode mode) {
            return null;
          }
        };
    assertThatThrownBy(() -> DbRegistry.of(List.of(broken)).open("null", "/data/n", Mode.READ))
        .isInstanceOf(DbException.class)
        .hasMessageContaining("returned no DB for /data/n");
  }

  @Test
  void serviceLoaderFindsProvidersListedInMetaInfServices(@TempDir Path dir) throws Exception {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    Files.writeString(
        services.resolve(DbProvider.class.getName()),
        "# a comment\n" + ServiceProvider.class.getName() + "\n",
        StandardCharsets.UTF_8);
    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      DbRegistry registry = DbRegistry.fromServiceLoader(loader);
      assertThat(registry.names()).contains("svc");
      assertThat(registry.provider("SERVICE")).isInstanceOf(ServiceProvider.class);
    }
  }

  @Test
  void aBrokenServiceEntryIsARegistrationErrorNamingTheFile(@TempDir Path dir) throws Exception {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    Files.writeString(services.resolve(DbProvider.class.getName()), "com.example.Missing\n");
    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      assertThatThrownBy(() -> DbRegistry.fromServiceLoader(loader))
          .isInstanceOf(RegistrationException.class)
          .hasMessageContaining("com.example.Missing")
          .hasMessageContaining(
              "listed in " + services.resolve(DbProvider.class.getName()).toUri().toURL());
    }
  }
}
