package dev.cortado.db.lmdb;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reusable read-only views of LMDB memory: a cursor keeps one view for its key and one for its
 * value and re-points them at lmdbjava's buffers on each call, instead of allocating a fresh {@code
 * asReadOnlyBuffer()} per record (which was ~10% of a read+decode profile).
 *
 * <p>Re-pointing writes {@code java.nio.Buffer}'s {@code address} and {@code capacity} fields, as
 * lmdbjava's own fast proxy does for its buffers on every move; it needs the {@code --add-opens
 * java.base/java.nio=ALL-UNNAMED} that lmdbjava needs anyway. Where that access is missing, or the
 * self-test at class initialisation fails, {@link #AVAILABLE} is false and each call returns a
 * fresh {@code asReadOnlyBuffer()} as before. A view is always read-only, direct, big-endian,
 * position 0 and limit = length, whatever the caller did to it after the previous call.
 */
final class MapViews {
  private static final VarHandle ADDRESS;
  private static final VarHandle CAPACITY;

  /** True when views can be re-pointed; false means one asReadOnlyBuffer() per call. */
  static final boolean AVAILABLE;

  static {
    VarHandle address = null;
    VarHandle capacity = null;
    boolean ok = false;
    try {
      MethodHandles.Lookup lookup =
          MethodHandles.privateLookupIn(Buffer.class, MethodHandles.lookup());
      address = lookup.findVarHandle(Buffer.class, "address", long.class);
      capacity = lookup.findVarHandle(Buffer.class, "capacity", int.class);
      ok = selfTest(address, capacity);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // java.nio is not open to us (or the JDK changed): fall back to one view per call.
      ok = false;
    }
    ADDRESS = ok ? address : null;
    CAPACITY = ok ? capacity : null;
    AVAILABLE = ok;
  }

  private MapViews() {}

  /** A new reusable view, or null when views cannot be re-pointed. */
  static ByteBuffer newView() {
    return AVAILABLE ? ByteBuffer.allocateDirect(0).asReadOnlyBuffer() : null;
  }

  /**
   * {@code view} re-pointed at {@code src}'s remaining bytes (a direct buffer), or a fresh
   * read-only view of {@code src} when {@code view} is null.
   */
  static ByteBuffer view(ByteBuffer view, ByteBuffer src) {
    if (view == null) {
      return src.asReadOnlyBuffer();
    }
    point(ADDRESS, CAPACITY, view, (long) ADDRESS.get(src) + src.position(), src.remaining());
    return view;
  }

  private static void point(
      VarHandle address, VarHandle capacity, ByteBuffer view, long at, int length) {
    // Capacity first, then clear(): limit = capacity = length, position 0, no mark.
    address.set(view, at);
    capacity.set(view, length);
    view.clear();
    view.order(ByteOrder.BIG_ENDIAN);
  }

  /** Points a view into a known buffer and reads it back, so a JDK change cannot go unnoticed. */
  private static boolean selfTest(VarHandle address, VarHandle capacity) {
    ByteBuffer src = ByteBuffer.allocateDirect(16);
    for (int i = 0; i < 16; i++) {
      src.put(i, (byte) (i + 1));
    }
    ByteBuffer view = ByteBuffer.allocateDirect(0).asReadOnlyBuffer();
    point(address, capacity, view, (long) address.get(src) + 3, 5);
    boolean ok =
        view.isReadOnly()
            && view.isDirect()
            && view.position() == 0
            && view.limit() == 5
            && view.capacity() == 5
            && view.get(0) == 4
            && view.get(4) == 8;
    // Keep src reachable until the view has been read.
    return ok && src.get(3) == 4;
  }
}
