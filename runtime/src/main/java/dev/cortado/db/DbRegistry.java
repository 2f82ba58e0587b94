package dev.cortado.db;

import dev.cortado.RegistrationException;
import dev.cortado.plugin.Plugins;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The db_type name → {@link DbProvider} table that {@code CreateDB} and {@link DbReader} open DBs
 * through. Names and aliases match case-insensitively ({@code LMDB} = {@code lmdb}).
 *
 * <p>Unlike Caffe2, whose registry aborts the process on a duplicate name and returns null for an
 * unknown one, a duplicate is a {@link RegistrationException} at construction naming both provider
 * classes and their jars, and an unknown name is a {@link DbException} listing the known names.
 */
public final class DbRegistry {
  /** Lower-case name or alias → provider. */
  private final Map<String, DbProvider> byName;

  /** Sorted lower-case canonical names, for {@link #names()} and messages. */
  private final Set<String> names;

  /**
   * A registry over explicitly bound providers, as a Guice {@code MapBinder<String, DbProvider>}
   * yields them. Each map key selects its provider; so do the provider's own {@link
   * DbProvider#name()} and {@link DbProvider#aliases()}. A map key wins over a name or alias that
   * another provider claims (that is how a user module overrides a built-in backend); two different
   * providers claiming one name or alias otherwise is a {@link RegistrationException}.
   */
  public DbRegistry(Map<String, DbProvider> providers) {
    this(providers, providers.values());
  }

  private DbRegistry(Map<String, DbProvider> explicitKeys, Collection<DbProvider> providers) {
    Map<String, DbProvider> table = new LinkedHashMap<>();
    Set<String> canonical = new TreeSet<>();
    for (Map.Entry<String, DbProvider> entry : explicitKeys.entrySet()) {
      DbProvider provider =
          Objects.requireNonNull(entry.getValue(), "provider for " + entry.getKey());
      String key = normalize(entry.getKey(), provider);
      DbProvider previous = table.put(key, provider);
      if (previous != null && previous != provider) {
        throw duplicate(key, previous, provider);
      }
      if (!namesOf(provider).contains(key)) {
        canonical.add(key);
      }
    }
    Set<String> explicit = Set.copyOf(table.keySet());
    for (DbProvider provider : providers) {
      String name = normalize(provider.name(), provider);
      if (explicit.contains(name) && table.get(name) != provider) {
        // Overridden by an explicit binding: this provider keeps only the keys bound to it.
        continue;
      }
      canonical.add(name);
      for (String claimed : namesOf(provider)) {
        DbProvider previous = table.get(claimed);
        if (previous == null) {
          table.put(claimed, provider);
        } else if (previous != provider && !explicit.contains(claimed)) {
          throw duplicate(claimed, previous, provider);
        }
      }
    }
    this.byName = Collections.unmodifiableMap(table);
    this.names = Collections.unmodifiableSet(canonical);
  }

  /** A registry of the providers that {@link ServiceLoader} finds on the context class loader. */
  public static DbRegistry fromServiceLoader() {
    return fromServiceLoader(Plugins.defaultLoader());
  }

  /**
   * A registry of the providers that {@link ServiceLoader} finds through {@code loader} ({@code
   * META-INF/services/dev.cortado.db.DbProvider} in each jar).
   */
  public static DbRegistry fromServiceLoader(ClassLoader loader) {
    return of(Plugins.load(DbProvider.class, loader));
  }

  /**
   * A registry of these providers under their own names and aliases; a name or alias claimed by two
   * of them is a {@link RegistrationException} naming both classes.
   */
  public static DbRegistry of(Collection<? extends DbProvider> providers) {
    return new DbRegistry(Map.of(), List.copyOf(providers));
  }

  /**
   * Opens {@code source} with the backend named {@code type} in {@code mode}. An unknown type is a
   * {@link DbException} listing the known names; a backend failure is reported with the path, the
   * type and the mode.
   */
  public Db open(String type, String source, Mode mode) {
    DbProvider provider = provider(type);
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(mode, "mode");
    Db db;
    try {
      db = provider.open(source, mode);
    } catch (DbException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new DbException(
          "cannot open " + source + " as db_type '" + type + "' in " + mode + " mode: " + e, e);
    }
    if (db == null) {
      throw new DbException(
          "db provider "
              + provider.getClass().getName()
              + " returned no DB for "
              + source
              + " (db_type '"
              + type
              + "', "
              + mode
              + " mode)");
    }
    return db;
  }

  /**
   * The provider for {@code type} (a name or alias, any case); unknown is a {@link DbException}.
   */
  public DbProvider provider(String type) {
    return find(type).orElseThrow(() -> unknown(type));
  }

  /** The provider for {@code type} (a name or alias, any case), if one is registered. */
  public Optional<DbProvider> find(String type) {
    if (type == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(byName.get(type.toLowerCase(Locale.ROOT)));
  }

  /** The canonical names, lower case and sorted; aliases are not listed. */
  public Set<String> names() {
    return names;
  }

  @Override
  public String toString() {
    return "DbRegistry" + names;
  }

  private DbException unknown(String type) {
    return new DbException(
        (type == null || type.isEmpty() ? "no db_type given" : "unknown db_type '" + type + "'")
            + "; known: "
            + names
            + "; a backend is added by a jar that provides "
            + DbProvider.class.getName());
  }

  /** The provider's name and aliases, lower case. */
  private static Set<String> namesOf(DbProvider provider) {
    Set<String> all = new TreeSet<>();
    all.add(normalize(provider.name(), provider));
    for (String alias : provider.aliases()) {
      all.add(normalize(alias, provider));
    }
    return all;
  }

  private static String normalize(String name, DbProvider provider) {
    if (name == null || name.isBlank()) {
      throw new DbException(
          "db provider " + provider.getClass().getName() + " has an empty name or alias");
    }
    return name.toLowerCase(Locale.ROOT);
  }

  private static RegistrationException duplicate(String name, DbProvider first, DbProvider second) {
    return Plugins.duplicate("db_type", name, first, second);
  }
}
