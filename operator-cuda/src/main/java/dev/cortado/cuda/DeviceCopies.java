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
    requireSameDevice(cuda, src, "input 0");
    Tensor dst = HostTensors.reuseOrAllocate(current, src.dataType(), src.dims());
    src.orderAfterWrite(cuda.stream());
    if (src.nbytes() > 0) {
      cuda.engine().copyToHostAsync(src.memory(), 0, dst.data(), cuda.stream());
    }
    cuda.synchronize();
    return dst;
  }

  /**
   * Refuses a CUDA tensor on another device than the operator's, as Caffe2 does: the operator's
   * stream belongs to its device.
   */
  static void requireSameDevice(CudaContext cuda, CudaTensor t, String what) {
    if (t.deviceId() != cuda.deviceId()) {
      throw new CudaException(
          cuda.owner()
              + ": "
              + what
              + " is "
              + t
              + " but the operator runs on cuda:"
              + cuda.deviceId()
              + "; give the operator device_option.device_id "
              + t.deviceId());
    }
  }
}
