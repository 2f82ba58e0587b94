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
    // Caffe2 registers CreateDB for CUDA too, so a net whose device option is CUDA (inherited by
    // every operator) can open its DB; the reader is a host object on either device.
    regs.add(OperatorRegistration.cuda(CreateDbOp.SCHEMA, CreateDbOp::new));
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
    for (OperatorRegistration r : CounterOps.registrations()) {
      regs.add(r);
      if (r.type().equals("CreateCounter")) {
        // The counter is a host object whatever the device, as in Caffe2's CUDA registration.
        regs.add(OperatorRegistration.cuda(r.schema(), r.factory()));
      }
    }
    return regs;
  }
}
