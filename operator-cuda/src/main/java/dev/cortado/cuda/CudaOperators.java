package dev.cortado.cuda;

import dev.cortado.cpu.input.TensorProtosDbInput;
import dev.cortado.operator.OperatorProvider;
import dev.cortado.operator.OperatorRegistration;
import java.util.Collection;
import java.util.List;

/**
 * The operators this module registers for device CUDA, found by {@link java.util.ServiceLoader}.
 * Listing them touches no CUDA API, so the module loads on machines without a GPU; each operator
 * refuses at construction there ("no CUDA device available: ...").
 */
public final class CudaOperators implements OperatorProvider {
  @Override
  public Collection<OperatorRegistration> operators() {
    return List.of(
        OperatorRegistration.cuda(TensorProtosDbInput.schema(), CudaTensorProtosDbInput::create),
        OperatorRegistration.cuda(CopyCpuToGpuOp.SCHEMA, CopyCpuToGpuOp::new),
        OperatorRegistration.cuda(CopyGpuToCpuOp.SCHEMA, CopyGpuToCpuOp::new),
        OperatorRegistration.cuda(EnsureCpuOutputOp.SCHEMA, EnsureCpuOutputOp::new));
  }
}
