package dev.cortado.cpu.nn;

import dev.cortado.operator.OperatorProvider;
import dev.cortado.operator.OperatorRegistration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The CPU compute operators of a convolutional network and their gradient operators, with Caffe2's
 * names, inputs, outputs and arguments: Conv, MaxPool, AveragePool, FC, Relu, Softmax,
 * LabelCrossEntropy, AveragedLoss, Accuracy and Dropout.
 */
public final class NnOperators implements OperatorProvider {
  @Override
  public Collection<OperatorRegistration> operators() {
    List<OperatorRegistration> regs = new ArrayList<>();
    regs.add(OperatorRegistration.cpu(ConvOp.SCHEMA, ConvOp::new));
    regs.add(OperatorRegistration.cpu(ConvGradientOp.SCHEMA, ConvGradientOp::new));
    for (PoolOp.Kind k : PoolOp.Kind.values()) {
      regs.add(OperatorRegistration.cpu(k.schema(), ctx -> new PoolOp(ctx, k, false)));
      regs.add(OperatorRegistration.cpu(k.gradientSchema(), ctx -> new PoolOp(ctx, k, true)));
    }
    regs.add(OperatorRegistration.cpu(FcOp.SCHEMA, ctx -> new FcOp(ctx, false)));
    regs.add(OperatorRegistration.cpu(FcOp.GRADIENT_SCHEMA, ctx -> new FcOp(ctx, true)));
    regs.add(OperatorRegistration.cpu(ReluOp.SCHEMA, ctx -> new ReluOp(ctx, false)));
    regs.add(OperatorRegistration.cpu(ReluOp.GRADIENT_SCHEMA, ctx -> new ReluOp(ctx, true)));
    regs.add(OperatorRegistration.cpu(SoftmaxOp.SCHEMA, ctx -> new SoftmaxOp(ctx, false)));
    regs.add(OperatorRegistration.cpu(SoftmaxOp.GRADIENT_SCHEMA, ctx -> new SoftmaxOp(ctx, true)));
    regs.add(
        OperatorRegistration.cpu(
            LabelCrossEntropyOp.SCHEMA, ctx -> new LabelCrossEntropyOp(ctx, false)));
    regs.add(
        OperatorRegistration.cpu(
            LabelCrossEntropyOp.GRADIENT_SCHEMA, ctx -> new LabelCrossEntropyOp(ctx, true)));
    regs.add(
        OperatorRegistration.cpu(AveragedLossOp.SCHEMA, ctx -> new AveragedLossOp(ctx, false)));
    regs.add(
        OperatorRegistration.cpu(
            AveragedLossOp.GRADIENT_SCHEMA, ctx -> new AveragedLossOp(ctx, true)));
    regs.add(OperatorRegistration.cpu(AccuracyOp.SCHEMA, AccuracyOp::new));
    regs.add(OperatorRegistration.cpu(DropoutOp.SCHEMA, ctx -> new DropoutOp(ctx, false)));
    regs.add(OperatorRegistration.cpu(DropoutOp.GRADIENT_SCHEMA, ctx -> new DropoutOp(ctx, true)));
    return regs;
  }
}
