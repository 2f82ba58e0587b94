package dev.cortado.cuda;

/**
 * A CUDA operator or context was asked for on a machine where CUDA cannot be used; the message is
 * always {@code no CUDA device available: <cause>} (or names the missing device id).
 */
public final class NoCudaDeviceException extends CudaException {
  private static final long serialVersionUID = 1L;

  public NoCudaDeviceException(String message) {
    super(message);
  }
}
