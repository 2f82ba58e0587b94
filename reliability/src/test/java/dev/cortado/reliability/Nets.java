package dev.cortado.reliability;

import com.google.protobuf.ByteString;
import dev.cortado.proto.Argument;
import dev.cortado.proto.NetDef;
import dev.cortado.proto.OperatorDef;
import dev.cortado.runtime.CortadoRuntime;
import dev.cortado.tensor.Tensor;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Nets and threads for the operator-level tests. */
final class Nets {
  /** One runtime for every test in the JVM: ServiceLoader and Guice once. */
  static final CortadoRuntime RUNTIME = CortadoRuntime.create();

  private Nets() {}

  static Argument arg(String name, long value) {
    return Argument.newBuilder().setName(name).setI(value).build();
  }

  static Argument arg(String name, String value) {
    return Argument.newBuilder().setName(name).setS(ByteString.copyFromUtf8(value)).build();
  }

  /** A CreateDB op: the reader goes to blob {@code reader}. */
  static OperatorDef createDb(String type, String source, String reader) {
    return OperatorDef.newBuilder()
        .setType("CreateDB")
        .addOutput(reader)
        .addArg(arg("db_type", type))
        .addArg(arg("db", source))
        .build();
  }

  /**
   * A TensorProtosDBInput op named {@code name} reading {@code reader} into "index"/"pair" +
   * suffix.
   */
  static OperatorDef input(String name, String reader, String suffix, Map<String, Long> args) {
    OperatorDef.Builder op =
        OperatorDef.newBuilder()
            .setType("TensorProtosDBInput")
            .setName(name)
            .addInput(reader)
            .addOutput("index" + suffix)
            .addOutput("pair" + suffix);
    args.forEach((k, v) -> op.addArg(arg(k, v)));
    return op.build();
  }

  static NetDef net(String name, String type, OperatorDef... ops) {
    NetDef.Builder def = NetDef.newBuilder().setName(name).setType(type);
    for (OperatorDef op : ops) {
      def.addOp(op);
    }
    return def.build();
  }

  /** The INT64 values of a tensor (record indices in output 0 of the indexed records). */
  static long[] longs(Tensor t) {
    long[] out = new long[(int) t.numel()];
    for (int i = 0; i < out.length; i++) {
      out[i] = t.data().getLong(8 * i);
    }
    return out;
  }

  /**
   * Live threads whose name contains {@code part} (operators name their threads after themselves).
   */
  static Set<Thread> threadsNamed(String part) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().contains(part))
        .collect(Collectors.toSet());
  }

  /** Live threads that were not in {@code before}. */
  static Set<Thread> newThreads(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && !before.contains(t))
        .collect(Collectors.toSet());
  }

  /** Gives exiting threads up to {@code millis} to end (they may be between run() and death). */
  static Set<Thread> survivors(Set<Thread> threads, long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    for (Thread t : threads) {
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
      t.join(left);
    }
    return threads.stream().filter(Thread::isAlive).collect(Collectors.toSet());
  }
}
