package dev.cortado.cpu;

import dev.cortado.operator.GradientRegistration;
import dev.cortado.operator.OperatorProvider;
import dev.cortado.operator.OperatorRegistration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The training operators of Caffe2's SGD path on CPU (float32): the iteration counter, the learning
 * rate, the parameter updates and the random fills that initialize parameters; and the gradient
 * makers of the operators that have a gradient.
 */
public final class TrainingOperators implements OperatorProvider {
  @Override
  public Collection<OperatorRegistration> operators() {
    List<OperatorRegistration> regs = new ArrayList<>();
    regs.add(OperatorRegistration.cpu(IterOp.SCHEMA, IterOp::new));
    regs.add(OperatorRegistration.cpu(LearningRateOp.SCHEMA, LearningRateOp::new));
    regs.add(OperatorRegistration.cpu(WeightedSumOp.SCHEMA, WeightedSumOp::new));
    regs.add(OperatorRegistration.cpu(MomentumSgdUpdateOp.SCHEMA, MomentumSgdUpdateOp::new));
    regs.add(OperatorRegistration.cpu(AdamOp.SCHEMA, AdamOp::new));
    for (RandomFillOp.Kind k : RandomFillOp.Kind.values()) {
      regs.add(k.registration());
    }
    return regs;
  }

  /** The gradient makers of every Caffe2 operator Cortado runs that has a gradient. */
  @Override
  public Collection<GradientRegistration> gradients() {
    return GradientMakers.registrations();
  }
}
