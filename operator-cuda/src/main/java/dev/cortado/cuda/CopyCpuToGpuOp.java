package dev.cortado.cuda;

import dev.cortado.operator.Gradient;
import dev.cortado.operator.OperatorContext;
import dev.cortado.operator.OperatorSchema;
import dev.cortado.tensor.Tensor;

/**
 * Caffe2's {@code CopyCPUToGPU}: copies a CPU tensor into a device tensor on the operator's device,
 * reusing the output's device memory when the shape is unchanged.
 */
public final class CopyCpuToGpuOp extends CudaOperator {
  /** One CPU tensor in, one CUDA tensor out. */
  public static final OperatorSchema SCHEMA =
      OperatorSchema.builder("CopyCPUToGPU")
          .numInputs(1)
          .numOutputs(1)
          .doc("Copies a CPU tensor to the operator's CUDA device (device_option.device_id).")
          .gradient(Gradient.HAS_GRADIENT)
          .build();

  public CopyCpuToGpuOp(OperatorContext op) {
    super(op);
  }

  @Override
  public void run() {
    Tensor src = op.input(0, Tensor.class);
    if (!src.dataType().isFixedSize()) {
      throw op.error(
          "input 0 ('"
              + op.inputName(0)
              + "') is "
              + src
              + "; a "
              + src.dataType()
              + " tensor cannot be copied to a CUDA device, only fixed-size types can");
    }
    CudaTensor dst = cuda.reuseOrAllocate(op.output(0).get(), src.dataType(), src.dims());
    if (dst.nbytes() > 0) {
      cuda.engine().copyToDeviceAsync(src.data(), dst.memory(), 0, cuda.stream());
    }
    dst.markWritten(cuda.stream());
    // As Caffe2's FinishDeviceComputation: the source is ordinary (pageable) memory that the next
    // CPU operator may overwrite, so the copy is complete when run() returns.
    cuda.synchronize();
    op.output(0).set(dst);
  }
}
