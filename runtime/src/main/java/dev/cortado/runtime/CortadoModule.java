package dev.cortado.runtime;

import com.google.inject.AbstractModule;
import com.google.inject.Binder;
import com.google.inject.Key;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.MapBinder;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.name.Names;
import dev.cortado.RegistrationException;
import dev.cortado.db.DbProvider;
import dev.cortado.db.DbRegistry;
import dev.cortado.operator.GradientRegistry;
import dev.cortado.operator.OperatorProvider;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.plugin.Plugins;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * The Guice wiring of Cortado's plugins. Every {@link DbProvider} that {@link ServiceLoader} finds
 * goes into a {@code MapBinder<String, DbProvider>} under its lower-cased name and aliases, each
 * entry linked to the overridable key {@link #dbKey}; every {@link OperatorProvider} goes into a
 * {@code Multibinder<OperatorProvider>}. From those come the singleton {@link DbRegistry} and
 * {@link OperatorRegistry}. Two plugins claiming one db_type is a startup error naming both.
 *
 * <p>Overriding: wrap this module with {@code Modules.override(...).with(yours)} (which {@link
 * CortadoRuntime#create} does): bind {@link #dbKey} to replace one backend, add map entries through
 * {@link #dbProviders} for new names, add operator providers through {@link #operatorProviders}, or
 * bind {@link DbRegistry} / {@link OperatorRegistry} outright.
 */
public final class CortadoModule extends AbstractModule {
  private final ClassLoader loader;

  /** Plugins from {@code loader}. */
  public CortadoModule(ClassLoader loader) {
    this.loader = Objects.requireNonNull(loader, "loader");
  }

  /** Plugins from the context class loader (or this class's loader when there is none). */
  public CortadoModule() {
    this(defaultLoader());
  }

  static ClassLoader defaultLoader() {
    return Plugins.defaultLoader();
  }

  /**
   * The key each db_type's map entry is linked to; bind it in an override module to replace one.
   */
  public static Key<DbProvider> dbKey(String name) {
    return Key.get(DbProvider.class, Names.named("db:" + name.toLowerCase(Locale.ROOT)));
  }

  /** The db_type map binder, to add a backend under a new name from a module. */
  public static MapBinder<String, DbProvider> dbProviders(Binder binder) {
    return MapBinder.newMapBinder(binder, String.class, DbProvider.class);
  }

  /** The operator provider set binder, to add operators from a module. */
  public static Multibinder<OperatorProvider> operatorProviders(Binder binder) {
    return Multibinder.newSetBinder(binder, OperatorProvider.class);
  }

  @Override
  protected void configure() {
    MapBinder<String, DbProvider> dbs = dbProviders(binder());
    Map<String, DbProvider> claimed = new LinkedHashMap<>();
    for (DbProvider provider : load(DbProvider.class)) {
      String name = lower(provider.name(), provider);
      claim(claimed, name, provider);
      bind(dbKey(name)).toInstance(provider);
      dbs.addBinding(name).to(dbKey(name));
      for (String alias : provider.aliases()) {
        String a = lower(alias, provider);
        if (!a.equals(name)) {
          claim(claimed, a, provider);
          dbs.addBinding(a).to(dbKey(name));
        }
      }
    }
    Multibinder<OperatorProvider> ops = operatorProviders(binder());
    for (OperatorProvider provider : load(OperatorProvider.class)) {
      ops.addBinding().toInstance(provider);
    }
  }

  @Provides
  @Singleton
  DbRegistry dbRegistry(Map<String, DbProvider> providers) {
    return new DbRegistry(providers);
  }

  @Provides
  @Singleton
  OperatorRegistry operatorRegistry(Set<OperatorProvider> providers) {
    return new OperatorRegistry(providers);
  }

  @Provides
  @Singleton
  GradientRegistry gradientRegistry(Set<OperatorProvider> providers, OperatorRegistry operators) {
    return new GradientRegistry(providers, operators);
  }

  private <T> List<T> load(Class<T> type) {
    return Plugins.load(type, loader);
  }

  private static void claim(Map<String, DbProvider> claimed, String name, DbProvider provider) {
    DbProvider previous = claimed.putIfAbsent(name, provider);
    if (previous != null && previous != provider) {
      throw Plugins.duplicate("db_type", name, previous, provider);
    }
  }

  private static String lower(String name, DbProvider provider) {
    if (name == null || name.isBlank()) {
      throw new RegistrationException(
          "db provider " + provider.getClass().getName() + " has an empty name or alias");
    }
    return name.toLowerCase(Locale.ROOT);
  }
}
