package dev.cortado.runtime;

import dev.cortado.CortadoException;
import dev.cortado.plugin.Plugins;
import dev.cortado.tensor.DeviceTensorConverter;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Host views of blob values: a {@link Tensor} as is, anything else through a {@link
 * DeviceTensorConverter}.
 */
public final class DeviceTensors {
  private DeviceTensors() {}

  /** {@link #toHost(Object, ClassLoader)} with the context class loader. */
  public static Tensor toHost(Object value) {
    return toHost(value, Plugins.defaultLoader());
  }

  /**
   * {@code value} as a host tensor. A Tensor passes through; otherwise every converter found
   * through {@code loader} is asked; none answering is an error naming the value's class.
   */
  public static Tensor toHost(Object value, ClassLoader loader) {
    if (value instanceof Tensor t) {
      return t;
    }
    if (value == null) {
      throw new CortadoException("cannot copy an empty blob to the host: it holds no tensor");
    }
    List<String> tried = new ArrayList<>();
    for (DeviceTensorConverter converter : Plugins.load(DeviceTensorConverter.class, loader)) {
      Optional<Tensor> host = converter.toHost(value);
      if (host.isPresent()) {
        return host.get();
      }
      tried.add(converter.getClass().getName());
    }
    throw new CortadoException(
        "a blob holding "
            + value.getClass().getName()
            + " is not a tensor and no "
            + DeviceTensorConverter.class.getName()
            + " converts it (tried "
            + tried
            + ")");
  }
}
