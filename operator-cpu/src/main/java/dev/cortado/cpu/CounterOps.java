package dev.cortado.cpu;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorRegistration;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.util.List;

/**
 * Caffe2's counter operators over a {@link Counter} blob: {@code CreateCounter}, {@code
 * ResetCounter}, {@code CountDown}, {@code CheckCounterDone}, {@code CountUp} and {@code
 * RetrieveCount}. Results are scalar tensors (bool for done flags, int64 for counts).
 */
final class CounterOps {
  private CounterOps() {}

  static List<OperatorRegistration> registrations() {
    return List.of(
        OperatorRegistration.cpu(
            OperatorSchema.builder("CreateCounter")
                .numInputs(0)
                .numOutputs(1)
                .arg("init_count", "0", "initial count (int64)")
                .doc("Creates a thread-safe int64 counter blob.")
                .gradient(Gradient.NO_GRADIENT)
                .build(),
            ctx -> {
              long init = ctx.args().getLong("init_count", 0);
              if (init < 0) {
                throw ctx.args().error("init_count", "must be >= 0, found " + init);
              }
              return () -> ctx.output(0).set(new Counter(init));
            }),
        OperatorRegistration.cpu(
            OperatorSchema.builder("ResetCounter")
                .numInputs(1)
                .outputs(0, 1)
                .arg("init_count", "0", "the new count (int64)")
                .doc("Resets a counter; the optional output gets the count before the reset.")
                .gradient(Gradient.NO_GRADIENT)
                .build(),
            ctx -> {
              long init = ctx.args().getLong("init_count", 0);
              if (init < 0) {
                throw ctx.args().error("init_count", "must be >= 0, found " + init);
              }
              return () -> {
                long previous = counter(ctx).reset(init);
                if (ctx.outputCount() == 1) {
                  ctx.output(0).set(scalarInt64(previous));
                }
              };
            }),
        OperatorRegistration.cpu(
            OperatorSchema.builder("CountDown")
                .numInputs(1)
                .numOutputs(1)
                .doc("Decrements a counter; outputs true when the count was already <= 0.")
                .gradient(Gradient.NO_GRADIENT)
                .build(),
            ctx -> () -> ctx.output(0).set(scalarBool(counter(ctx).countDown()))),
        OperatorRegistration.cpu(
            OperatorSchema.builder("CheckCounterDone")
                .numInputs(1)
                .numOutputs(1)
                .doc("Outputs true when the counter is at or below zero.")
                .gradient(Gradient.NO_GRADIENT)
                .build(),
            ctx -> () -> ctx.output(0).set(scalarBool(counter(ctx).checkIfDone()))),
        OperatorRegistration.cpu(
            OperatorSchema.builder("CountUp")
                .numInputs(1)
                .numOutputs(1)
                .doc("Increments a counter; outputs the count before the increment.")
                .gradient(Gradient.NO_GRADIENT)
                .build(),
            ctx -> () -> ctx.output(0).set(scalarInt64(counter(ctx).countUp()))),
        OperatorRegistration.cpu(
            OperatorSchema.builder("RetrieveCount")
                .numInputs(1)
                .numOutputs(1)
                .doc("Outputs the current count.")
                .gradient(Gradient.NO_GRADIENT)
                .build(),
            ctx -> () -> ctx.output(0).set(scalarInt64(counter(ctx).retrieve()))));
  }

  private static Counter counter(OperatorContext ctx) {
    return ctx.input(0, Counter.class);
  }

  static Tensor scalarInt64(long v) {
    Tensor t = Tensor.allocate(DataType.INT64);
    t.data().putLong(0, v);
    return t;
  }

  static Tensor scalarBool(boolean v) {
    Tensor t = Tensor.allocate(DataType.BOOL);
    t.data().put(0, (byte) (v ? 1 : 0));
    return t;
  }
}
