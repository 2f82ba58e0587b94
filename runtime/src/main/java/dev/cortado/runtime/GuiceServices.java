package dev.cortado.runtime;

import com.google.inject.Binding;
import com.google.inject.Injector;
import com.google.inject.Key;
import dev.cortado.operator.Services;
import java.util.Optional;

/** {@link Services} answered from an injector's explicit bindings (no just-in-time classes). */
final class GuiceServices implements Services {
  private final Injector injector;

  GuiceServices(Injector injector) {
    this.injector = injector;
  }

  @Override
  public <T> Optional<T> find(Class<T> type) {
    Binding<T> binding = injector.getExistingBinding(Key.get(type));
    return binding == null ? Optional.empty() : Optional.of(binding.getProvider().get());
  }
}
