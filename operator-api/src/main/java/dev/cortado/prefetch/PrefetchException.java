package dev.cortado.prefetch;

import dev.cortado.CortadoException;

/**
 * A batch could not be delivered: the producer failed (the original exception is the cause and its
 * message is repeated), the prefetcher was closed, or a stuck producer could not be stopped.
 */
public class PrefetchException extends CortadoException {
  private static final long serialVersionUID = 1L;

  public PrefetchException(String message) {
    super(message);
  }

  public PrefetchException(String message, Throwable cause) {
    super(message, cause);
  }
}
