package dev.cortado.cli;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * A streaming reader of an MNIST IDX file (image magic 2051 or label magic 2049, big-endian
 * header), raw or gzip-compressed; compression is detected from the bytes, not the name.
 */
final class IdxFile implements AutoCloseable {
  static final int IMAGE_MAGIC = 2051;
  static final int LABEL_MAGIC = 2049;

  /** What Caffe2's make_mnist_db reads as a magic number when given a .gz file: 1f 8b 08 08. */
  static final int GZIP_MAGIC = 529205256;

  private final Path path;
  private final String what;
  private final DataInputStream in;
  private final boolean gzip;
  private final int count;
  private final int rows;
  private final int cols;
  private final int itemSize;
  private final int headerSize;
  private int itemsRead;

  private IdxFile(Path path, String what, int expectedMagic) {
    this.path = path;
    this.what = what;
    InputStream raw;
    try {
      raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
    } catch (IOException e) {
      throw new CliException(what + " file " + path + ": " + Errors.oneLine(e), e);
    }
    try {
      raw.mark(2);
      int b0 = raw.read();
      int b1 = raw.read();
      raw.reset();
      this.gzip = b0 == 0x1f && b1 == 0x8b;
      this.in =
          new DataInputStream(
              gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw);
      int magic = readHeaderInt("magic number", 0);
      if (magic != expectedMagic) {
        throw wrongMagic(magic, expectedMagic);
      }
      this.count = readHeaderInt("item count", 4);
      if (count < 0) {
        throw fail("the header declares a negative item count " + count + " (byte offset 4)");
      }
      if (expectedMagic == IMAGE_MAGIC) {
        this.rows = readHeaderInt("row count", 8);
        this.cols = readHeaderInt("column count", 12);
        if (rows <= 0 || cols <= 0 || (long) rows * cols > (1 << 24)) {
          throw fail(
              "the header declares images of " + rows + " x " + cols + " pixels (byte offset 8)");
        }
        this.headerSize = 16;
      } else {
        this.rows = 1;
        this.cols = 1;
        this.headerSize = 8;
      }
      this.itemSize = rows * cols;
      if (!gzip) {
        long expected = headerSize + (long) count * itemSize;
        long size = Files.size(path);
        if (size < expected) {
          throw fail(
              "truncated: the header declares "
                  + count
                  + " "
                  + what
                  + "s ("
                  + expected
                  + " bytes) but the file has "
                  + size
                  + " bytes; the data ends inside "
                  + what
                  + " #"
                  + (size - headerSize) / itemSize);
        }
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly(raw);
      if (e instanceof CliException c) {
        throw c;
      }
      if (e instanceof ZipException || "Not in GZIP format".equals(e.getMessage())) {
        throw fail("not a valid gzip file (" + e.getMessage() + ")");
      }
      throw new CliException(what + " file " + path + ": " + Errors.oneLine(e), e);
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException suppressed) {
      // The open failed already; that failure is the one to report.
    }
  }

  /** Opens an image file (magic 2051). */
  static IdxFile openImages(Path path) {
    return new IdxFile(path, "image", IMAGE_MAGIC);
  }

  /** Opens a label file (magic 2049). */
  static IdxFile openLabels(Path path) {
    return new IdxFile(path, "label", LABEL_MAGIC);
  }

  int count() {
    return count;
  }

  int rows() {
    return rows;
  }

  int cols() {
    return cols;
  }

  /** Bytes per item: rows x cols for images, 1 for labels. */
  int itemSize() {
    return itemSize;
  }

  /** Reads the next item into {@code dst[0..itemSize)}; throws a clear error when truncated. */
  void readItem(byte[] dst) {
    if (itemsRead >= count) {
      throw new IllegalStateException("all " + count + " items already read");
    }
    long offset = headerSize + (long) itemsRead * itemSize;
    int done = 0;
    try {
      while (done < itemSize) {
        int n = in.read(dst, done, itemSize - done);
        if (n < 0) {
          throw new EOFException();
        }
        done += n;
      }
    } catch (EOFException e) {
      throw truncated(offset + done);
    } catch (ZipException e) {
      throw fail(
          "corrupt gzip data in "
              + what
              + " #"
              + itemsRead
              + " (uncompressed byte offset "
              + (offset + done)
              + "): "
              + e.getMessage());
    } catch (IOException e) {
      if (isTruncatedGzip(e)) {
        throw truncated(offset + done);
      }
      throw new CliException(what + " file " + path + ": " + Errors.oneLine(e), e);
    }
    itemsRead++;
  }

  private CliException truncated(long at) {
    long expected = headerSize + (long) count * itemSize;
    return fail(
        "truncated: the header declares "
            + count
            + " "
            + what
            + "s ("
            + expected
            + " bytes"
            + (gzip ? " uncompressed" : "")
            + ") but the data ends at byte "
            + at
            + ", inside "
            + what
            + " #"
            + itemsRead);
  }

  private int readHeaderInt(String field, int offset) throws IOException {
    try {
      return in.readInt();
    } catch (EOFException e) {
      throw truncatedHeader(field, offset);
    } catch (IOException e) {
      if (isTruncatedGzip(e)) {
        throw truncatedHeader(field, offset);
      }
      throw e;
    }
  }

  private CliException truncatedHeader(String field, int offset) {
    return fail(
        "truncated header: the data ends before the " + field + " at byte offset " + offset);
  }

  /** GZIPInputStream reports a cut-off stream as a plain IOException with this message. */
  private static boolean isTruncatedGzip(IOException e) {
    return "Unexpected end of ZLIB input stream".equals(e.getMessage());
  }

  private CliException wrongMagic(int magic, int expected) {
    String found = magic + String.format(" (0x%08x)", magic);
    if (magic == GZIP_MAGIC || (magic >>> 16) == 0x1f8b) {
      return fail(
          "wrong magic number "
              + found
              + ", expected "
              + expected
              + ": the data is still "
              + "gzip-compressed (compressed twice?); did you forget to unzip it?");
    }
    String hint = "";
    if (magic == LABEL_MAGIC && expected == IMAGE_MAGIC) {
      hint = "; this is a label file: swap --image-file and --label-file";
    } else if (magic == IMAGE_MAGIC && expected == LABEL_MAGIC) {
      hint = "; this is an image file: swap --image-file and --label-file";
    }
    return fail(
        "wrong magic number "
            + found
            + ", expected "
            + expected
            + " for an IDX "
            + what
            + " file"
            + hint);
  }

  private CliException fail(String message) {
    return new CliException(what + " file " + path + ": " + message);
  }

  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
