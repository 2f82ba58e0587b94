package dev.cortado.operator;

import java.util.Map;

/**
 * One runnable node of a net, built by an {@link OperatorFactory} from an {@link OperatorContext}.
 *
 * <p>{@link #run()} throws on failure (any {@link dev.cortado.CortadoException}, ideally made with
 * {@link OperatorContext#error}); the net wraps it into an {@link OperatorRunException} that names
 * the net and the operator. Unlike Caffe2 there is no boolean result: a failure always carries its
 * cause.
 *
 * <p>{@link #close()} releases threads and resources; it must be idempotent. Nets close their
 * operators when the net or its workspace is closed.
 */
public interface Operator extends AutoCloseable {
  /** Runs the operator once on its input and output blobs. */
  void run();

  /**
   * Counters this operator reports (insertion-ordered name to value), such as records read or time
   * spent waiting for a producer; {@code cortado run-net --stats} prints them. Empty by default.
   */
  default Map<String, Number> metrics() {
    return Map.of();
  }

  @Override
  default void close() {}
}
