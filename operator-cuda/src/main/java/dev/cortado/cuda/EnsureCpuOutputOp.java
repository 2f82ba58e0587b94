package dev.cortado.cuda;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;

/**
 * Caffe2's {@code EnsureCPUOutput} on device CUDA: the output is always a CPU tensor, copied from
 * the device when the input lives there and copied on the host when it is already a CPU tensor.
 */
public final class EnsureCpuOutputOp extends CudaOperator {
  /** One tensor (CPU or CUDA) in, one CPU tensor out. */
  public static final OperatorSchema SCHEMA =
      OperatorSchema.builder("EnsureCPUOutput")
          .numInputs(1)
          .numOutputs(1)
          .doc(
              "Makes sure the output is a CPU tensor: copies from the device when the input is"
                  + " on the GPU, and copies on the host otherwise.")
          .gradient(Gradient.NO_GRADIENT)
          .build();

  public EnsureCpuOutputOp(OperatorContext op) {
    super(op);
  }

  @Override
  public void run() {
    Object in = op.input(0).get();
    Object current = op.output(0).get();
    if (in instanceof CudaTensor t) {
      op.output(0).set(DeviceCopies.toHost(cuda, t, current));
    } else if (in instanceof Tensor t) {
      op.output(0).set(HostTensors.copy(t, current == t ? null : current));
    } else {
      throw op.error(
          "input 0 ('"
              + op.inputName(0)
              + "') holds "
              + op.input(0).describeValue()
              + ", expected a CPU Tensor or a CudaTensor");
    }
  }
}
