package dev.cortado.tensor;

import java.util.Optional;

/**
 * A plugin hook (found by {@link java.util.ServiceLoader}) that copies a device-resident blob
 * value, such as a CUDA tensor, to a host {@link Tensor}, so tools can digest any blob.
 */
public interface DeviceTensorConverter {
  /** The host copy of {@code value}, or empty when this converter does not know its class. */
  Optional<Tensor> toHost(Object value);
}
