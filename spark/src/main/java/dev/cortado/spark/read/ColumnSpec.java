package dev.cortado.spark.read;

import dev.cortado.tensor.DataType;
import java.io.Serializable;

/**
 * One typed column of {@code columns=...}: the tensor at {@code index} of every record, which must
 * have the dtype and dims of the first record's.
 */
public record ColumnSpec(String name, int index, DataType dtype, long[] dims)
    implements Serializable {}
