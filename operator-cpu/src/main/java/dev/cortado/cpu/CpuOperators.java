package dev.cortado.cpu;

import dev.cortado.operator.OperatorProvider;
import dev.cortado.operator.OperatorRegistration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The built-in CPU operators, registered through the same {@link OperatorProvider} SPI that any
 * plugin uses ({@code META-INF/services/dev.cortado.operator.OperatorProvider}).
 */
public final class CpuOperators implements OperatorProvider {
  @Override
  public Collection<OperatorRegistration> operators() {
    List<OperatorRegistration> regs = new ArrayList<>();
    regs.add(OperatorRegistration.cpu(CreateDbOp.SCHEMA, CreateDbOp::new));
    regs.add(OperatorRegistration.cpu(DbExistsOp.SCHEMA, DbExistsOp::new));
    regs.add(OperatorRegistration.cpu(SaveOp.SCHEMA, SaveOp::new));
    regs.add(OperatorRegistration.cpu(LoadOp.SCHEMA, LoadOp::new));
    regs.add(OperatorRegistration.cpu(CastOp.SCHEMA, CastOp::new));
    regs.add(OperatorRegistration.cpu(ScaleOp.SCHEMA, ScaleOp::new));
    regs.add(OperatorRegistration.cpu(StopGradientOp.SCHEMA, StopGradientOp::new));
    regs.add(OperatorRegistration.cpu(CopyOp.SCHEMA, CopyOp::new));
    regs.add(OperatorRegistration.cpu(PrintOp.SCHEMA, PrintOp::new));
    regs.add(OperatorRegistration.cpu(ConstantFillOp.SCHEMA, ConstantFillOp::new));
    for (GivenTensorFillOp.Variant v : GivenTensorFillOp.Variant.values()) {
      regs.add(v.registration());
    }
    regs.add(OperatorRegistration.cpu(SumOp.SCHEMA, SumOp::new));
    for (BinaryOp.Kind k : BinaryOp.Kind.values()) {
      regs.add(OperatorRegistration.cpu(k.schema(), ctx -> new BinaryOp(ctx, k)));
    }
    regs.addAll(CounterOps.registrations());
    return regs;
  }
}
