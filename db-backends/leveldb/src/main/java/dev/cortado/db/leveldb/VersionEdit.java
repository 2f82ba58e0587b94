package dev.cortado.db.leveldb;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One MANIFEST record: LevelDB's VersionEdit, with the tags LevelDB 1.x defines. Fields that are
 * unset stay null; {@link #decode} accepts every LevelDB tag and rejects others (a RocksDB MANIFEST
 * uses tags LevelDB does not know).
 */
final class VersionEdit {
  private static final int COMPARATOR = 1;
  private static final int LOG_NUMBER = 2;
  private static final int NEXT_FILE_NUMBER = 3;
  private static final int LAST_SEQUENCE = 4;
  private static final int COMPACT_POINTER = 5;
  private static final int DELETED_FILE = 6;
  private static final int NEW_FILE = 7;
  private static final int PREV_LOG_NUMBER = 9;

  /** A table file in a level, with its smallest and largest internal keys. */
  record FileMeta(int level, long number, long size, byte[] smallest, byte[] largest) {}

  /** A file removed from a level. */
  record Deleted(int level, long number) {}

  String comparator;
  Long logNumber;
  Long prevLogNumber;
  Long nextFileNumber;
  Long lastSequence;
  final List<FileMeta> newFiles = new ArrayList<>();
  final List<Deleted> deletedFiles = new ArrayList<>();

  byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (comparator != null) {
      Format.putVarint(out, COMPARATOR);
      Format.putLengthPrefixed(out, comparator.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    putNumber(out, LOG_NUMBER, logNumber);
    putNumber(out, PREV_LOG_NUMBER, prevLogNumber);
    putNumber(out, NEXT_FILE_NUMBER, nextFileNumber);
    putNumber(out, LAST_SEQUENCE, lastSequence);
    for (Deleted d : deletedFiles) {
      Format.putVarint(out, DELETED_FILE);
      Format.putVarint(out, d.level());
      Format.putVarint(out, d.number());
    }
    for (FileMeta f : newFiles) {
      Format.putVarint(out, NEW_FILE);
      Format.putVarint(out, f.level());
      Format.putVarint(out, f.number());
      Format.putVarint(out, f.size());
      Format.putLengthPrefixed(out, f.smallest());
      Format.putLengthPrefixed(out, f.largest());
    }
    return out.toByteArray();
  }

  private static void putNumber(ByteArrayOutputStream out, int tag, Long value) {
    if (value != null) {
      Format.putVarint(out, tag);
      Format.putVarint(out, value);
    }
  }

  /** Decodes one record; IllegalArgumentException names the problem. */
  static VersionEdit decode(byte[] record) {
    VersionEdit edit = new VersionEdit();
    ByteBuffer in = ByteBuffer.wrap(record);
    while (in.hasRemaining()) {
      long tag = Format.getVarint(in);
      switch ((int) tag) {
        case COMPARATOR ->
            edit.comparator =
                new String(Format.getLengthPrefixed(in), java.nio.charset.StandardCharsets.UTF_8);
        case LOG_NUMBER -> edit.logNumber = Format.getVarint(in);
        case PREV_LOG_NUMBER -> edit.prevLogNumber = Format.getVarint(in);
        case NEXT_FILE_NUMBER -> edit.nextFileNumber = Format.getVarint(in);
        case LAST_SEQUENCE -> edit.lastSequence = Format.getVarint(in);
        case COMPACT_POINTER -> {
          Format.getVarint(in); // level
          Format.getLengthPrefixed(in); // key: only steers LevelDB's next compaction
        }
        case DELETED_FILE ->
            edit.deletedFiles.add(new Deleted((int) Format.getVarint(in), Format.getVarint(in)));
        case NEW_FILE ->
            edit.newFiles.add(
                new FileMeta(
                    (int) Format.getVarint(in),
                    Format.getVarint(in),
                    Format.getVarint(in),
                    Format.getLengthPrefixed(in),
                    Format.getLengthPrefixed(in)));
        default ->
            throw new IllegalArgumentException(
                "unknown MANIFEST tag " + tag + " (not a LevelDB MANIFEST)");
      }
    }
    return edit;
  }
}
