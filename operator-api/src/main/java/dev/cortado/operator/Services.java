package dev.cortado.operator;

import java.util.Map;
import java.util.Optional;

/**
 * Runtime services an operator may ask for through {@link OperatorContext#service}, such as the
 * {@code DbRegistry} that {@code CreateDB} opens DBs with. The Guice runtime answers from its
 * bindings; tests can use {@link #of(Map)}.
 */
public interface Services {
  /** The service bound to {@code type}, or empty. */
  <T> Optional<T> find(Class<T> type);

  /** No services at all. */
  static Services none() {
    return of(Map.of());
  }

  /** Services from a fixed map of type to instance. */
  static Services of(Map<Class<?>, ?> instances) {
    Map<Class<?>, ?> copy = Map.copyOf(instances);
    return new Services() {
      @Override
      public <T> Optional<T> find(Class<T> type) {
        return Optional.ofNullable(copy.get(type)).map(type::cast);
      }
    };
  }
}
