package dev.cortado.memory;

/**
 * Extend this to keep a class's fields off the cache lines of whatever the JVM puts before the
 * object (it lays out a superclass's fields first); end a subclass with eight {@code long} fields
 * of its own to keep them off the lines of what comes after. For state that one thread writes often
 * while another reads the objects around it: without the padding the two threads would move a
 * shared line back and forth, at a cross-core cache miss each time.
 */
@SuppressWarnings("unused")
public abstract class CacheLinePad {
  private long p0, p1, p2, p3, p4, p5, p6, p7;

  protected CacheLinePad() {}
}
