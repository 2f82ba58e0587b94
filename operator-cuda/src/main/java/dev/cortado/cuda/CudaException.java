package dev.cortado.cuda;

import dev.cortado.CortadoException;

/**
 * A CUDA runtime call failed: the message names the call, the CUDA error (name, number and text),
 * the device and what Cortado was doing.
 */
public class CudaException extends CortadoException {
  private static final long serialVersionUID = 1L;

  public CudaException(String message) {
    super(message);
  }

  public CudaException(String message, Throwable cause) {
    super(message, cause);
  }
}
