package dev.cortado.net;

import dev.cortado.operator.BlobScope;
import dev.cortado.operator.OperatorRegistry;
import dev.cortado.proto.NetDef;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds a {@link Net} for a {@code NetDef} by its {@code type} (§10.3 of
 * docs/caffe2-semantics.md). {@code ""}, {@code simple}, {@code async_simple}, {@code rnn}, {@code
 * simple_refcount} and {@code singlethread_async} run in order; {@code dag}, {@code async_dag},
 * {@code async_polling}, {@code async_scheduling}, {@code prof_dag}, {@code htrace_dag}, {@code
 * htrace_async_dag} and {@code parallel} run on the dependency scheduler. Any other name is an
 * error.
 */
public final class Nets {
  private static final Set<String> SIMPLE =
      Set.of("", "simple", "async_simple", "rnn", "simple_refcount", "singlethread_async");
  private static final Set<String> PARALLEL =
      Set.of(
          "dag",
          "async_dag",
          "async_polling",
          "async_scheduling",
          "prof_dag",
          "htrace_dag",
          "htrace_async_dag",
          "parallel");

  private Nets() {}

  /** The net types this runtime accepts, sorted. */
  public static Set<String> knownTypes() {
    Set<String> all = new TreeSet<>(SIMPLE);
    all.addAll(PARALLEL);
    all.remove("");
    return all;
  }

  /**
   * Builds the net; operators are constructed in order, so their input blobs must exist now.
   *
   * <p>Workers for parallel types: {@code num_workers} when set; unset means one per available
   * processor (Caffe2's async scheduler default). For {@code dag} a set value {@code <= 0} is an
   * error, as in Caffe2; the async names treat it as unset.
   */
  public static Net create(NetDef def, OperatorRegistry registry, BlobScope scope) {
    String type = def.getType();
    if (SIMPLE.contains(type)) {
      return new SimpleNet(def, registry, scope);
    }
    if (PARALLEL.contains(type)) {
      return new DagNet(def, registry, scope, workers(def));
    }
    throw new NetException(
        AbstractNet.describe(def.getName())
            + ": unknown net type '"
            + type
            + "'; known: "
            + knownTypes());
  }

  private static int workers(NetDef def) {
    if (def.hasNumWorkers()) {
      if (def.getNumWorkers() > 0) {
        return def.getNumWorkers();
      }
      if (def.getType().equals("dag")) {
        throw new NetException(
            AbstractNet.describe(def.getName())
                + ": num_workers must be > 0 for a dag net, found "
                + def.getNumWorkers());
      }
    }
    return Runtime.getRuntime().availableProcessors();
  }
}
