package dev.cortado.plugin;

import dev.cortado.RegistrationException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * The one place where plugins are discovered: {@link ServiceLoader} over a class loader, for DB
 * providers, operator providers and device converters alike. A broken {@code META-INF/services}
 * entry becomes a {@link RegistrationException} naming the jar that lists it, and two plugins
 * claiming one name are refused with the same exception type, naming both classes and jars.
 */
public final class Plugins {
  private Plugins() {}

  /** The thread's context class loader, or this class's loader when there is none. */
  public static ClassLoader defaultLoader() {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : Plugins.class.getClassLoader();
  }

  /** Every implementation of {@code type} that {@code loader} lists, in discovery order. */
  public static <T> List<T> load(Class<T> type, ClassLoader loader) {
    List<T> found = new ArrayList<>();
    Iterator<T> it = ServiceLoader.load(type, loader).iterator();
    while (true) {
      try {
        if (!it.hasNext()) {
          return found;
        }
        found.add(it.next());
      } catch (ServiceConfigurationError e) {
        throw new RegistrationException(
            "cannot load a "
                + type.getName()
                + " plugin"
                + listedIn(type, e, loader)
                + ": "
                + e.getMessage(),
            e);
      }
    }
  }

  /**
   * {@code plugins} keyed by every name {@code names} gives each (already normalized by the
   * caller); a name claimed by two different plugins is a {@link RegistrationException}.
   *
   * @param what how messages call a name, such as {@code "db_type"}
   */
  public static <T> Map<String, T> byName(
      Collection<? extends T> plugins, Function<T, Collection<String>> names, String what) {
    Map<String, T> table = new LinkedHashMap<>();
    for (T plugin : plugins) {
      for (String name : names.apply(plugin)) {
        T previous = table.putIfAbsent(name, plugin);
        if (previous != null && previous != plugin) {
          throw duplicate(what, name, previous, plugin);
        }
      }
    }
    return table;
  }

  /** The error for a name claimed twice: both classes and where each comes from. */
  public static RegistrationException duplicate(
      String what, String name, Object first, Object second) {
    return new RegistrationException(
        what
            + " '"
            + name
            + "' is provided twice, by "
            + describe(first)
            + " and by "
            + describe(second)
            + "; remove one of the jars from the classpath");
  }

  /** {@code com.example.Foo (from /path/plugin.jar)}, or just the class name when unknown. */
  public static String describe(Object plugin) {
    String origin = origin(plugin.getClass());
    return plugin.getClass().getName() + (origin.isEmpty() ? "" : " (from " + origin + ")");
  }

  /** The jar or folder a class was loaded from, or {@code ""} when the JVM does not say. */
  public static String origin(Class<?> type) {
    try {
      CodeSource source = type.getProtectionDomain().getCodeSource();
      return source == null || source.getLocation() == null ? "" : source.getLocation().getPath();
    } catch (SecurityException e) {
      return "";
    }
  }

  /** {@code " listed in <jar>"} for the services file naming the failing class, if found. */
  private static String listedIn(Class<?> type, ServiceConfigurationError e, ClassLoader loader) {
    String message = String.valueOf(e.getMessage());
    try {
      Enumeration<URL> files = loader.getResources("META-INF/services/" + type.getName());
      while (files.hasMoreElements()) {
        URL file = files.nextElement();
        for (String entry : entries(file)) {
          if (message.contains(entry)) {
            return " listed in " + file;
          }
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // The original error still says what failed; the location is a courtesy.
    }
    return "";
  }

  private static List<String> entries(URL file) throws IOException {
    List<String> names = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(file.openStream(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        int hash = line.indexOf('#');
        String name = (hash >= 0 ? line.substring(0, hash) : line).trim();
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
    }
    return names;
  }
}
