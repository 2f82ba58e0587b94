package dev.cortado.cuda;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;

/**
 * Caffe2's {@code CopyGPUToCPU}: copies a device tensor into a CPU tensor, after the device work
 * that wrote it; the CPU tensor is complete when the operator returns.
 */
public final class CopyGpuToCpuOp extends CudaOperator {
  /** One CUDA tensor in, one CPU tensor out. */
  public static final OperatorSchema SCHEMA =
      OperatorSchema.builder("CopyGPUToCPU")
          .numInputs(1)
          .numOutputs(1)
          .doc("Copies a CUDA tensor to a CPU tensor.")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  public CopyGpuToCpuOp(OperatorContext op) {
    super(op);
  }

  @Override
  public void run() {
    CudaTensor src = op.input(0, CudaTensor.class);
    op.output(0).set(DeviceCopies.toHost(cuda, src, op.output(0).get()));
  }
}
