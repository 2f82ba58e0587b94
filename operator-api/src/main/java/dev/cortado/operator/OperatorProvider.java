package dev.cortado.operator;

import java.util.Collection;
import java.util.List;

/**
 * The plugin entry point for operators, found by {@link java.util.ServiceLoader}: a jar lists its
 * implementation in {@code META-INF/services/dev.cortado.operator.OperatorProvider}. Built-in
 * operators register through this same interface.
 *
 * <p>Every method is a default returning an empty collection, so new extension points never break
 * an existing plugin.
 */
public interface OperatorProvider {
  /** The operators this plugin adds, keyed by (type, device type, engine). */
  default Collection<OperatorRegistration> operators() {
    return List.of();
  }

  /**
   * The gradient makers this plugin registers, one per forward operator type (Caffe2's {@code
   * REGISTER_GRADIENT}); {@code cortado add-gradients} and the backward-pass builder use them.
   */
  default Collection<GradientRegistration> gradients() {
    return List.of();
  }
}
