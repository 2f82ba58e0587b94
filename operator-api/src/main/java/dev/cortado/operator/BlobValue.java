package dev.cortado.operator;

import dev.cortado.memory.CacheLinePad;

/**
 * The value of a {@link Blob}, on cache lines of its own: an operator's outputs are set at every
 * run on one thread, while a prefetch thread reads its input blob (a DB reader) at every batch, and
 * blobs made together sit side by side in memory. Without the padding the two threads would move a
 * shared line back and forth at every batch. {@link Blob} puts eight longs of its own after this
 * one.
 */
abstract class BlobValue extends CacheLinePad {
  volatile Object value;
}
