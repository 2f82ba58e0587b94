package dev.cortado.operator.testkit;

import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorProvider;
import dev.cortado.operator.OperatorRegistration;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.DataType;
import dev.cortado.tensor.Tensor;
import java.util.Collection;
import java.util.List;

/** A test operator: Y = X + value (float); "crash" makes it fail the way a bug would. */
final class AddConstOp implements Operator {
  static final OperatorSchema SCHEMA =
      OperatorSchema.builder("AddConst")
          .numInputs(1)
          .numOutputs(1)
          .floatArg("value", 1.5f, "added to every element")
          .boolArg("crash", false, "throw an IndexOutOfBoundsException")
          .doc("Adds a constant.")
          .build();

  private final OperatorContext ctx;
  private final float value;
  private final boolean crash;

  AddConstOp(OperatorContext ctx) {
    this.ctx = ctx;
    this.value = ctx.floatArg("value");
    this.crash = ctx.boolArg("crash");
  }

  @Override
  public void run() {
    Tensor x = ctx.input(0, Tensor.class);
    if (x.dataType() != DataType.FLOAT) {
      throw ctx.error("expected a FLOAT tensor, found " + x);
    }
    if (crash) {
      throw new IndexOutOfBoundsException("index 7 out of bounds for length 3");
    }
    Tensor y = Tensor.allocate(DataType.FLOAT, x.dims());
    for (int i = 0; i < x.numel(); i++) {
      y.data().putFloat(i * 4, x.data().getFloat(i * 4) + value);
    }
    ctx.output(0).set(y);
  }

  /** Listed in this module's test META-INF/services. */
  public static final class Provider implements OperatorProvider {
    @Override
    public Collection<OperatorRegistration> operators() {
      return List.of(OperatorRegistration.cpu(SCHEMA, AddConstOp::new));
    }
  }
}
