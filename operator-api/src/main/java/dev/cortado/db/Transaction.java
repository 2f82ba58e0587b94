package dev.cortado.db;

/**
 * A batch of writes. {@link #commit()} makes the puts so far durable and starts a new batch, so a
 * transaction can put, commit and put again. {@link #close()} commits what is pending, as every
 * Caffe2 backend does on destruction.
 */
public interface Transaction extends AutoCloseable {
  void put(byte[] key, byte[] value);

  void commit();

  @Override
  void close();
}
