package dev.cortado.cuda;

import dev.cortado.CortadoException;
import dev.cortado.operator.DeviceTypes;
import dev.cortado.proto.DeviceOption;

/**
 * Reads the CUDA device out of a Caffe2 {@code DeviceOption}: {@code device_type} 1 is CUDA and
 * {@code device_id} (2018's {@code cuda_gpu_id}, the same field number) picks the GPU, 0 when
 * unset.
 */
public final class CudaDevices {
  private CudaDevices() {}

  /** True when the option names device type CUDA. */
  public static boolean isCuda(DeviceOption option) {
    return option != null && option.getDeviceType() == DeviceTypes.CUDA;
  }

  /**
   * The GPU id of a CUDA device option; throws when the option is not CUDA or the id is negative,
   * naming {@code where} (the operator) in the message.
   */
  public static int deviceId(DeviceOption option, String where) {
    if (!isCuda(option)) {
      int type = option == null ? DeviceTypes.CPU : option.getDeviceType();
      throw new CortadoException(
          where
              + ": expected device_option.device_type "
              + DeviceTypes.CUDA
              + " (CUDA), found "
              + type
              + " ("
              + DeviceTypes.name(type)
              + ")");
    }
    int id = option.getDeviceId();
    if (id < 0) {
      throw new CortadoException(
          where + ": device_option.device_id (cuda_gpu_id) must be >= 0, found " + id);
    }
    return id;
  }

  /** A device option for CUDA device {@code id}. */
  public static DeviceOption cuda(int id) {
    return DeviceOption.newBuilder().setDeviceType(DeviceTypes.CUDA).setDeviceId(id).build();
  }
}
