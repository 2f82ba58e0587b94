package dev.cortado.cuda;

import dev.cortado.tensor.Tensor;

/** Device-to-host copies shared by the operators that bring CUDA tensors back to the CPU. */
final class DeviceCopies {
  private DeviceCopies() {}

  /**
   * {@code src} copied into a CPU tensor ({@code current} reused when it has the same type and
   * shape) on {@code cuda}'s stream, ordered after the last write to {@code src}; complete on
   * return.
   */
  static Tensor toHost(CudaContext cuda, CudaTensor src, Object current) {
    Tensor dst = HostTensors.reuseOrAllocate(current, src.dataType(), src.dims());
    src.orderAfterWrite(cuda.stream());
    if (src.nbytes() > 0) {
      cuda.engine().copyToHostAsync(src.memory(), 0, dst.data(), cuda.stream());
    }
    cuda.synchronize();
    return dst;
  }
}
