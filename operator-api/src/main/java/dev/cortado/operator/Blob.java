package dev.cortado.operator;

import dev.cortado.tensor.Tensor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A named slot in a {@link Workspace} holding any Java object: a {@link Tensor}, a DB reader, a
 * counter, a string. Empty until an operator sets it.
 *
 * <p>The blob owns its value: replacing or removing an {@link AutoCloseable} value closes it (as
 * Caffe2's {@code Blob::Reset} destroys the old content), unless the new value is the same object.
 */
public final class Blob extends BlobValue {
  private static final VarHandle VALUE;

  static {
    try {
      VALUE = MethodHandles.lookup().findVarHandle(BlobValue.class, "value", Object.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final String name;

  /** Keeps {@code value} off the cache lines of whatever is allocated after the blob. */
  @SuppressWarnings("unused")
  private long q0, q1, q2, q3, q4, q5, q6, q7;

  public Blob(String name) {
    this.name = name;
  }

  public String name() {
    return name;
  }

  /** The value, or null when empty. */
  public Object get() {
    return value;
  }

  public boolean isEmpty() {
    return value == null;
  }

  /** True when the value is an instance of {@code type}. */
  public boolean holds(Class<?> type) {
    return type.isInstance(value);
  }

  /** The value as {@code type}; an error naming the blob and what it holds otherwise. */
  public <T> T get(Class<T> type) {
    Object v = value;
    if (!type.isInstance(v)) {
      throw new BlobException(
          "blob '" + name + "' holds " + describe(v) + ", expected " + type.getSimpleName());
    }
    return type.cast(v);
  }

  /** The value as a tensor (a common case with a clear error). */
  public Tensor tensor() {
    return get(Tensor.class);
  }

  /** Replaces the value, closing the previous one when it is AutoCloseable and not {@code v}. */
  public void set(Object v) {
    Object previous = VALUE.getAndSet(this, v);
    if (previous != v) {
      closeValue(previous);
    }
  }

  /** Empties the blob, closing an AutoCloseable value. */
  public void reset() {
    set(null);
  }

  /** A short description of what the blob holds, for messages: {@code Tensor[float32 [2,3]]}. */
  public String describeValue() {
    return describe(value);
  }

  static String describe(Object v) {
    if (v == null) {
      return "nothing (the blob is empty)";
    }
    if (v instanceof Tensor t) {
      return t.toString();
    }
    return v.getClass().getSimpleName();
  }

  private void closeValue(Object v) {
    if (v instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        throw new BlobException("closing the old value of blob '" + name + "' failed: " + e, e);
      }
    }
  }

  @Override
  public String toString() {
    return "Blob[" + name + ": " + describe(value) + "]";
  }
}
