package dev.cortado.cuda;

import jcuda.runtime.JCuda;
import jcuda.runtime.cudaError;

/**
 * Whether CUDA can be used in this process: the device count and versions, or the one-line reason
 * it cannot (no driver, no device, native library not loadable).
 *
 * <p>{@link #probe()} touches JCuda once per process and never lets a linkage error escape, so the
 * module loads, registers its operators and lists them on machines without a GPU or driver.
 */
public record CudaAvailability(
    int deviceCount, int driverVersion, int runtimeVersion, String cause) {

  /**
   * System property that makes {@link #probe()} report CUDA as unavailable (for tests, or to keep a
   * job on CPU).
   */
  public static final String DISABLE_PROPERTY = "cortado.cuda.disable";

  private static final Object LOCK = new Object();
  private static CudaAvailability probed;

  /** CUDA is usable with {@code deviceCount > 0} devices. */
  public static CudaAvailability available(int deviceCount, int driverVersion, int runtimeVersion) {
    if (deviceCount <= 0) {
      throw new IllegalArgumentException("available needs at least one device, got " + deviceCount);
    }
    return new CudaAvailability(deviceCount, driverVersion, runtimeVersion, null);
  }

  /** CUDA is not usable, for the given one-line reason. */
  public static CudaAvailability unavailable(String cause) {
    return new CudaAvailability(0, 0, 0, cause);
  }

  /** True when at least one device can be used. */
  public boolean isAvailable() {
    return deviceCount > 0;
  }

  /**
   * The exception to throw when a CUDA operator needs {@code deviceId}: no CUDA at all, or too few
   * devices. Returns null when the device is there.
   */
  public NoCudaDeviceException missing(int deviceId) {
    return missing(deviceId, null);
  }

  /**
   * As {@link #missing(int)}; the message ends with {@code ; needed by <where>} when {@code where}
   * (the operator) is given. It always starts with {@code no CUDA device available: }.
   */
  public NoCudaDeviceException missing(int deviceId, String where) {
    String suffix = where == null ? "" : "; needed by " + where;
    if (!isAvailable()) {
      return new NoCudaDeviceException("no CUDA device available: " + cause + suffix);
    }
    if (deviceId < 0 || deviceId >= deviceCount) {
      return new NoCudaDeviceException(
          "no CUDA device available: device_option asks for CUDA device "
              + deviceId
              + " but "
              + deviceCount
              + " device"
              + (deviceCount == 1 ? " is" : "s are")
              + " present (ids 0.."
              + (deviceCount - 1)
              + ")"
              + suffix);
    }
    return null;
  }

  /** A one-line summary for listings and logs. */
  public String describe() {
    if (!isAvailable()) {
      return "CUDA unavailable: " + cause;
    }
    return "CUDA available: "
        + deviceCount
        + " device(s), driver "
        + version(driverVersion)
        + ", runtime "
        + version(runtimeVersion)
        + " (JCuda, static cudart)";
  }

  /**
   * Probes this process once (later calls return the same answer): loads JCuda's native runtime
   * library and asks {@code cudaGetDeviceCount}. Never throws.
   */
  public static CudaAvailability probe() {
    synchronized (LOCK) {
      if (probed == null) {
        probed = probeNow();
      }
      return probed;
    }
  }

  private static CudaAvailability probeNow() {
    if (Boolean.getBoolean(DISABLE_PROPERTY)) {
      return unavailable("disabled by -D" + DISABLE_PROPERTY + "=true");
    }
    try {
      JCuda.setExceptionsEnabled(false);
      int[] count = new int[1];
      int rc = JCuda.cudaGetDeviceCount(count);
      if (rc != cudaError.cudaSuccess) {
        return unavailable(
            "cudaGetDeviceCount returned "
                + cudaError.stringFor(rc)
                + " ("
                + rc
                + "): "
                + JCuda.cudaGetErrorString(rc)
                + hint(rc));
      }
      if (count[0] == 0) {
        return unavailable("the CUDA driver reports 0 devices");
      }
      int[] driver = new int[1];
      int[] runtime = new int[1];
      JCuda.cudaDriverGetVersion(driver);
      JCuda.cudaRuntimeGetVersion(runtime);
      return available(count[0], driver[0], runtime[0]);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      // UnsatisfiedLinkError / NoClassDefFoundError / ExceptionInInitializerError from JCuda's
      // native loader: report the first line only, never the stack.
      return unavailable(
          "the JCuda native library could not be loaded ("
              + t.getClass().getSimpleName()
              + ": "
              + firstLine(t.getMessage())
              + ")");
    }
  }

  private static String hint(int rc) {
    if (rc == cudaError.cudaErrorInsufficientDriver || rc == cudaError.cudaErrorNoDevice) {
      return " (is an NVIDIA GPU present, its driver installed and libcuda.so.1 on the library path?)";
    }
    return "";
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "no message";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static String version(int v) {
    return v <= 0 ? "?" : (v / 1000) + "." + (v % 1000) / 10;
  }
}
