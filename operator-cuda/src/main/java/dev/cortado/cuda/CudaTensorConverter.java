package dev.cortado.cuda;

import dev.cortado.tensor.DeviceTensorConverter;
import dev.cortado.tensor.Tensor;
import java.util.Optional;

/**
 * Lets tools read CUDA blobs ({@code cortado run-net --digest}): a {@link CudaTensor} is copied to
 * the host once its last write has finished.
 */
public final class CudaTensorConverter implements DeviceTensorConverter {
  @Override
  public Optional<Tensor> toHost(Object value) {
    return value instanceof CudaTensor t ? Optional.of(t.toHost()) : Optional.empty();
  }
}
