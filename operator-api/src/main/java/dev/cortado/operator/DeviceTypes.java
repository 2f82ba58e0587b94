package dev.cortado.operator;

/** Caffe2's device type numbers ({@code DeviceTypeProto}) and their names for messages. */
public final class DeviceTypes {
  public static final int CPU = 0;
  public static final int CUDA = 1;

  private static final String[] NAMES = {
    "CPU", "CUDA", "MKLDNN", "OPENGL", "OPENCL", "IDEEP", "HIP", "FPGA", "ORT", "XLA", "MPS"
  };

  private DeviceTypes() {}

  /** The name of a device type number, such as {@code CUDA}; unknown numbers print as such. */
  public static String name(int deviceType) {
    if (deviceType >= 0 && deviceType < NAMES.length) {
      return NAMES[deviceType];
    }
    return "device type " + deviceType;
  }

  /** The number for a name such as {@code cpu} or {@code CUDA} (case-insensitive), or -1. */
  public static int fromName(String name) {
    for (int i = 0; i < NAMES.length; i++) {
      if (NAMES[i].equalsIgnoreCase(name.trim())) {
        return i;
      }
    }
    return -1;
  }
}
