package dev.cortado.cuda;

import dev.cortado.operator.Operator;
import dev.cortado.operator.OperatorContext;

/**
 * Base of the operators registered for device CUDA: opens the operator's {@link CudaContext} (its
 * device, stream and pinned memory) at construction, so a net fails when it is built on a machine
 * without the device, and closes it with the operator.
 */
abstract class CudaOperator implements Operator {
  protected final OperatorContext op;
  protected final CudaContext cuda;
  private boolean closed;

  CudaOperator(OperatorContext op) {
    this.op = op;
    this.cuda = CudaContext.forOperator(op);
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    cuda.close();
  }
}
