package dev.cortado.operator;

import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Small operators for runtime tests; shared state is keyed by an argument so tests stay apart. */
public final class TestOperators implements OperatorProvider {
  /** Per-key logs of operator names in run order. */
  public static final Map<String, List<String>> LOGS = new ConcurrentHashMap<>();

  /** Per-key barriers that Await operators meet at. */
  public static final Map<String, CyclicBarrier> BARRIERS = new ConcurrentHashMap<>();

  /** Per-key close counts. */
  public static final Map<String, AtomicInteger> CLOSED = new ConcurrentHashMap<>();

  public static List<String> log(String key) {
    return LOGS.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>()));
  }

  public static Tensor int64(long v) {
    Tensor t = Tensor.allocate(DataType.INT64);
    t.data().putLong(0, v);
    return t;
  }

  public static long value(Object tensor) {
    return ((Tensor) tensor).data().getLong(0);
  }

  @Override
  public Collection<OperatorRegistration> operators() {
    return List.of(
        OperatorRegistration.cpu(
            OperatorSchema.builder("Const")
                .numInputs(0)
                .numOutputs(1)
                .arg("value", "0", "int64 value")
                .doc("an int64 scalar")
                .gradient(Gradient.NO_GRADIENT)
                .build(),
            ctx -> {
              long v = ctx.args().getLong("value", 0);
              return () -> {
                log(ctx);
                ctx.output(0).set(int64(v));
              };
            }),
        OperatorRegistration.cpu(
            OperatorSchema.builder("AddTo")
                .inputs(1, OperatorSchema.MANY)
                .numOutputs(1)
                .allowInplace(0, 0)
                .arg("add", "0", "added to the sum")
                .doc("sum of int64 scalars")
                .build(),
            ctx -> {
              long add = ctx.args().getLong("add", 0);
              return () -> {
                log(ctx);
                long sum = add;
                for (int i = 0; i < ctx.inputCount(); i++) {
                  sum += value(ctx.input(i, Tensor.class));
                }
                ctx.output(0).set(int64(sum));
              };
            }),
        OperatorRegistration.cpu(
            OperatorSchema.builder("Fail").doc("always fails").build(),
            ctx ->
                () -> {
                  log(ctx);
                  throw ctx.error("boom " + ctx.args().getString("why", ""));
                }),
        OperatorRegistration.cpu(
            OperatorSchema.builder("Await").doc("meets the others at a barrier").build(),
            ctx -> {
              String key = ctx.args().requireString("barrier");
              return () -> {
                try {
                  BARRIERS.get(key).await(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                  throw ctx.error("the barrier '" + key + "' was not met: " + e, e);
                }
                log(ctx);
                for (int i = 0; i < ctx.outputCount(); i++) {
                  ctx.output(i).set(int64(1));
                }
              };
            }),
        OperatorRegistration.cpu(
            OperatorSchema.builder("Log").doc("logs its name").build(),
            ctx ->
                () -> {
                  log(ctx);
                  for (int i = 0; i < ctx.outputCount(); i++) {
                    ctx.output(i).set(int64(i));
                  }
                }),
        OperatorRegistration.cpu(
            OperatorSchema.builder("SetBool")
                .numInputs(0)
                .numOutputs(1)
                .doc("a bool scalar")
                .build(),
            ctx -> {
              boolean v = ctx.args().getBool("value", false);
              return () -> {
                Tensor t = Tensor.allocate(DataType.BOOL);
                t.data().put(0, (byte) (v ? 1 : 0));
                ctx.output(0).set(t);
              };
            }),
        OperatorRegistration.cpu(
            OperatorSchema.builder("AtLeast")
                .numInputs(1)
                .numOutputs(1)
                .doc("bool: input >= than")
                .build(),
            ctx -> {
              long than = ctx.args().getLong("than", 0);
              return () -> {
                Tensor t = Tensor.allocate(DataType.BOOL);
                t.data().put(0, (byte) (value(ctx.input(0, Tensor.class)) >= than ? 1 : 0));
                ctx.output(0).set(t);
              };
            }),
        OperatorRegistration.cpu(
            OperatorSchema.builder("Keep")
                .numInputs(1)
                .numOutputs(1)
                .doc("puts the input's value object into the output")
                .build(),
            ctx -> () -> ctx.output(0).set(ctx.input(0).get())),
        OperatorRegistration.cpu(
            OperatorSchema.builder("Closeable").doc("counts closes").build(),
            ctx -> {
              String key = ctx.args().getString("key", "default");
              return new Operator() {
                @Override
                public void run() {}

                @Override
                public void close() {
                  CLOSED.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                }
              };
            }),
        OperatorRegistration.cpu(
            OperatorSchema.builder("Block").doc("blocks in run() until closed").build(),
            ctx -> {
              String key = ctx.args().requireString("key");
              java.util.concurrent.CountDownLatch closed =
                  new java.util.concurrent.CountDownLatch(1);
              return new Operator() {
                @Override
                public void run() {
                  log(key).add("entered");
                  try {
                    closed.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  throw ctx.error("closed while running");
                }

                @Override
                public void close() {
                  closed.countDown();
                }
              };
            }),
        OperatorRegistration.cpu(
            OperatorSchema.builder("Producer")
                .numInputs(0)
                .numOutputs(1)
                .doc("a prefetch-like op: a background thread produces, run() blocks for it")
                .gradient(Gradient.NO_GRADIENT)
                .build(),
            Producer::new));
  }

  private static void log(OperatorContext ctx) {
    String key = ctx.args().has("log") ? ctx.args().getString("log", "") : null;
    if (key != null) {
      log(key).add(ctx.name());
    }
  }

  /** Like a prefetching input: the producer thread starts on the first run; run() waits for it. */
  static final class Producer implements Operator {
    private final OperatorContext ctx;
    private final BlockingQueue<Long> queue = new ArrayBlockingQueue<>(1);
    private Thread thread;

    Producer(OperatorContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void run() {
      if (thread == null) {
        thread =
            new Thread(
                () -> {
                  try {
                    for (long i = 0; ; i++) {
                      queue.put(i);
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "test-producer");
        thread.setDaemon(true);
        thread.start();
      }
      try {
        ctx.output(0).set(int64(queue.take()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw ctx.error("interrupted");
      }
    }

    @Override
    public void close() {
      if (thread != null) {
        thread.interrupt();
      }
    }
  }
}
