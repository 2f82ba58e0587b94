package dev.cortado.plan;

import dev.cortado.CortadoException;

/**
 * A plan that is malformed (two nets of one name, a step with both substeps and networks, a missing
 * should_stop_blob, ...) or whose step failed; the message names the plan and the step path, and
 * carries the failing net's and operator's message.
 */
public class PlanException extends CortadoException {
  private static final long serialVersionUID = 1L;

  public PlanException(String message) {
    super(message);
  }

  public PlanException(String message, Throwable cause) {
    super(message, cause);
  }
}
